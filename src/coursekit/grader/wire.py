"""The wire format between the grader and a sandboxed kernel: plain JSON, no pickle.

Values cross the sandbox boundary as small tagged JSON trees, so the grader
never unpickles or evaluates anything the student's process produced:

* ``{"t": "py", "v": ...}``: None, bool, int, str, or a finite float;
* ``{"t": "float", "v": "nan" | "inf" | "-inf"}``;
* ``{"t": "nd", "dtype": "<f4", "shape": [...], "b64": ...}``: a NumPy array
  (or a NumPy scalar with ``"scalar": true``) of a plain numeric, bool or
  string dtype; object dtypes are refused;
* ``{"t": "list" | "tuple", "v": [...]}``, ``{"t": "dict", "v": [[key, value], ...]}``;
* ``{"t": "ref", "id": n, "type": "name", "callable": bool}``: an object that
  stays in the sandbox (a function, a layer), used through a proxy;
* ``{"t": "name", "v": "loss"}`` (grader to sandbox only): the object bound to
  that name in the notebook's read-only setup cell, e.g. a function a test
  passes to the student's gradient check;
* ``{"t": "shm", "file": path, "dtype": "<f4", "shape": [...], "writeable": bool}``
  (grader to sandbox only): an array argument in a file the grader wrote and
  reads back after the call (in-place changes show in the grader's array).

Strings and array bytes of one value count against one budget (MAX_BYTES), and
so do its items (MAX_ITEMS): nothing the sandbox sends is unbounded.

This module is imported on both sides; it needs only NumPy.
"""

from __future__ import annotations

import base64
import math

import numpy as np

MAX_ITEMS = 100_000
"""Most list/dict items one reply may hold (all levels together)."""

MAX_BYTES = 32 * 2**20
"""Most array bytes and string characters one value may hold, all together."""


class WireError(ValueError):
    """A message that is not in the wire format (or is over its limits)."""


def encode(value, refer, array=None) -> dict:
    """Encode ``value``; objects that are not plain data become ``refer(value)``.

    ``array(ndarray)``, when given, encodes NumPy arrays (not scalars) instead,
    e.g. as shared-memory files.
    """
    if value is None or isinstance(value, bool | str):
        return {"t": "py", "v": value}
    if isinstance(value, int) and not isinstance(value, bool):
        return {"t": "py", "v": value}
    if isinstance(value, float):
        return {"t": "py", "v": value} if math.isfinite(value) else {"t": "float", "v": str(value)}
    if array is not None and isinstance(value, np.ndarray):
        return array(value)
    if isinstance(value, np.ndarray | np.generic):
        return _encode_array(np.asarray(value), scalar=isinstance(value, np.generic))
    if _is_tensor(value):
        return _encode_array(np.asarray(value.numpy()), scalar=False)
    if isinstance(value, list | tuple) and type(value) in (list, tuple):
        return {"t": type(value).__name__, "v": [encode(v, refer, array) for v in value]}
    if type(value) is dict and all(isinstance(k, str) for k in value):
        return {"t": "dict", "v": [[k, encode(v, refer, array)] for k, v in value.items()]}
    return refer(value)


def decode(tree, resolve, budget=None):
    """Decode a wire tree; ``resolve(node)`` turns ref/name nodes into objects.

    Raises:
        WireError: on anything that is not well-formed, or over MAX_ITEMS / MAX_BYTES.
    """
    budget = budget if budget is not None else {"items": MAX_ITEMS, "bytes": MAX_BYTES}
    if not isinstance(tree, dict) or not isinstance(tree.get("t"), str):
        raise WireError(f"not a wire value: {str(tree)[:80]}")
    budget["items"] -= 1
    if budget["items"] < 0:
        raise WireError(f"more than {MAX_ITEMS} items in one value")
    kind, value = tree["t"], tree.get("v")
    if kind == "py":
        if isinstance(value, str):
            _spend(budget, len(value))
            return value
        if value is None or isinstance(value, bool | int):
            return value
        if isinstance(value, float) and math.isfinite(value):
            return value
        raise WireError(f"bad plain value: {str(value)[:80]}")
    if kind == "float":
        if value not in ("nan", "inf", "-inf"):
            raise WireError(f"bad float: {str(value)[:80]}")
        return float(value)
    if kind == "nd":
        return _decode_array(tree, budget)
    if kind in ("list", "tuple"):
        if not isinstance(value, list):
            raise WireError("a list without items")
        items = [decode(v, resolve, budget) for v in value]
        return items if kind == "list" else tuple(items)
    if kind == "dict":
        if not isinstance(value, list) or not all(
            isinstance(p, list) and len(p) == 2 and isinstance(p[0], str) for p in value
        ):
            raise WireError("a dict whose items are not [str, value] pairs")
        return {k: decode(v, resolve, budget) for k, v in value}
    if kind in ("ref", "name", "shm"):
        return resolve(tree)
    raise WireError(f"unknown kind {kind!r}")


def _encode_array(array: np.ndarray, scalar: bool) -> dict:
    """An array of a plain dtype as base64 bytes; object arrays are refused."""
    if array.dtype.hasobject or array.dtype.kind not in "biufcSU":
        raise TypeError(f"arrays of dtype {array.dtype} cannot leave the sandbox")
    data = array.copy(order="C")  # (ascontiguousarray would turn a 0-d array into 1-d)
    return {"t": "nd", "dtype": data.dtype.str, "shape": list(data.shape), "scalar": scalar,
            "b64": base64.b64encode(data.tobytes()).decode("ascii")}


def _decode_array(tree: dict, budget: dict):
    """Rebuild an array from its dtype, shape and bytes, checking they agree."""
    try:
        dtype = np.dtype(tree["dtype"])
        shape = tuple(int(n) for n in tree["shape"])
        raw = base64.b64decode(tree["b64"], validate=True)
    except (KeyError, TypeError, ValueError) as error:
        raise WireError(f"bad array: {error}") from None
    if dtype.hasobject or dtype.kind not in "biufcSU" or any(n < 0 for n in shape):
        raise WireError(f"bad array dtype or shape: {dtype}, {shape}")
    _spend(budget, len(raw))
    if len(raw) != dtype.itemsize * math.prod(shape):
        raise WireError(f"array bytes do not match dtype {dtype} and shape {shape}")
    array = np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
    return array[()] if tree.get("scalar") else array


def _spend(budget: dict, size: int) -> None:
    """Count ``size`` bytes of strings or arrays against the value's budget."""
    budget["bytes"] -= size
    if budget["bytes"] < 0:
        raise WireError(f"more than {MAX_BYTES} bytes of arrays and text in one value")


def _is_tensor(value) -> bool:
    """A TensorFlow/Keras tensor or variable (converted to a NumPy array on the way out)."""
    module = type(value).__module__ or ""
    return module.split(".")[0] in ("tensorflow", "keras") and hasattr(value, "numpy")
