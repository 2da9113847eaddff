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
"""
from __future__ import annotations

from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines

__all__ = ["ENGINE_NAME", "SAVE_EVERY_S", "register"]

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
            manager.notebook_complete()
        return manager.nb


def register() -> str:
    """Register the engine with papermill (idempotent); returns its name for ``engine_name=``."""
    papermill_engines.register(ENGINE_NAME, PdkitEngine)
    return ENGINE_NAME
