"""Weight constraints: hard projections applied after each optimizer step.

``Embedding(..., embeddings_constraint=c)`` makes Keras replace the **whole**
table by ``c(W)`` after every optimizer update, rows not looked up included.
Unlike a regularizer (a soft pull through the loss), a constraint is a hard
projection: the result satisfies it exactly (up to the epsilon below).

The formulas copy ``keras.constraints`` (Keras 3.15.1) operation for
operation, epsilon included (``EPSILON = keras.backend.epsilon() = 1e-7``):

* ``UnitNorm(axis)``:  ``W / (EPSILON + norms)``;
* ``MaxNorm(max_value, axis)``:
  ``W * (clip(norms, 0, max_value) / (EPSILON + norms))``;
* ``NonNeg()``:        ``maximum(W, 0)``;

where ``norms = sqrt(sum(W**2, axis, keepdims=True))``. Consequences of that
epsilon, which the reference keeps: an all-zero vector stays zero (no
division by zero, and not unit norm); UnitNorm gives norms of
``n / (n + 1e-7)``, a hair below 1; MaxNorm also shrinks vectors that are
already short enough by the factor ``n / (n + 1e-7)``.

**Axis**: the norm is taken *along* ``axis``. Keras' default is ``axis=0``,
which for a (V, D) table means the D column norms. To constrain each word
vector (each row) use ``axis=1``, as in ``UnitNorm(axis=1)``.

Letters used in shapes: V vocabulary size, D vector size.
"""

from __future__ import annotations

import numbers

import numpy as np

from embref.checks import check_nonnegative, check_table

EPSILON = 1e-7  # keras.backend.epsilon(), Keras' default fuzz factor


def _check_axis(axis) -> tuple:
    """Return ``axis`` as a tuple of distinct axes of a 2-D table (0, 1, -1, -2 allowed)."""
    axes = axis if isinstance(axis, tuple | list) else (axis,)
    if (
        not axes
        or any(isinstance(a, bool) or not isinstance(a, numbers.Integral) for a in axes)
        or any(not -2 <= a <= 1 for a in axes)
        or len({int(a) % 2 for a in axes}) != len(axes)
    ):
        raise ValueError(
            "`axis` must be 0, 1 (or -2, -1), or a tuple of distinct such axes of the "
            f"(input_dim, output_dim) table. Received: axis={axis!r}"
        )
    return tuple(int(a) % 2 for a in axes)


def _norms(table: np.ndarray, axes: tuple) -> np.ndarray:
    """Euclidean norms along ``axes``, kept as size-1 axes: (1, D), (V, 1) or (1, 1)."""
    return np.sqrt(np.sum(np.square(table), axis=axes, keepdims=True))


def unit_norm(embeddings, axis=0) -> np.ndarray:
    """Rescale every vector along ``axis`` to norm 1, as ``keras.constraints.UnitNorm``.

    Args:
        embeddings: float matrix W, shape (V, D).
        axis: Integer or tuple. Axis the norm is taken along. 0 (Keras'
            default): each of the D columns; 1: each of the V rows.

    Returns:
        np.ndarray of shape (V, D), dtype of ``embeddings``:
        ``W / (1e-7 + norms)``. All-zero vectors stay zero.
    """
    table = check_table(embeddings)  # (V, D)
    norms = _norms(table, _check_axis(axis))  # (1, D) for axis=0, (V, 1) for axis=1
    return table / (table.dtype.type(EPSILON) + norms)  # (V, D)


def max_norm(embeddings, max_value=2, axis=0) -> np.ndarray:
    """Shrink vectors whose norm exceeds ``max_value``, as ``keras.constraints.MaxNorm``.

    Args:
        embeddings: float matrix W, shape (V, D).
        max_value: Number >= 0. Largest norm allowed (Keras' default 2).
        axis: Integer or tuple. Axis the norm is taken along; 0 (Keras'
            default) = columns, 1 = rows.

    Returns:
        np.ndarray of shape (V, D), dtype of ``embeddings``:
        ``W * (clip(norms, 0, max_value) / (1e-7 + norms))``.
    """
    table = check_table(embeddings)  # (V, D)
    max_value = check_nonnegative(max_value, "max_value")
    norms = _norms(table, _check_axis(axis))  # (1, D) or (V, 1)
    desired = np.clip(norms, 0, max_value).astype(table.dtype)
    return table * (desired / (table.dtype.type(EPSILON) + norms))  # (V, D)


def non_neg(embeddings) -> np.ndarray:
    """Set negative entries to 0, as ``keras.constraints.NonNeg``.

    Args:
        embeddings: float matrix W, shape (V, D).

    Returns:
        np.ndarray of shape (V, D), dtype of ``embeddings``: ``maximum(W, 0)``.
    """
    table = check_table(embeddings)  # (V, D)
    return np.maximum(table, table.dtype.type(0))  # (V, D)
