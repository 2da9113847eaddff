"""pdkit's papermill engine: papermill's nbclient engine with fewer intermediate saves.

Papermill writes the whole output notebook before and after every cell so that
someone watching a long run sees its progress.  A pdkit report's notebook is a
hidden temporary file until the run ends (see :mod:`pdkit.runner`), and with
inline BokehJS each write serialises megabytes: for a 20-cell report those
writes were a third of a second of every run.  This engine keeps papermill's
execution, parameter injection and metadata unchanged and writes the notebook

* when execution ends, successfully or not (papermill's ``notebook_complete``,
  which runs in a ``finally`` - so a kernel that dies still leaves the outputs of
  every cell that ran), and
* during a long run, at most every :data:`SAVE_EVERY_S` seconds, so an
  interrupted run loses little.

When the final save fails (a full disk), the ``OSError`` carries
``cell_error``, the first cell error of the notebook that could not be saved
(:func:`first_cell_error`), so the runner can name a cell that filled the disk.
"""
from __future__ import annotations

from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines

__all__ = ["ENGINE_NAME", "SAVE_EVERY_S", "register", "first_cell_error"]

ENGINE_NAME = "pdkit"
#: longest time between two intermediate saves of the running notebook
SAVE_EVERY_S = 30.0


class _ThrottledExecutionManager(NotebookExecutionManager):
    """Saves at the end of the run and at most every ``SAVE_EVERY_S`` seconds before it."""

    _finishing = False

    def save(self, **kwargs):
        due = (self.now() - self.last_save_time).total_seconds() >= SAVE_EVERY_S
        if self._finishing or due:
            return super().save(**kwargs)
        return None

    def notebook_complete(self, **kwargs):
        self._finishing = True
        return super().notebook_complete(**kwargs)


class PdkitEngine(NBClientEngine):
    """Papermill's nbclient engine with :class:`_ThrottledExecutionManager`."""

    @classmethod
    def execute_notebook(cls, nb, kernel_name, output_path=None, progress_bar=True, log_output=False,
                         autosave_cell_every=30, **kwargs):
        manager = _ThrottledExecutionManager(nb, output_path=output_path, progress_bar=progress_bar,
                                             log_output=log_output, autosave_cell_every=autosave_cell_every)
        manager.notebook_start()
        try:
            cls.execute_managed_notebook(manager, kernel_name, log_output=log_output, **kwargs)
        finally:
            manager.cleanup_pbar()
            try:
                manager.notebook_complete()
            except OSError as exc:
                # the save failed (e.g. the disk is full): tell the runner the first cell error, which
                # may be why (a cell that filled the disk), since the notebook holding it is lost
                exc.cell_error = first_cell_error(manager.nb)
                raise
        return manager.nb


def first_cell_error(nb) -> dict[str, str] | None:
    """``{"ename", "evalue"}`` of the first error output in ``nb``, or None.

    Examples
    --------
    >>> import nbformat
    >>> cell = nbformat.v4.new_code_cell("1/0")
    >>> cell.outputs = [nbformat.v4.new_output("error", ename="ZeroDivisionError", evalue="division by zero")]
    >>> first_cell_error(nbformat.v4.new_notebook(cells=[cell]))
    {'ename': 'ZeroDivisionError', 'evalue': 'division by zero'}
    """
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return {"ename": str(out.get("ename", "")), "evalue": str(out.get("evalue", ""))}
    return None


def register() -> str:
    """Register the engine with papermill (idempotent); returns its name for ``engine_name=``."""
    papermill_engines.register(ENGINE_NAME, PdkitEngine)
    return ENGINE_NAME
