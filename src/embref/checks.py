"""Input checks shared by every embref function.

Each check returns the value in a clean form (a Python int or float, or a
NumPy array) or raises ``ValueError`` / ``TypeError`` with a message that
echoes the bad value, in the style Keras uses (``Received: input_dim=0``).

Where Keras itself is lenient, embref is strict on purpose:

* Keras casts float indices to int32 (1.7 looks up row 1); embref raises,
  because a float index is almost always a bug in the caller.
* On the TensorFlow backend Keras wraps negative indices (-1 is row V-1);
  embref raises, because padding and vocabularies never use negative ids.
* Keras raises for an index >= V on CPU but silently clamps it under XLA;
  embref always raises.
"""

from __future__ import annotations

import math
import numbers

import numpy as np


def check_dim(value, name: str) -> int:
    """Return ``value`` if it is a positive Python or NumPy integer (not bool).

    Raises:
        ValueError: naming ``name`` and the bad value.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(
            f"`{name}` must be a positive integer. Received: {name}={value!r}"
        )
    return int(value)


def check_layer_dim(value, name: str) -> int:
    """Return ``value`` if it is a Python int > 0, as Keras 3 demands of layer sizes.

    Keras 3.15 checks ``isinstance(value, int)``, so ``np.int64(3)`` is rejected
    (with ``ValueError``) just like ``0``, ``True`` or ``3.0``; wrap NumPy sizes
    in ``int(...)``. (The functions of embref accept NumPy integers: see
    ``check_dim``.)

    Raises:
        ValueError: naming ``name``, the bad value and its type.
    """
    if not isinstance(value, int):
        raise ValueError(
            f"`{name}` must be a positive Python int (Keras 3 rejects NumPy integers "
            f"too; use int(...)). Received: {name}={value!r} (of type {type(value).__name__})"
        )
    return check_dim(value, name)  # rejects bool and values <= 0


def check_real(value, name: str) -> float:
    """Return ``value`` as a float if it is a finite real number (not bool).

    Raises:
        ValueError: naming ``name`` and the bad value (also for ints too large
            for a float, such as 10**400).
    """
    try:
        finite = math.isfinite(value)
    except (TypeError, OverflowError):
        finite = False
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not finite:
        raise ValueError(f"`{name}` must be a finite real number. Received: {name}={value!r}")
    return float(value)


def check_nonnegative(value, name: str) -> float:
    """Return ``value`` as a float if it is a finite real number >= 0 (not bool).

    Used for regularization factors and norm limits.

    Raises:
        ValueError: naming ``name`` and the bad value.
    """
    if check_real(value, name) < 0:
        raise ValueError(f"`{name}` must be >= 0. Received: {name}={value!r}")
    return float(value)


def check_mask(mask, shape: tuple) -> np.ndarray:
    """Return ``mask`` as a bool array after checking that it has ``shape``.

    Args:
        mask: bool or 0/1 array-like, e.g. shape (N, T), False at padded steps.
        shape: the shape it must have.

    Raises:
        ValueError: naming the expected and the received shape.
    """
    keep = np.asarray(mask)
    if keep.shape != tuple(shape):
        raise ValueError(
            f"`mask` must have shape {tuple(shape)}. Received: mask.shape={keep.shape}"
        )
    return keep.astype(bool)


def check_indices(indices, input_dim: int) -> np.ndarray:
    """Return ``indices`` as an integer array after checking every entry.

    Args:
        indices: array-like of integers, any shape (...), e.g. (T,) or (N, T).
        input_dim: Integer. Size of the vocabulary V; valid ids are 0..V-1.

    Returns:
        np.ndarray of an integer dtype, same shape (...) as ``indices``.

    Raises:
        TypeError: if the dtype is not integer (floats, bools, strings).
        ValueError: if an index is negative or >= input_dim; the message names
            the first bad value and its position.
    """
    input_dim = check_dim(input_dim, "input_dim")
    array = np.asarray(indices)
    if array.dtype == bool or not np.issubdtype(array.dtype, np.integer):
        raise TypeError(
            "Indices must have an integer dtype (Keras would silently truncate "
            "floats to int32; embref refuses anything that is not an integer). "
            f"Received: dtype={array.dtype}, indices={_preview(array)}"
        )
    # min/max is the fast path (two reductions); the position is found only on failure.
    if array.size and (array.min() < 0 or array.max() >= input_dim):
        bad = (array < 0) | (array >= input_dim)
        position = tuple(int(i) for i in np.argwhere(bad)[0])
        value = int(array[position])
        raise ValueError(
            f"Index {value} at position {position} is out of range for "
            f"input_dim={input_dim}: valid indices are 0..{input_dim - 1}."
        )
    return array


def check_table(embeddings) -> np.ndarray:
    """Return the embedding matrix as a 2-D float array of shape (V, D).

    Raises:
        ValueError: if the matrix is not 2-D or has an empty axis.
        TypeError: if its dtype is not floating point.
    """
    table = np.asarray(embeddings)
    if table.ndim != 2:
        raise ValueError(
            "The embedding matrix must be 2-D, shape (input_dim, output_dim). "
            f"Received: embeddings.shape={table.shape}"
        )
    if 0 in table.shape:
        raise ValueError(
            f"The embedding matrix has an empty axis. Received: embeddings.shape={table.shape}"
        )
    if not np.issubdtype(table.dtype, np.floating):
        raise TypeError(
            f"The embedding matrix must be floating point. Received: dtype={table.dtype}"
        )
    return table


def _preview(array: np.ndarray, limit: int = 6) -> str:
    """A short repr of an array for error messages."""
    flat = array.ravel()
    shown = ", ".join(repr(x.item()) for x in flat[:limit])
    more = ", ..." if flat.size > limit else ""
    return f"[{shown}{more}] (shape {array.shape})"
