"""One run over a notebook: its sandboxed kernel, replaced when it dies, and the test sessions.

A :class:`Runner` owns the kernel of one run. Cells run in it in order; at a
test cell the grader opens a :class:`Session`: the kernel's agent serves the
grader's requests on a Unix socket (:mod:`coursekit.grader.channel`) until the
test's code is done, so every call sees the notebook exactly as it is at that
cell. A kernel that dies is replaced by a fresh one that replays the code
cells that ran before (tests are not replayed).

Array arguments travel as files shared with the sandboxed process: after the
call the grader reads the memory back itself, so an input changed in place is
changed in the grader's array too (as at home), and whether it changed is
observed here, not reported by code in the sandbox.
"""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import numpy as np

from coursekit.grader import wire
from coursekit.grader.channel import AgentChannel, ChannelClosed, ChannelTimeout, ReplyTooLarge
from coursekit.grader.kernel import AGENT, KernelGone, SandboxKernel
from coursekit.grader.messages import Crash, TimeLimit
from coursekit.grader.remote import RemoteObject, decode_reply
from coursekit.grader.sandbox import Sandbox

MAX_RESTARTS = 8
"""Most times one run replaces a dead kernel before giving up on the rest of the notebook."""


class Runner:
    """The sandboxed kernel of one run, replaced and replayed when it dies.

    ``start_now`` starts the first kernel in a background thread at once (so a
    second run's kernel starts while the first run works).
    """

    def __init__(self, sandbox: Sandbox, options, flags: list[str], start_now: bool = False):
        self.sandbox = sandbox
        self.options = options
        self.flags = flags
        self.steps: list[tuple] = []  # ("code", source, timeout) or ("setup", names)
        self.kernel: SandboxKernel | None = None
        self.restarts = 0
        self.deadline = time.monotonic() + options.notebook_timeout
        self.session: Session | None = None
        self.link = Link(self)
        self._starting = None
        if start_now:
            try:
                self._starting = SandboxKernel(sandbox, wait=False)
            except (KernelGone, OSError):
                self._starting = None  # started again, and reported, when it is needed

    def close(self) -> None:
        if self._starting is not None:
            self._starting.kill()
        if self.kernel is not None:
            self.kernel.kill()

    def time_left(self) -> float:
        return self.deadline - time.monotonic()

    def run(self, source: str, timeout: float, where: str):
        """Run a cell in the sandbox; return its CellRun (or None when it cannot run)."""
        if not self.ready(where):
            return None
        timeout = min(timeout, max(self.time_left(), 0.1))
        try:
            run = self.kernel.execute(source, timeout=timeout)
        except KernelGone as gone:
            self.flag(f"{where}: not run ({gone.reason})")
            return None
        if run.status == "timeout":
            self.flag(f"{where} ran past its {timeout:g} s limit and was stopped")
        if run.status == "died" or not self.kernel.alive:
            self.flag(f"{where} stopped the kernel ({self.kernel.dead_reason})")
        else:
            self.steps.append(("code", source, timeout))
        return run

    def remember_setup(self, names: list[str]) -> None:
        """Let the agent keep the setup cell's objects (tests pass them by name)."""
        step = ("setup", sorted(names))
        if self.ready("the setup cell"):
            self._do(step)
            self.steps.append(step)

    def ready(self, where: str) -> bool:
        """A live kernel with the notebook's state, or False (flagged) when none can be had."""
        if self.kernel is not None and self.kernel.alive:
            return True
        if self.time_left() <= 0:
            self._flag_once(f"the notebook's {self.options.notebook_timeout:g} s limit was "
                            f"reached; {where} and what follows were not run")
            return False
        if self.kernel is not None:
            self.restarts += 1
            if self.restarts > MAX_RESTARTS:
                self._flag_once(f"the kernel died {MAX_RESTARTS + 1} times; "
                                f"{where} and what follows were not run")
                return False
        try:
            self.kernel = self._new_kernel()
            for step in self.steps:
                self._do(step)
        except KernelGone as gone:
            self._flag_once(f"the sandboxed kernel could not be (re)started: {gone.reason}")
            if self.kernel is not None:
                self.kernel.kill()
            return False
        return True

    def flag(self, text: str) -> None:
        self.flags.append(text)

    def _new_kernel(self) -> SandboxKernel:
        if self._starting is not None:
            starting, self._starting = self._starting, None
            starting.wait_ready()
            return starting
        return SandboxKernel(self.sandbox)

    def _do(self, step: tuple) -> None:
        """Replay one recorded step (its outputs were kept the first time)."""
        if step[0] == "code":
            self.kernel.execute(step[1], timeout=step[2])
        else:
            self.kernel.execute(f"{AGENT}.remember_setup({step[1]!r})", timeout=30, silent=True)

    def _flag_once(self, text: str) -> None:
        if text not in self.flags:
            self.flags.append(text)


class Link:
    """What a proxy talks to: the session of the test cell being judged now.

    A proxy made by one test cell and kept in the grader's namespace works in
    later test cells too (as the object does at home), through their sessions.
    """

    def __init__(self, runner: Runner):
        self.runner = runner

    def _current(self) -> Session:
        if self.runner.session is None:
            raise Crash("the student's objects are reachable only while a test runs")
        return self.runner.session

    def request(self, message: dict):
        return self._current().request(message)

    def encode(self, value) -> dict:
        return self._current().encode(value)

    def peak_bytes(self, target, args) -> int:
        return self._current().peak_bytes(target, args)


class Session:
    """The grader's link to the student's kernel during one test cell.

    Opening it starts the agent's ``serve`` in the kernel and accepts its
    connection; each request is bounded by the test cell's time limit (the
    kernel is interrupted when it runs out) and the channel's size limit.
    """

    def __init__(self, runner: Runner, setup_objects: dict[int, str], limit: float):
        self.runner = runner
        self.setup_objects = setup_objects
        self.limit = limit
        self.deadline = time.monotonic() + limit
        self.channel: AgentChannel | None = None
        self.msg_id = ""
        self.broken: BaseException | None = None
        self.shared: list[tuple[Path, np.ndarray]] = []
        self.shm_dir = runner.sandbox.scratch / "run" / "shm"
        self._names = itertools.count()

    def __enter__(self) -> Session:
        runner = self.runner
        if not runner.ready("a test"):
            raise Crash("the kernel could not be started")
        kernel = runner.kernel
        self.shm_dir.mkdir(parents=True, exist_ok=True)
        self.channel = AgentChannel(runner.sandbox.scratch / "run" / "agent.sock")
        try:
            self.msg_id = kernel.submit(f"{AGENT}.serve({str(self.channel.path)!r})", silent=True)
            self.channel.accept(min(self.deadline, time.monotonic() + 30), lambda: kernel.alive)
        except (KernelGone, ChannelClosed):
            self._end()
            raise Crash("the grader could not reach your code (did a cell replace the "
                        "grader's agent?)") from None
        runner.session = self
        return self

    def __exit__(self, *exc) -> None:
        self.runner.session = None
        self._end()

    def request(self, message: dict):
        """Send one request to the agent; decode its reply (raises the student's error)."""
        if self.broken is not None:
            raise self.broken
        kernel = self.runner.kernel
        try:
            reply = self.channel.request(message, self.deadline, lambda: kernel.alive)
        except ChannelTimeout:
            self.broken = TimeLimit(self.limit)
            self._stop_the_call()
            raise self.broken from None
        except ChannelClosed:
            reason = kernel.dead_reason if not kernel.alive else "it stopped answering"
            self.broken = Crash(reason or "the kernel died")
            raise self.broken from None
        except ReplyTooLarge as too_large:
            self.broken = too_large
            self._stop_the_call()
            raise
        finally:
            self._read_back()
        return decode_reply(self.runner.link, reply)

    def encode(self, value) -> dict:
        """Trusted test inputs to wire form: arrays as shared files, student objects by
        reference, the setup cell's objects by name."""

        def refer(obj):
            if isinstance(obj, RemoteObject):
                return {"t": "ref", "id": obj._ref}
            if id(obj) in self.setup_objects:
                return {"t": "name", "v": self.setup_objects[id(obj)]}
            raise TypeError(f"a test passed your code a {type(obj).__name__}, which the "
                            "grader cannot send into the sandbox")

        if id(value) in self.setup_objects and callable(value):
            return {"t": "name", "v": self.setup_objects[id(value)]}
        return wire.encode(value, refer, array=self._share)

    def peak_bytes(self, target: RemoteObject, args) -> int:
        kernel = self.runner.kernel
        if kernel is None or not kernel.alive:
            raise Crash("the kernel is not running")
        _, peak = kernel.rss_peak_since_reset(lambda: target(*args))
        return peak

    def _share(self, array: np.ndarray) -> dict:
        """Write an array argument to a file that the agent maps; read back after the call."""
        if array.dtype.hasobject or array.dtype.kind not in "biufcSU":
            raise TypeError(f"arrays of dtype {array.dtype} cannot be sent to your code")
        path = self.shm_dir / f"{next(self._names)}.bin"
        path.write_bytes(np.ascontiguousarray(array).tobytes())
        path.chmod(0o666)
        self.shared.append((path, array))
        return {"t": "shm", "file": str(path), "dtype": array.dtype.str,
                "shape": list(array.shape), "writeable": bool(array.flags.writeable)}

    def _read_back(self) -> None:
        """Copy what the call left in each shared argument into the grader's array."""
        shared, self.shared = self.shared, []
        for path, array in shared:
            try:
                with open(path, "rb") as handle:
                    data = handle.read(array.nbytes)
                path.unlink()
            except OSError:
                continue
            if len(data) != array.nbytes or not array.flags.writeable:
                continue
            after = np.frombuffer(data, dtype=array.dtype).reshape(array.shape)
            if after.tobytes() != np.ascontiguousarray(array).tobytes():
                np.copyto(array, after)

    def _stop_the_call(self) -> None:
        """Interrupt what the kernel runs and drop the connection; kill it if it hangs on."""
        kernel = self.runner.kernel
        kernel.interrupt()
        self._end()

    def _end(self) -> None:
        """Tell the agent to stop serving, and wait for the kernel to be idle again."""
        if self.channel is not None:
            if self.broken is None:
                self.channel.tell({"op": "end"})
            self.channel.close()
            self.channel = None
        kernel = self.runner.kernel
        if self.msg_id and kernel is not None and kernel.alive:
            kernel.collect(self.msg_id, timeout=5, keep=False)
        self.msg_id = ""
