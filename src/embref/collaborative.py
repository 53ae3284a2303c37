"""Collaborative filtering: two embedding tables, a dot product and two biases.

A rating model for users and items, each known only by an integer id:

    rating(u, i) = U[u] . V[i] + user_bias[u] + item_bias[i] + mu

``U[u]`` is ``one_hot(u) @ U``, a row lookup exactly like a word's vector
(see ``embref.views``), and so is ``V[i]``. In Keras: two ``Embedding``
layers, a ``Dot``, two ``Embedding(n, 1)`` layers for the biases and a
constant ``mu``. The letters below are this module's, not the vocabulary's:

    n    ratings in a batch (pairs of ids)
    NU   users: rows of U and of user_bias   (input_dim of the user tables)
    NI   items: rows of V and of item_bias   (input_dim of the item tables)
    D    latent factors: columns of U and V  (output_dim)

Training minimises the mean squared error over the rated pairs. Its gradient
reaches only the rows that were looked up, through a scatter-add
(``np.add.at``), as for words: an id with no ratings gets no gradient.

The factors are not identified by the ratings: ``U @ A`` and
``V @ inv(A).T`` give the same dot products for any invertible (D, D) ``A``,
and a shift of ``U`` by a vector c only moves ``c . V[i]`` into the item
biases. ``align_factors`` finds the affine map that best carries one set of
factors onto another, so learned and true factors can be compared.

Example:
    >>> U, V = np.eye(2), np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> predict([0, 1], [1, 0], U, V, np.zeros(2), np.array([0.5, 0.0]), 3.0)
    array([6. , 5.5])
"""

from __future__ import annotations

import numpy as np

from embref.checks import check_indices, check_real, check_table


def _check_model(user_ids, item_ids, U, V, user_bias, item_bias):
    """Validated (users (n,), items (n,), U, V, user_bias (NU,), item_bias (NI,))."""
    U, V = check_table(U), check_table(V)
    if U.shape[1] != V.shape[1]:
        raise ValueError(
            "U and V must have the same number of columns D. "
            f"Received: U.shape={U.shape}, V.shape={V.shape}"
        )
    users = check_indices(user_ids, U.shape[0]).ravel()  # (n,)
    items = check_indices(item_ids, V.shape[0]).ravel()  # (n,)
    if users.shape != items.shape:
        raise ValueError(
            "user_ids and item_ids must hold the same number of ids. "
            f"Received: {users.size} user ids and {items.size} item ids"
        )
    biases = []
    for name, bias, rows in (("user_bias", user_bias, U.shape[0]),
                             ("item_bias", item_bias, V.shape[0])):
        bias = np.asarray(bias, dtype=float).reshape(-1)
        if bias.shape != (rows,):
            raise ValueError(f"{name} must hold {rows} numbers, one per row of its table. "
                             f"Received: {name}.size={bias.size}")
        biases.append(bias)
    return users, items, U, V, *biases


def predict(user_ids, item_ids, U, V, user_bias, item_bias, mu) -> np.ndarray:
    """Predicted ratings ``U[u] . V[i] + user_bias[u] + item_bias[i] + mu``.

    Args:
        user_ids: integers, shape (n,) (or (n, 1), as Keras inputs often are).
        item_ids: integers, same number n of ids.
        U: (NU, D) user table.
        V: (NI, D) item table.
        user_bias: (NU,) or (NU, 1), as an ``Embedding(NU, 1)`` holds it.
        item_bias: (NI,) or (NI, 1).
        mu: float, the overall level (the training mean, say).

    Returns:
        (n,) float array.
    """
    users, items, U, V, bu, bi = _check_model(user_ids, item_ids, U, V, user_bias, item_bias)
    mu = check_real(mu, "mu")
    dots = np.sum(U[users] * V[items], axis=1)  # (n,)
    return dots + bu[users] + bi[items] + mu


def mse_loss(ratings, user_ids, item_ids, U, V, user_bias, item_bias, mu) -> float:
    """Mean squared error of ``predict(...)`` against ``ratings`` (n,): Keras' "mse"."""
    predicted = predict(user_ids, item_ids, U, V, user_bias, item_bias, mu)  # (n,)
    ratings = np.asarray(ratings, dtype=float).reshape(-1)
    if ratings.shape != predicted.shape:
        raise ValueError(f"ratings must hold one number per pair ({predicted.size}). "
                         f"Received: ratings.size={ratings.size}")
    return float(np.mean((predicted - ratings) ** 2))


def mse_gradients(ratings, user_ids, item_ids, U, V, user_bias, item_bias, mu) -> dict:
    """Gradients of ``mse_loss`` with respect to U, V and the two biases.

    With e = predicted - ratings (n,), the loss is mean(e**2), so each pair
    contributes g = 2 e / n and

        dU[u] += g * V[i]    dV[i] += g * U[u]    d user_bias[u] += g    d item_bias[i] += g

    summed over the pairs by a scatter-add: a repeated id adds up, an id that
    does not occur gets a zero row.

    Returns:
        {"U": (NU, D), "V": (NI, D), "user_bias": (NU,), "item_bias": (NI,)}
    """
    users, items, U, V, bu, bi = _check_model(user_ids, item_ids, U, V, user_bias, item_bias)
    ratings = np.asarray(ratings, dtype=float).reshape(-1)
    predicted = predict(users, items, U, V, bu, bi, mu)  # (n,)
    g = 2.0 * (predicted - ratings) / predicted.size  # (n,)
    grads = {"U": np.zeros(U.shape), "V": np.zeros(V.shape),
             "user_bias": np.zeros(bu.shape), "item_bias": np.zeros(bi.shape)}
    np.add.at(grads["U"], users, g[:, None] * V[items])  # (NU, D)
    np.add.at(grads["V"], items, g[:, None] * U[users])  # (NI, D)
    np.add.at(grads["user_bias"], users, g)  # (NU,)
    np.add.at(grads["item_bias"], items, g)  # (NI,)
    return grads


def align_factors(learned, target) -> tuple[np.ndarray, np.ndarray]:
    """The affine map that best carries ``learned`` onto ``target``, by least squares.

    Solves ``[learned, 1] @ A ~ target`` for A (D + 1, D). With equal L2
    penalties on both tables the best map is close to a rotation (the
    orthogonal Procrustes problem); without them it can be any invertible map.

    Args:
        learned: (n, D) rows to move, e.g. learned item vectors.
        target: (n, D) rows to reach, e.g. the true item vectors.

    Returns:
        (aligned (n, D), A (D + 1, D)): ``aligned = [learned, 1] @ A``.
    """
    learned, target = check_table(learned), check_table(target)
    if learned.shape != target.shape:
        raise ValueError("learned and target must have the same shape. "
                         f"Received: {learned.shape} and {target.shape}")
    design = np.hstack([learned, np.ones((learned.shape[0], 1))])  # (n, D + 1)
    A, *_ = np.linalg.lstsq(design, target, rcond=None)  # (D + 1, D)
    return design @ A, A
