"""Running report templates and what they produce: runner, parameters, batch, provenance,
signing, HTML/PDF/certificate rendering.

Import the modules themselves (``pdkit.reports.runner``, or its short name ``pdkit.runner``).
"""
__all__: list[str] = []
