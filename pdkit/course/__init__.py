"""The training course: exercise checks (:mod:`pdkit.course.tutorial`, also ``pdkit.tutorial``), the
exercise registry, signed training records, completion records (``pdkit course``) and trainee
workspaces (:mod:`pdkit.course.workspace`).

Import the modules themselves; the package imports nothing.
"""
__all__: list[str] = []
