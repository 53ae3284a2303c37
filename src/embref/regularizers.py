"""Weight penalties on the embedding table and their gradients.

``Embedding(..., embeddings_regularizer=keras.regularizers.L2(c))`` adds
``c * sum(W**2)`` to the loss, summed over the **whole** table, every step
(Keras keeps it in ``layer.losses``). The penalty is a soft pull towards 0.

Its gradient ``2*c*W`` is dense: every row gets a gradient, looked up or not.
So with a regularizer the table's total gradient is a dense tensor, not the
sparse ``tf.IndexedSlices`` of the lookup alone, and plain SGD moves every row.

The formulas match ``keras.regularizers.L1``, ``L2`` and ``L1L2``:

* ``L1(l1)``:      ``l1 * sum(|W|)``, gradient ``l1 * sign(W)`` (0 at W = 0,
  the subgradient TensorFlow uses for ``abs``);
* ``L2(l2)``:      ``l2 * sum(W**2)``, gradient ``2 * l2 * W``;
* ``L1L2(l1, l2)``: the sum of both.

Keras' defaults differ by name: ``L1()`` and ``L2()`` use 0.01, ``L1L2()``
(also exported as ``keras.regularizers.l1_l2``) uses 0.0 for both, so it adds
nothing unless given factors. The functions below keep those defaults. Note
(Keras 3.15.1): the ``L1L2`` docstring promises that the string ``"l1_l2"``
means 0.01 and 0.01, but ``regularizers.get("l1_l2")`` raises ValueError and
the string that does resolve, ``"l1l2"``, gives factors 0.0 and 0.0.

Letters used in shapes: V vocabulary size, D vector size.
"""

from __future__ import annotations

import numpy as np

from embref.checks import check_nonnegative, check_table


def l1_penalty(embeddings, l1: float = 0.01) -> float:
    """L1 penalty ``l1 * sum(|W|)`` over the whole table.

    Args:
        embeddings: float matrix W, shape (V, D).
        l1: Float >= 0. Regularization factor.

    Returns:
        Python float (computed in float64).
    """
    table = check_table(embeddings).astype(np.float64)  # (V, D)
    return check_nonnegative(l1, "l1") * float(np.sum(np.abs(table)))


def l2_penalty(embeddings, l2: float = 0.01) -> float:
    """L2 penalty ``l2 * sum(W**2)`` over the whole table (no 1/2 factor).

    Args:
        embeddings: float matrix W, shape (V, D).
        l2: Float >= 0. Regularization factor.

    Returns:
        Python float (computed in float64).
    """
    table = check_table(embeddings).astype(np.float64)  # (V, D)
    return check_nonnegative(l2, "l2") * float(np.sum(np.square(table)))


def l1_l2_penalty(embeddings, l1: float = 0.0, l2: float = 0.0) -> float:
    """``l1 * sum(|W|) + l2 * sum(W**2)``, as ``keras.regularizers.L1L2``.

    Args:
        embeddings: float matrix W, shape (V, D).
        l1, l2: Floats >= 0. Both default to 0.0, as in ``L1L2()``.

    Returns:
        Python float (computed in float64).
    """
    return l1_penalty(embeddings, l1) + l2_penalty(embeddings, l2)


def l1_penalty_gradient(embeddings, l1: float = 0.01) -> np.ndarray:
    """Gradient of ``l1_penalty``: ``l1 * sign(W)``, 0 where W == 0.

    Args:
        embeddings: float matrix W, shape (V, D).
        l1: Float >= 0.

    Returns:
        np.ndarray of shape (V, D), dtype of ``embeddings``; dense.
    """
    table = check_table(embeddings)  # (V, D)
    return table.dtype.type(check_nonnegative(l1, "l1")) * np.sign(table)  # (V, D)


def l2_penalty_gradient(embeddings, l2: float = 0.01) -> np.ndarray:
    """Gradient of ``l2_penalty``: ``2 * l2 * W``, nonzero in every nonzero row.

    Args:
        embeddings: float matrix W, shape (V, D).
        l2: Float >= 0.

    Returns:
        np.ndarray of shape (V, D), dtype of ``embeddings``; dense.
    """
    table = check_table(embeddings)  # (V, D)
    return table.dtype.type(2 * check_nonnegative(l2, "l2")) * table  # (V, D)


def l1_l2_penalty_gradient(embeddings, l1: float = 0.0, l2: float = 0.0) -> np.ndarray:
    """Gradient of ``l1_l2_penalty``: ``l1 * sign(W) + 2 * l2 * W``.

    Args:
        embeddings: float matrix W, shape (V, D).
        l1, l2: Floats >= 0.

    Returns:
        np.ndarray of shape (V, D), dtype of ``embeddings``; dense.
    """
    return l1_penalty_gradient(embeddings, l1) + l2_penalty_gradient(embeddings, l2)
