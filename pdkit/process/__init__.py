"""Process calculations: upstream, downstream, scale-up and facility/COGS.

Import the modules themselves (``pdkit.process.upstream``, or its short name ``pdkit.upstream``).
"""
__all__: list[str] = []
