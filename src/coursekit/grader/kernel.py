"""A Jupyter kernel in the sandbox, driven from outside with time limits.

The kernel is a real ``ipykernel`` started inside :class:`coursekit.grader.sandbox.Sandbox`;
the grader talks to it with ``jupyter_client`` over Unix sockets (IPC
transport) in a directory bound into the sandbox, so the kernel needs no
network at all. Every wait has a time limit: a cell that runs too long is
interrupted, and a kernel that ignores the interrupt or dies is killed and
reported, never waited on.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty

import nbformat
from jupyter_client import BlockingKernelClient
from jupyter_client.connect import write_connection_file

from coursekit.grader.sandbox import Sandbox

AGENT = "__import__('coursekit.grader.agent').grader.agent"
"""The grader's agent in the kernel, as an expression (the student's names stay untouched)."""

MAX_OUTPUT_CHARS = 20_000
"""Most characters of text output kept per cell (the rest is cut with a note)."""

MAX_OUTPUTS = 50
"""Most outputs kept per cell."""

MAX_DISPLAY_CHARS = 1_000_000
"""Most characters of one display output (an image of a plot is well under)."""

MAX_ERROR_CHARS = 2_000
"""Most characters of an error's message, and of each traceback line."""

MAX_TRACEBACK_LINES = 40
"""Most lines of a traceback kept."""


class KernelGone(RuntimeError):
    """The kernel died, or was killed after a time-out; ``reason`` says which."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class CellRun:
    """What running one cell gave: ``status`` is "ok", "error", "timeout" or "died"."""

    status: str
    outputs: list = field(default_factory=list)
    seconds: float = 0.0
    detail: str = ""


class SandboxKernel:
    """One sandboxed kernel; use as a context manager (it is always killed at the end)."""

    def __init__(self, sandbox: Sandbox, start_timeout: float = 60, wait: bool = True):
        """Start the kernel; with ``wait`` (default) also wait until it is ready.

        (``wait=False`` lets it boot while the caller does other work; call
        :meth:`wait_ready` before using it. Start it from the thread that will
        outlive it: bubblewrap's --die-with-parent follows the starting thread.)
        """
        self.sandbox = sandbox
        run_dir = sandbox.scratch / "run"
        run_dir.mkdir(parents=True, exist_ok=True)
        self.connection_file = run_dir / "kernel.json"
        write_connection_file(str(self.connection_file), transport="ipc",
                              ip=str(run_dir / "kernel"), key=secrets.token_hex(16).encode())
        argv = [sys.executable, "-m", "ipykernel_launcher", "-f", str(self.connection_file),
                "--HistoryManager.enabled=False", "--InteractiveShell.xmode=Minimal"]
        # The kernel's own stderr (fd 2: C libraries, a crash) goes to a file, not a pipe
        # nobody reads: a full pipe would block the kernel. RLIMIT_FSIZE bounds it.
        self.stderr_path = run_dir / "kernel.stderr"
        with open(self.stderr_path, "wb") as stderr:
            self.process = sandbox.popen(argv, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=stderr)
        self.client = BlockingKernelClient()
        self.client.load_connection_file(str(self.connection_file))
        self.client.start_channels()
        self.dead_reason = ""
        self.is_ready = False
        if wait:
            self.wait_ready(start_timeout)

    def wait_ready(self, start_timeout: float = 60) -> None:
        """Wait until the kernel answers and has loaded the grader's agent (or raise KernelGone)."""
        if self.is_ready:
            return
        try:
            self._wait_until_ready(start_timeout)
        except KernelGone:
            self.kill()
            raise
        started = self.execute("import coursekit.grader.agent", timeout=start_timeout,
                               silent=True)
        if started.status != "ok":
            self.kill()
            raise KernelGone(f"the sandboxed kernel could not load the grader's agent "
                             f"({started.status}: {self.dead_reason})")
        self.is_ready = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()

    @property
    def alive(self) -> bool:
        """True while the kernel process runs and has not been given up on."""
        return not self.dead_reason and self.process.poll() is None

    def execute(self, code: str, timeout: float, silent: bool = False) -> CellRun:
        """Run ``code``; collect its outputs as nbformat outputs, within ``timeout`` seconds."""
        return self.collect(self.submit(code, silent=silent), timeout)

    def submit(self, code: str, silent: bool = False) -> str:
        """Send ``code`` to run without waiting for it; return the request's id."""
        if not self.alive:
            raise KernelGone(self.dead_reason or "the kernel is not running")
        self._started = time.monotonic()
        return self.client.execute(code, silent=silent, store_history=not silent,
                                   allow_stdin=False)

    def collect(self, msg_id: str, timeout: float, keep: bool = True) -> CellRun:
        """Wait until the request ``msg_id`` is done (interrupting it after ``timeout``
        seconds); return its outputs (none when ``keep`` is False)."""
        start = time.monotonic()
        run = CellRun("ok")
        deadline = start + timeout
        idle = False
        while not idle:
            message = self._next_iopub(deadline)
            if message is None:
                run.status = self._give_up_or_interrupt(msg_id, timeout)
                break
            if message["parent_header"].get("msg_id") != msg_id:
                continue
            kind = message["msg_type"]
            if kind == "status":
                idle = message["content"]["execution_state"] == "idle"
            elif kind in ("stream", "display_data", "execute_result", "error"):
                if kind == "error":
                    run.status = "error"
                if keep:
                    _keep_output(run.outputs, nbformat.v4.output_from_msg(message))
        run.seconds = time.monotonic() - start
        if run.status in ("ok", "error"):
            self._reply(msg_id, deadline=time.monotonic() + 10)
        if not self.alive and run.status in ("ok", "error"):
            run.status = "died"
        return run

    def interrupt(self) -> None:
        """Send SIGINT to what the kernel runs (as Jupyter's interrupt button does)."""
        if self.alive:
            self.client.session.send(self.client.control_channel.socket,
                                     self.client.session.msg("interrupt_request", {}))

    def rss_peak_since_reset(self, action):
        """Run ``action()`` and return the kernel's peak resident memory growth (bytes) during it.

        Measured from outside via /proc (clear_refs resets the peak), so code in
        the sandbox cannot change the figure.
        """
        pid = self._kernel_pid()
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        before = _proc_status_kb(pid, "VmRSS")
        result = action()
        return result, max(0, _proc_status_kb(pid, "VmHWM") - before) * 1024

    def kill(self, reason: str = "") -> None:
        """Kill the kernel and everything it started (idempotent)."""
        if reason and not self.dead_reason:
            self.dead_reason = reason
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait()
        self.client.stop_channels()
        if not self.dead_reason:
            self.dead_reason = "the kernel was stopped"

    # ------------------------------------------------------------------ internals

    def _wait_until_ready(self, timeout: float) -> None:
        """Ask for kernel_info until the kernel answers on both the shell and the iopub
        channel; judge its death by its process.

        (jupyter_client's wait_for_ready judges by the heartbeat, which on a
        loaded machine is not up yet when it first looks, and then reports a
        kernel that is still starting as dead. The iopub answer matters too: a
        subscription that is not through yet loses the next cell's messages.)
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = self.stderr_path.read_text(errors="replace")[-1000:]
                raise KernelGone(f"the sandboxed kernel exited while starting "
                                 f"({self._exit_text()}): {tail}")
            msg_id = self.client.kernel_info()
            if self._reply(msg_id, deadline=time.monotonic() + 1) is None:
                continue
            while (message := self._next_iopub(time.monotonic() + 1)) is not None:
                if message["parent_header"].get("msg_id") == msg_id:
                    return
        raise KernelGone(f"the sandboxed kernel did not answer within {timeout:.0f} s")

    def _next_iopub(self, deadline: float):
        """The next iopub message, or None at the deadline or when the kernel is gone."""
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                return self.client.get_iopub_msg(timeout=min(left, 0.5))
            except Empty:
                if self.process.poll() is not None:
                    self.dead_reason = self.dead_reason or self._exit_text()
                    return None

    def _give_up_or_interrupt(self, msg_id: str, timeout: float) -> str:
        """After a time-out: interrupt; if the kernel does not come back, kill it."""
        if self.process.poll() is not None:
            self.dead_reason = self.dead_reason or self._exit_text()
            return "died"
        self.interrupt()
        deadline = time.monotonic() + 5
        while (message := self._next_iopub(deadline)) is not None:
            if (message["parent_header"].get("msg_id") == msg_id
                    and message["msg_type"] == "status"
                    and message["content"]["execution_state"] == "idle"):
                self._reply(msg_id, deadline=time.monotonic() + 5)
                return "timeout"
        self.kill(f"it ran past the {timeout:.0f} s limit and ignored the interrupt")
        return "timeout"

    def _reply(self, msg_id: str, deadline: float):
        """The shell reply to ``msg_id`` (None if it does not come in time)."""
        while time.monotonic() < deadline:
            try:
                reply = self.client.get_shell_msg(timeout=0.5)
            except Empty:
                if self.process.poll() is not None:
                    return None
                continue
            if reply["parent_header"].get("msg_id") == msg_id:
                return reply["content"]
        return None

    def _exit_text(self) -> str:
        """Why the kernel process ended, in words."""
        code = self.process.returncode
        if code is not None and code < 0:
            return f"the kernel was killed by signal {signal.Signals(-code).name}"
        return f"the kernel exited (exit code {code})"

    def _kernel_pid(self) -> int:
        """The host pid of the python process inside the sandbox (deepest descendant)."""
        pid = self.process.pid
        while True:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            if not children:
                return pid
            pid = int(children[-1])


def _proc_status_kb(pid: int, key: str) -> int:
    """One ``kB`` figure of /proc/PID/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


def _keep_output(outputs: list, output) -> None:
    """Append ``output`` unless the cell already has too many or too much text;
    cut long texts, large displays and long tracebacks."""
    if len(outputs) >= MAX_OUTPUTS:
        return
    kind = output.get("output_type")
    if kind == "stream":
        text = output.get("text", "")
        used = sum(len(o.get("text", "")) for o in outputs if o.get("output_type") == "stream")
        room = MAX_OUTPUT_CHARS - used
        if room <= 0:
            return
        if len(text) > room:
            output["text"] = text[:room] + "\n[... output cut by the grader ...]\n"
    elif kind in ("display_data", "execute_result"):
        size = sum(len(str(v)) for v in output.get("data", {}).values())
        if size > MAX_DISPLAY_CHARS:
            output["data"] = {"text/plain": "[a large output was left out by the grader]"}
        output["metadata"] = {}
    elif kind == "error":
        output["ename"] = str(output.get("ename", ""))[:100]
        output["evalue"] = str(output.get("evalue", ""))[:MAX_ERROR_CHARS]
        lines = [str(line)[:MAX_ERROR_CHARS] for line in output.get("traceback", [])]
        output["traceback"] = lines[:MAX_TRACEBACK_LINES]
    outputs.append(output)


def output_size(output) -> int:
    """Characters an output takes in the notebook (its texts and data)."""
    data = output.get("data", {}).values()
    return (len(output.get("text", "")) + sum(len(str(v)) for v in data)
            + len(output.get("evalue", "")) + sum(map(len, output.get("traceback", []))))
