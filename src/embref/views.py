"""One layer, two views: one-hot x dense matrix versus gather.

An Embedding layer with matrix W of shape (V, D) maps integer ids to rows of
W. Two computations give the same numbers:

* the **dense view**: build the one-hot matrix (..., V) and multiply by W;
* the **gather view**: read row ``W[i]`` for every id ``i``.

Letters used in shapes: V vocabulary size (``input_dim``), D vector size
(``output_dim``), n number of ids looked up, (...) any batch shape, e.g. (T,)
or (N, T).

Example:
    >>> W = np.array([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]])
    >>> gather_view([2, 0], W)
    array([[0.5, 0.6],
           [0.1, 0.2]])
"""

from __future__ import annotations

import numbers

import numpy as np

from embref.checks import check_dim, check_indices, check_table


def one_hot(indices, input_dim: int, dtype=np.float32) -> np.ndarray:
    """One-hot encode integer ids.

    Args:
        indices: integer array-like, shape (...), every id in 0..V-1.
        input_dim: Integer. Vocabulary size V.
        dtype: dtype of the result (float32, like Keras' compute dtype).

    Returns:
        np.ndarray of shape (..., V): 1 at position ``indices[...]``, else 0.
    """
    ids = check_indices(indices, input_dim)
    encoded = np.zeros(ids.shape + (input_dim,), dtype=dtype)  # (..., V)
    np.put_along_axis(encoded, ids[..., None], 1, axis=-1)
    return encoded


def dense_view(indices, embeddings) -> np.ndarray:
    """Embed ids the long way: ``one_hot(indices, V) @ embeddings``.

    Args:
        indices: integer array-like, shape (...).
        embeddings: float matrix W, shape (V, D).

    Returns:
        np.ndarray of shape (..., D) and the dtype of ``embeddings``.
    """
    table = check_table(embeddings)  # (V, D)
    encoded = one_hot(indices, table.shape[0], dtype=table.dtype)  # (..., V)
    return encoded @ table  # (..., D)


def gather_view(indices, embeddings) -> np.ndarray:
    """Embed ids the way the layer does: read rows of the matrix.

    Args:
        indices: integer array-like, shape (...).
        embeddings: float matrix W, shape (V, D).

    Returns:
        np.ndarray of shape (..., D): ``out[...] = embeddings[indices[...]]``.
    """
    table = check_table(embeddings)  # (V, D)
    ids = check_indices(indices, table.shape[0])  # (...)
    return np.take(table, ids, axis=0)  # (..., D)


def view_costs(n: int, input_dim: int, output_dim: int, itemsize: int = 4) -> dict:
    """Count the work each view does to embed ``n`` ids.

    Args:
        n: Integer >= 0. Number of ids looked up (all batch axes multiplied).
        input_dim: Integer. Vocabulary size V.
        output_dim: Integer. Vector size D.
        itemsize: Integer. Bytes per float (4 for float32).

    Returns:
        dict with, for the dense view, ``dense_multiply_adds`` (n*V*D) and
        ``one_hot_bytes`` (the n*V one-hot matrix), and for the gather view
        ``gather_reads`` (n*D values read); ``output_bytes`` (n*D floats) is
        common to both.
    """
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0:
        raise ValueError(f"`n` must be an integer >= 0. Received: n={n!r}")
    v = check_dim(input_dim, "input_dim")
    d = check_dim(output_dim, "output_dim")
    itemsize = check_dim(itemsize, "itemsize")
    return {
        "dense_multiply_adds": int(n) * v * d,
        "one_hot_bytes": int(n) * v * itemsize,
        "gather_reads": int(n) * d,
        "output_bytes": int(n) * d * itemsize,
    }

