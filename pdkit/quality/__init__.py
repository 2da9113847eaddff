"""Quality statistics: specifications, tolerance intervals and capability, stability, trending, outliers, PPQ.

Import the modules themselves (``pdkit.quality.stats``, or its short name ``pdkit.stats``).
"""
__all__: list[str] = []
