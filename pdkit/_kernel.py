"""Kernel launching for report runs: IPC transport, isolated and reproducible.

Kernels talk to the runner over IPC (Unix domain sockets in a private temporary
folder) instead of TCP ports: parallel runs cannot race for the same port
(papermill's known ``ZMQError: Address already in use``) and nothing listens on
the network.  The kernel's environment pins ``PYTHONHASHSEED`` and disables the
debugger's frozen-module warning; BLAS threads may be capped per kernel.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from typing import Iterator

from jupyter_client.manager import AsyncKernelManager

__all__ = ["kernel_manager_class"]


class _PdkitKernelManager(AsyncKernelManager):
    ipc_dir: str = ""
    blas_threads: int | None = None

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if os.name == "posix":
            self.transport = "ipc"
            self.ip = os.path.join(self.ipc_dir, "kernel")

    async def _async_pre_start_kernel(self, **kw):
        env = dict(kw.pop("env", None) or os.environ)
        env["PYTHONHASHSEED"] = "0"
        env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
        env.setdefault("MPLBACKEND", "Agg")
        if self.blas_threads:
            for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
                env[var] = str(self.blas_threads)
        kw["env"] = env
        # the kernel process's own log lines (not cell output, which travels over
        # the IPC channels) go to a file instead of the runner's terminal
        self._kernel_log = open(os.path.join(self.ipc_dir, f"kernel-{os.getpid()}.log"), "ab")
        kw.setdefault("stdout", self._kernel_log)
        kw.setdefault("stderr", self._kernel_log)
        return await super()._async_pre_start_kernel(**kw)

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        log = getattr(self, "_kernel_log", None)
        if log is not None and not restart:
            log.close()


@contextmanager
def kernel_manager_class(blas_threads: int | None = None) -> Iterator[type]:
    """A kernel-manager class bound to a fresh private IPC folder, removed afterwards."""
    folder = tempfile.mkdtemp(prefix="pdkit-kernel-")
    try:
        yield type("PdkitKernelManager", (_PdkitKernelManager,), {"ipc_dir": folder, "blas_threads": blas_threads})
    finally:
        shutil.rmtree(folder, ignore_errors=True)
