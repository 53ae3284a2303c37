"""The grader's end of the agent's socket: one request, one reply, each bounded in size and time.

At a test cell the grader listens on a Unix socket in the kernel's run
directory (bound into the sandbox) and the kernel's agent connects to it
(:func:`coursekit.grader.agent.serve`). A frame is 8 bytes of length followed
by that many bytes of JSON. A reply longer than :data:`MAX_FRAME` is never
read: the connection is dropped and the call fails, so a student's function
that returns gigabytes costs the grader nothing but the time limit.
"""

from __future__ import annotations

import json
import socket
import struct
import time
from pathlib import Path

MAX_FRAME = 48 * 2**20
"""Most bytes of one reply (a 32 MiB array takes about 43 MiB as base64 JSON)."""

_HEADER = struct.Struct("!Q")


class ChannelTimeout(TimeoutError):
    """No reply before the deadline."""


class ChannelClosed(ConnectionError):
    """The agent closed the connection, or never connected."""


class ReplyTooLarge(ValueError):
    """The reply announced more than MAX_FRAME bytes."""

    def __init__(self, size: int):
        super().__init__(f"an answer of {size / 2**20:.0f} MiB, over the grader's "
                         f"{MAX_FRAME // 2**20} MiB limit")


class AgentChannel:
    """A listening socket at ``path`` for one agent connection."""

    def __init__(self, path: Path):
        self.path = path
        path.unlink(missing_ok=True)
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(str(path))
        path.chmod(0o777)  # the sandbox's user (nobody) connects to it
        self.listener.listen(1)
        self.connection: socket.socket | None = None

    def accept(self, deadline: float, alive) -> None:
        """Wait for the agent to connect (``alive()`` False ends the wait early)."""
        while self.connection is None:
            left = deadline - time.monotonic()
            if left <= 0 or not alive():
                raise ChannelClosed("the kernel's agent did not connect")
            self.listener.settimeout(min(left, 0.5))
            try:
                self.connection, _ = self.listener.accept()
            except TimeoutError:
                continue

    def request(self, message: dict, deadline: float, alive) -> dict:
        """Send ``message``; return the reply's JSON (bounded by MAX_FRAME and ``deadline``)."""
        if self.connection is None:
            raise ChannelClosed("not connected")
        body = json.dumps(message).encode()
        self.connection.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            self.connection.sendall(_HEADER.pack(len(body)) + body)
        except TimeoutError:
            raise ChannelTimeout() from None
        except OSError:
            raise ChannelClosed("the agent closed the connection") from None
        size = _HEADER.unpack(self._read(_HEADER.size, deadline, alive))[0]
        if size > MAX_FRAME:
            self.close()
            raise ReplyTooLarge(size)
        try:
            return json.loads(self._read(size, deadline, alive))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return {}

    def tell(self, message: dict) -> None:
        """Send ``message`` and expect no reply (``end``); a closed connection is fine."""
        if self.connection is not None:
            body = json.dumps(message).encode()
            try:
                self.connection.settimeout(1)
                self.connection.sendall(_HEADER.pack(len(body)) + body)
            except OSError:
                pass

    def close(self) -> None:
        """Drop the connection and the listening socket (idempotent)."""
        for sock in (self.connection, self.listener):
            if sock is not None:
                sock.close()
        self.connection = None
        self.path.unlink(missing_ok=True)

    def _read(self, size: int, deadline: float, alive) -> bytes:
        chunks, left = [], size
        while left:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ChannelTimeout()
            self.connection.settimeout(min(remaining, 0.5))
            try:
                chunk = self.connection.recv(min(left, 1 << 20))
            except TimeoutError:
                if not alive():
                    raise ChannelClosed("the kernel died") from None
                continue
            except OSError:
                raise ChannelClosed("the agent closed the connection") from None
            if not chunk:
                raise ChannelClosed("the agent closed the connection")
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
