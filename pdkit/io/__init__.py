"""Files in and out: reading lab tables (``tables``), input contracts, column mappings, atomic writing (``files``).

Import the modules themselves (``pdkit.io.contracts``, or its short name ``pdkit.contracts``).
"""
__all__: list[str] = []
