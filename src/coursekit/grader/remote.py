"""The grader's side of a sandboxed student's objects: proxies and their errors.

A test cell judged by the grader sees the student's functions as
:class:`RemoteObject` proxies: calling one sends the (trusted) arguments into
the sandbox, runs the student's code there, and brings back the result as
plain data (:mod:`coursekit.grader.wire`) - or, for objects that are not data (a
layer instance, a class), another proxy. An exception raised by the student's
code comes back as :class:`RemoteError`, a subclass of the nearest built-in
exception class, so ``except ValueError`` in a test works as at home.
"""

from __future__ import annotations

import builtins

from coursekit.grader import wire


class RemoteError(Exception):
    """Raised by the student's code in the sandbox (``kind`` is its type name there)."""

    kind = "Exception"


_ERROR_CLASSES: dict[str, type] = {}


def remote_error(described: dict) -> BaseException:
    """The exception to raise for an error description sent by the sandbox."""
    base_name = str(described.get("builtin", "Exception"))
    base = getattr(builtins, base_name, Exception)
    if not (isinstance(base, type) and issubclass(base, Exception)):
        base = Exception  # KeyboardInterrupt, SystemExit... are reported, not re-raised as such
    if base_name not in _ERROR_CLASSES:
        _ERROR_CLASSES[base_name] = type(base.__name__, (RemoteError, base), {})
    error = _ERROR_CLASSES[base_name](str(described.get("message", ""))[:2000])
    error.kind = str(described.get("type", base.__name__))[:100]
    return error


class RemoteObject:
    """A proxy for an object that lives in the sandboxed kernel."""

    __slots__ = ("_session", "_ref", "_type", "_callable")

    def __init__(self, session, node: dict):
        self._session = session
        self._ref = int(node["id"])
        self._type = str(node.get("type", "object"))[:100]
        self._callable = bool(node.get("callable"))

    def __call__(self, *args, **kwargs):
        return self._session.request({
            "op": "call", "ref": self._ref,
            "args": [self._session.encode(a) for a in args],
            "kwargs": [[k, self._session.encode(v)] for k, v in kwargs.items()],
        })

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return self._session.request({"op": "getattr", "ref": self._ref, "name": name})

    def __getitem__(self, key):
        return self._session.request({"op": "getitem", "ref": self._ref,
                                      "key": self._session.encode(key)})

    def __len__(self) -> int:
        length = self._session.request({"op": "len", "ref": self._ref})
        if not isinstance(length, int) or length < 0:
            raise TypeError("len() of the student's object is not a non-negative integer")
        return length

    def __repr__(self) -> str:
        return f"<{self._type} object>"  # what Python shows at home, less the address

    @property
    def is_callable(self) -> bool:
        """Whether the object is callable in the sandbox."""
        return self._callable

    def peak_bytes(self, *args) -> int:
        """Call the object and return its peak memory growth, measured outside the sandbox."""
        return self._session.peak_bytes(self, args)


def decode_reply(session, reply: dict):
    """The value of a sandbox reply; raises the student's error for a 'raised' reply."""
    if not isinstance(reply, dict):
        raise wire.WireError("a reply that is not an object")
    if "raised" in reply and isinstance(reply["raised"], dict):
        raise remote_error(reply["raised"])
    if "ok" not in reply:
        raise wire.WireError("a reply without a value")
    return wire.decode(reply["ok"], lambda node: _proxy(session, node))


def _proxy(session, node: dict) -> RemoteObject:
    """A proxy for a reference node (names only travel from the grader to the sandbox)."""
    if node.get("t") != "ref" or not isinstance(node.get("id"), int):
        raise wire.WireError("a reference without an id")
    return RemoteObject(session, node)
