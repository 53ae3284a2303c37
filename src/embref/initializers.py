"""Starting values for the embedding matrix, drawn with NumPy.

An initializer is anything that can be called as ``fn(shape, dtype)`` and
returns an array of that shape. ``get`` turns the short forms the layer
accepts into such a function:

* ``"uniform"`` (Keras' default for Embedding): U(-0.05, 0.05), drawn with a
  seeded ``np.random.Generator``. Keras draws from the same interval with its
  own random stream, so the two agree in distribution, not value by value.
* ``"zeros"`` / ``"ones"``: constant matrices.
* an array or a number: a constant, broadcast to the shape the way
  ``keras.initializers.Constant`` does; this is how pre-trained vectors of
  shape (V, D) are loaded.
* any other callable: used as it is.

Example:
    >>> fn = get("uniform", seed=0)
    >>> fn((3, 2), np.float32).shape
    (3, 2)
"""

from __future__ import annotations

import numbers

import numpy as np


class RandomUniform:
    """Draw every entry independently from U(minval, maxval).

    Args:
        minval: Float. Lower end of the interval (Keras' default -0.05).
        maxval: Float. Upper end of the interval (Keras' default 0.05).
        seed: Integer or None. Seed of the ``np.random.Generator``; the same
            seed gives the same matrix.
    """

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed=None):
        if not minval < maxval:
            raise ValueError(
                f"`minval` must be smaller than `maxval`. Received: minval={minval}, "
                f"maxval={maxval}"
            )
        self.minval = minval
        self.maxval = maxval
        self.seed = seed
        self._rng = np.random.default_rng(seed)

    def __call__(self, shape, dtype=np.float32) -> np.ndarray:
        """Return a fresh array of ``shape`` (e.g. (V, D)) with uniform entries."""
        draws = self._rng.uniform(self.minval, self.maxval, size=shape)
        return draws.astype(dtype)


class Constant:
    """Fill the matrix with a fixed value: a number, a row, or a whole (V, D) array.

    The value is broadcast to the requested shape with NumPy's rules, as
    ``keras.initializers.Constant`` does; a value that cannot be broadcast
    raises ``ValueError`` naming both shapes.
    """

    def __init__(self, value):
        self.value = np.asarray(value)
        if not (np.issubdtype(self.value.dtype, np.number) and self.value.dtype != bool):
            raise TypeError(
                f"A constant initializer needs numbers. Received: dtype={self.value.dtype}"
            )

    def __call__(self, shape, dtype=np.float32) -> np.ndarray:
        """Return ``value`` broadcast to ``shape`` as a new, writable array."""
        try:
            filled = np.broadcast_to(self.value, shape)
        except ValueError:
            raise ValueError(
                f"The constant of shape {self.value.shape} cannot fill a weight of "
                f"shape {tuple(shape)}. Received: value.shape={self.value.shape}"
            ) from None
        return np.array(filled, dtype=dtype)


def get(identifier, seed=None):
    """Return an initializer function ``fn(shape, dtype) -> np.ndarray``.

    Args:
        identifier: ``"uniform"`` (alias ``"random_uniform"``), ``"zeros"``,
            ``"ones"``, a number or array (a constant), or a callable.
        seed: Integer or None. Used by ``"uniform"`` only.

    Raises:
        ValueError: for an unknown name; the message lists the known ones.
        TypeError: for anything else that is not a callable or numbers.
    """
    if isinstance(identifier, str):
        name = identifier.lower()
        if name in ("uniform", "random_uniform"):
            return RandomUniform(seed=seed)
        if name == "zeros":
            return Constant(0.0)
        if name == "ones":
            return Constant(1.0)
        raise ValueError(
            "Unknown initializer: expected 'uniform', 'zeros', 'ones', an array or a "
            f"callable. Received: embeddings_initializer={identifier!r}"
        )
    if callable(identifier):
        return identifier
    if isinstance(identifier, numbers.Number | np.ndarray | list | tuple):
        return Constant(identifier)
    raise TypeError(
        "An initializer must be a name, a callable or an array. "
        f"Received: embeddings_initializer={identifier!r}"
    )
