"""The sandbox side of grading: answers the grader's requests inside the student's kernel.

At each test cell the grader runs ``serve(PATH)`` in the kernel (one execute
request, so the student's code runs on the kernel's main thread, as at
home). ``serve`` connects to the grader's Unix socket at PATH and answers
requests until the grader says ``end``: read a name of the notebook *as it is
now*, call a function, read an attribute... Each request and reply is one
frame: 8 bytes of length, then JSON (:mod:`coursekit.grader.wire`).

Array arguments arrive as files the grader wrote (``{"t": "shm"}`` nodes):
they are mapped here, shared with the grader, so the function works on the
very memory that the grader reads back after the call; an in-place change
shows in the grader's array as it would at home.

Nothing here is trusted: the student's code can replace this module, and the
grader treats every reply as untrusted data. A reply can only say what the
student's own code could compute from the inputs it was given; the expected
values never enter the sandbox.
"""

from __future__ import annotations

import json
import mmap
import socket
import struct

import numpy as np

from coursekit.grader import wire

_objects: dict[int, object] = {}
_setup: dict[str, object] = {}
_HEADER = struct.Struct("!Q")


def remember_setup(names: list[str]) -> None:
    """Keep the objects the read-only setup cell bound, for tests that pass them by name."""
    namespace = get_ipython().user_ns  # noqa: F821 - IPython's builtin
    _setup.update({name: namespace[name] for name in names if name in namespace})


def serve(path: str) -> None:
    """Answer the grader's requests on the Unix socket ``path`` until it says ``end``."""
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    connection.connect(path)
    try:
        while True:
            request = _receive(connection)
            if request is None or request.get("op") == "end":
                return
            _send(connection, handle(request))
    except OSError:
        return  # the grader closed the connection (a time limit, or it is done)
    finally:
        connection.close()


def handle(message: dict) -> dict:
    """Run one request; return the reply (a value, or the error the student's code raised)."""
    maps: list = []
    try:
        value = _OPS[message["op"]](message, maps)
        return {"ok": wire.encode(value, _refer)}
    except BaseException as error:  # the student's code may raise anything
        return {"raised": _describe(error)}
    finally:
        for mapped in maps:
            try:
                mapped.close()
            except BufferError:
                pass  # the student's code kept a view of it; the mapping lives on


def _receive(connection) -> dict | None:
    header = _read_exactly(connection, _HEADER.size)
    if header is None:
        return None
    body = _read_exactly(connection, _HEADER.unpack(header)[0])
    return None if body is None else json.loads(body)


def _read_exactly(connection, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = connection.recv(min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _send(connection, reply: dict) -> None:
    body = json.dumps(reply).encode()
    connection.sendall(_HEADER.pack(len(body)) + body)


def _get(message, maps):
    """The object bound to a name in the notebook now (at the test cell's place)."""
    namespace = get_ipython().user_ns  # noqa: F821 - IPython's builtin
    if message["name"] not in namespace:
        raise NameError(f"name {message['name']!r} is not defined")
    return namespace[message["name"]]


def _call(message, maps):
    """Call a sandbox object (or a function of the setup cell) with decoded arguments."""
    target = _objects[message["ref"]] if "ref" in message else _setup[message["name"]]
    resolve = _resolver(maps)
    args = [wire.decode(a, resolve) for a in message["args"]]
    kwargs = {k: wire.decode(v, resolve) for k, v in message["kwargs"]}
    return target(*args, **kwargs)


def _getattr(message, maps):
    """An attribute of a sandbox object."""
    return getattr(_objects[message["ref"]], message["name"])


def _getitem(message, maps):
    """``obj[key]`` of a sandbox object."""
    return _objects[message["ref"]][wire.decode(message["key"], _resolver(maps))]


def _len(message, maps):
    """``len(obj)`` of a sandbox object."""
    return len(_objects[message["ref"]])


_OPS = {"get": _get, "call": _call, "getattr": _getattr, "getitem": _getitem, "len": _len}


def _refer(value) -> dict:
    """Keep ``value`` here and send a reference to it."""
    _objects[id(value)] = value
    return {"t": "ref", "id": id(value), "type": type(value).__name__, "callable": callable(value)}


def _resolver(maps: list):
    """Turn ref, name and shm nodes of a request into objects (maps collects the mappings)."""

    def resolve(node: dict):
        if node["t"] == "ref":
            return _objects[node["id"]]
        if node["t"] == "name":
            return _setup[node["v"]]
        return _shared_array(node, maps)

    return resolve


def _shared_array(node: dict, maps: list) -> np.ndarray:
    """The grader's array argument, mapped from the file it wrote (writes go to the file)."""
    dtype, shape = np.dtype(node["dtype"]), tuple(node["shape"])
    count = int(np.prod(shape, dtype=np.int64))
    if count == 0:
        array = np.empty(shape, dtype=dtype)
    else:
        with open(node["file"], "r+b") as handle:
            mapped = mmap.mmap(handle.fileno(), count * dtype.itemsize)
        maps.append(mapped)
        array = np.frombuffer(mapped, dtype=dtype, count=count).reshape(shape)
    array.flags.writeable = bool(node.get("writeable", True))
    return array


def _describe(error: BaseException) -> dict:
    """An exception as data: its type, the nearest built-in base class and its message."""
    import builtins

    base = next(c.__name__ for c in type(error).__mro__
                if getattr(builtins, c.__name__, None) is c)
    try:
        text = str(error)[:2000]
    except BaseException:
        text = "<message could not be read>"
    return {"type": type(error).__name__[:100], "builtin": base, "message": text}
