"""Kernel launching for report runs: IPC transport, isolated and reproducible.

Kernels talk to the runner over IPC (Unix domain sockets in a private temporary
folder) instead of TCP ports: parallel runs cannot race for the same port
(papermill's known ``ZMQError: Address already in use``) and nothing listens on
the network.  The kernel's environment pins ``PYTHONHASHSEED`` and disables the
debugger's frozen-module warning; BLAS threads may be capped per kernel.

Two waits of jupyter_client that cost every report time without protecting
anything in a batch run are shortened here:

* after the ``kernel_info`` handshake, :meth:`AsyncKernelClient.wait_for_ready`
  keeps reading IOPub until 0.2 s pass with no message.  pdkit's client stops as
  soon as IOPub is proven connected: the kernel's ``iopub_welcome`` (JEP 65,
  ipykernel >= 7) or its ``idle`` status for the handshake request.  Stray
  messages left on IOPub are harmless because nbclient matches every output to
  its request by ``parent_header.msg_id``;
* after killing a kernel the manager polls the process every 0.1 s; pdkit polls
  every 5 ms.

Every kernel a manager class from :func:`kernel_manager_class` starts is
remembered, so :func:`stop_kernels` can kill it (with its process group) from
another thread - how the runner ends a run on SIGTERM or Ctrl-C - and no kernel
outlives the ``with`` block: a kernel still alive when it ends is killed before
the private IPC folder is removed.
"""
from __future__ import annotations

import os
import shutil
import signal
import tempfile
import time
import uuid
from contextlib import contextmanager
from queue import Empty
from typing import Any, Iterator

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager

__all__ = ["kernel_manager_class", "stop_kernels", "PdkitKernelClient", "KERNEL_FOLDER_PREFIX"]

#: prefix of the private temporary folder (IPC sockets, kernel log) of each run
KERNEL_FOLDER_PREFIX = "pdkit-kernel-"

#: how long to wait on IOPub for the handshake's ``idle`` status before asking again
IOPUB_HANDSHAKE_S = 0.2
#: how often to check whether a killed kernel has exited
EXIT_POLL_S = 0.005


class PdkitKernelClient(AsyncKernelClient):
    """An async kernel client whose readiness check ends as soon as the kernel is ready."""

    async def _iopub_connected(self, msg_id: str, timeout: float) -> bool:
        """Read IOPub until the welcome or the ``idle`` status of request ``msg_id``; False on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            try:
                msg = await self.iopub_channel.get_msg(timeout=left)
            except Empty:
                return False
            if msg.get("msg_type") == "iopub_welcome":
                return True
            if (msg.get("msg_type") == "status"
                    and msg.get("parent_header", {}).get("msg_id") == msg_id
                    and msg.get("content", {}).get("execution_state") == "idle"):
                return True

    async def wait_for_ready(self, timeout: float | None = None) -> None:  # type: ignore[override]
        """Send ``kernel_info`` until it is answered on shell and its ``idle`` status arrives on IOPub."""
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            self.kernel_info()
            try:
                reply: dict[str, Any] | None = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                reply = None
            if reply is not None and reply.get("msg_type") == "kernel_info_reply":
                if await self._iopub_connected(reply["parent_header"]["msg_id"], IOPUB_HANDSHAKE_S):
                    self._handle_kernel_info_reply(reply)
                    return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")


class _PdkitKernelManager(AsyncKernelManager):
    ipc_dir: str = ""
    blas_threads: int | None = None
    #: every manager of this class (shared per class made by kernel_manager_class)
    managers: list = []
    #: set by stop_kernels: no new kernel may start
    stopped: list = []

    async def _async_wait(self, pollinterval: float = 0.1) -> None:
        await super()._async_wait(pollinterval=EXIT_POLL_S)

    def __init__(self, **kwargs):
        kwargs.setdefault("client_factory", PdkitKernelClient)
        super().__init__(**kwargs)
        if os.name == "posix":
            self.transport = "ipc"
            self.ip = os.path.join(self.ipc_dir, "kernel")
        if not self.connection_file and self.ipc_dir:
            # in the private folder too, so a killed run leaves no connection file in the temp folder
            self.connection_file = os.path.join(self.ipc_dir, f"kernel-{uuid.uuid4().hex}.json")

    async def _async_pre_start_kernel(self, **kw):
        if self.stopped:
            raise RuntimeError("the run was stopped before its kernel started")
        self.managers.append(self)
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


def _kill(process) -> bool:
    """SIGKILL a kernel process and its process group (it leads its own session); True if it was alive."""
    if process is None or process.poll() is not None:
        return False
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, AttributeError):
        try:
            process.kill()
        except ProcessLookupError:
            return False
    return True


def stop_kernels(km_class: type) -> int:
    """Kill every live kernel started through ``km_class`` and stop it from starting new ones.

    Safe to call from any thread (it only signals processes); the thread running
    the notebook then sees the kernel die and ends.  Returns how many kernels
    were alive.

    Examples
    --------
    >>> with kernel_manager_class() as km_class:
    ...     stop_kernels(km_class)
    0
    """
    km_class.stopped.append(True)
    killed = 0
    for manager in list(km_class.managers):
        provisioner = getattr(manager, "provisioner", None)
        killed += _kill(getattr(provisioner, "process", None))
    return killed


@contextmanager
def kernel_manager_class(blas_threads: int | None = None) -> Iterator[type]:
    """A kernel-manager class bound to a fresh private IPC folder, removed afterwards.

    Any kernel of the class still alive when the block ends is killed first.

    Examples
    --------
    >>> with kernel_manager_class(blas_threads=1) as km_class:
    ...     os.path.basename(km_class.ipc_dir).startswith(KERNEL_FOLDER_PREFIX)
    True
    """
    folder = tempfile.mkdtemp(prefix=KERNEL_FOLDER_PREFIX)
    km_class = type("PdkitKernelManager", (_PdkitKernelManager,),
                    {"ipc_dir": folder, "blas_threads": blas_threads, "managers": [], "stopped": []})
    try:
        yield km_class
    finally:
        for manager in list(km_class.managers):
            _kill(getattr(getattr(manager, "provisioner", None), "process", None))
        shutil.rmtree(folder, ignore_errors=True)
