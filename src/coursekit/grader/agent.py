"""The sandbox side of grading: answers the grader's requests inside the student's kernel.

The grader imports this module in the sandboxed kernel and then sends
requests as ``coursekit.grader.agent.handle(REQUEST_JSON)`` user expressions. Each
request names objects of the student's notebook and what to do with them
(read a name, call a function, read an attribute...); the reply is a wire
tree (:mod:`coursekit.grader.wire`). Nothing here is trusted: the student's code can
replace this module, and the grader treats every reply as untrusted data. What
a reply can say is only what the student's own code could compute from the
inputs it was given; the expected values never enter the sandbox.
"""

from __future__ import annotations

import json

from coursekit.grader import wire

_objects: dict[int, object] = {}
_snapshots: dict[str, dict[str, object]] = {}


def snapshot(key: str, names: list[str]) -> None:
    """Remember the objects bound now to ``names`` in the notebook, under ``key``."""
    namespace = get_ipython().user_ns  # noqa: F821 - IPython's builtin
    _snapshots[key] = {name: namespace[name] for name in names if name in namespace}


def handle(request: str) -> str:
    """Run one request (a JSON string) and return the reply as a JSON string."""
    try:
        message = json.loads(request)
        value = _OPS[message["op"]](message)
        return json.dumps({"ok": wire.encode(value, _refer)})
    except BaseException as error:  # the student's code may raise anything
        return json.dumps({"raised": _describe(error)})


def _get(message):
    """The object a test cell sees under a name, as of the cell's place in the notebook."""
    found = _snapshots.get(message["key"], {})
    if message["name"] not in found:
        raise NameError(f"name {message['name']!r} is not defined")
    return found[message["name"]]


def _call(message):
    """Call a sandbox object (or a function of the setup cell) with decoded arguments."""
    if "ref" in message:
        target = _objects[message["ref"]]
    else:
        target = _snapshots["__setup__"][message["name"]]
    args = [wire.decode(a, _resolve) for a in message["args"]]
    kwargs = {k: wire.decode(v, _resolve) for k, v in message["kwargs"]}
    return target(*args, **kwargs)


def _getattr(message):
    """An attribute of a sandbox object."""
    return getattr(_objects[message["ref"]], message["name"])


def _getitem(message):
    """``obj[key]`` of a sandbox object."""
    return _objects[message["ref"]][wire.decode(message["key"], _resolve)]


def _len(message):
    """``len(obj)`` of a sandbox object."""
    return len(_objects[message["ref"]])


_OPS = {"get": _get, "call": _call, "getattr": _getattr, "getitem": _getitem, "len": _len}


def _refer(value) -> dict:
    """Keep ``value`` here and send a reference to it."""
    _objects[id(value)] = value
    return {"t": "ref", "id": id(value), "type": type(value).__name__, "callable": callable(value)}


def _resolve(node: dict):
    """A reference sent back by the grader, or a name of the read-only setup cell."""
    if node["t"] == "ref":
        return _objects[node["id"]]
    return _snapshots["__setup__"][node["v"]]


def _describe(error: BaseException) -> dict:
    """An exception as data: its type, the nearest built-in base class and its message."""
    import builtins

    base = next(c.__name__ for c in type(error).__mro__
                if getattr(builtins, c.__name__, None) is c)
    try:
        text = str(error)[:2000]
    except BaseException:
        text = "<message could not be read>"
    return {"type": type(error).__name__, "builtin": base, "message": text}
