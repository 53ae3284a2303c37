"""The Embedding layer in NumPy, with the Keras life cycle.

``Embedding`` mirrors ``keras.layers.Embedding`` step by step, without
TensorFlow: ``__init__`` stores the settings, ``build`` creates one weight of
shape (V, D) through ``add_weight``, ``call`` reads rows of it, and
``compute_mask`` marks the padding id 0. The bookkeeping that Keras does for
every layer (``weights``, ``trainable_weights``, ``get_weights``,
``set_weights``, ``count_params``, ``losses``, ``get_config``) is written out
here in plain Python so it can be read in one sitting.

Letters in shapes: V vocabulary size (``input_dim``), D vector size
(``output_dim``), (...) any batch shape such as (N,), (N, T) or (N, T, K).

Where the two differ, on purpose:

* Bad ids. Keras truncates float ids with an int32 cast (1.7 reads row 1),
  wraps negative ids on the TensorFlow backend (-1 reads row V-1), and raises
  for ids >= V on CPU but clamps them under XLA. This layer uses
  ``embref.views.gather_view``, so it raises instead: ``TypeError`` for a
  non-integer dtype, ``ValueError`` naming the first id outside 0..V-1. It
  never returns an answer that differs from Keras.
* Random starting values. ``"uniform"`` draws from the same interval as
  Keras, U(-0.05, 0.05), but from NumPy's generator seeded with ``seed``.
* Regularizers and constraints are plain callables (W -> float and
  W -> W); the optimizer step lives elsewhere, so after changing the weights
  call ``apply_constraint()``, which is what a Keras optimizer does after
  each update.

Example:
    >>> layer = Embedding(5, 2, mask_zero=True, seed=0)
    >>> layer(np.array([[1, 0, 3]])).shape          # (N, T, D)
    (1, 3, 2)
    >>> layer.compute_mask(np.array([[1, 0, 3]]))
    array([[ True, False,  True]])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from embref import initializers
from embref.checks import check_layer_dim
from embref.views import gather_view


def _check_callable(value, name: str):
    """Return ``value`` if it is None or callable, else raise ``TypeError`` naming it."""
    if value is not None and not callable(value):
        raise TypeError(f"`{name}` must be None or a callable. Received: {name}={value!r}")
    return value


@dataclass
class Weight:
    """One weight of a layer: its array and what training does with it.

    Attributes:
        name: String, e.g. ``"embeddings"``.
        value: np.ndarray (float32), e.g. shape (V, D); updated in place.
        trainable: Boolean. Whether an optimizer may change it.
        regularizer: None or a callable value -> float, added to the loss.
        constraint: None or a callable value -> value, applied after updates.
    """

    name: str
    value: np.ndarray
    trainable: bool = True
    regularizer: Callable | None = None
    constraint: Callable | None = None


class Embedding:
    """Turns integer ids into rows of a trainable (V, D) matrix.

    Args:
        input_dim: Integer. Size of the vocabulary V: ids run 0..V-1.
        output_dim: Integer. Size D of each vector.
        embeddings_initializer: ``"uniform"`` (default, U(-0.05, 0.05)),
            ``"zeros"``, ``"ones"``, an array (e.g. pre-trained (V, D) vectors)
            or a callable ``fn(shape, dtype)``. See ``embref.initializers``.
        embeddings_regularizer: None or a callable W -> float (a penalty),
            e.g. ``functools.partial(embref.regularizers.l2_penalty, l2=0.01)``.
        embeddings_constraint: None or a callable W -> W (a projection),
            e.g. ``functools.partial(embref.constraints.unit_norm, axis=1)``.
        mask_zero: Boolean. If True, id 0 is padding and ``compute_mask``
            returns ``inputs != 0``; V must then leave id 0 free.
        weights: Optional (V, D) array, or a list holding one: the starting
            matrix. The layer is built at once and the matrix copied in.
        trainable: Boolean. False freezes the matrix (no trainable weights).
        seed: Integer or None. Seed for the ``"uniform"`` initializer.
        name: String or None (default ``"embedding"``).

    Input shape:
        Integer array of any shape (...), e.g. (N, T).

    Output shape:
        float32 array of shape (..., D), e.g. (N, T, D).
    """

    def __init__(
        self,
        input_dim,
        output_dim,
        embeddings_initializer="uniform",
        embeddings_regularizer=None,
        embeddings_constraint=None,
        mask_zero=False,
        weights=None,
        trainable=True,
        seed=None,
        name=None,
    ):
        self.input_dim = check_layer_dim(input_dim, "input_dim")
        self.output_dim = check_layer_dim(output_dim, "output_dim")
        self.embeddings_initializer = embeddings_initializer
        self.embeddings_regularizer = _check_callable(
            embeddings_regularizer, "embeddings_regularizer"
        )
        self.embeddings_constraint = _check_callable(embeddings_constraint, "embeddings_constraint")
        self.mask_zero = bool(mask_zero)
        self.trainable = bool(trainable)
        self.seed = seed
        self.name = name if name is not None else "embedding"
        self.built = False
        self._weights: list[Weight] = []
        if weights is not None:
            self.build()
            if not (isinstance(weights, list | tuple) and len(weights) == 1):
                weights = [weights]  # a bare (V, D) matrix, as Keras allows
            self.set_weights(weights)

    def add_weight(
        self, name, shape, initializer, regularizer=None, constraint=None, trainable=True
    ) -> np.ndarray:
        """Create a float32 weight of ``shape``, record it, and return its array."""
        shape = tuple(shape)
        fn = initializers.get(initializer, seed=self.seed)
        value = np.array(fn(shape, np.float32), dtype=np.float32)
        if value.shape != shape:
            raise ValueError(
                f"The initializer of weight '{name}' returned shape {value.shape}, "
                f"expected {shape}. Received: embeddings_initializer={initializer!r}"
            )
        self._weights.append(Weight(name, value, bool(trainable), regularizer, constraint))
        return value

    def build(self, input_shape=None):
        """Create the (V, D) matrix; the input shape does not matter. Runs once."""
        if self.built:
            return
        self._embeddings = self.add_weight(
            name="embeddings",
            shape=(self.input_dim, self.output_dim),
            initializer=self.embeddings_initializer,
            regularizer=self.embeddings_regularizer,
            constraint=self.embeddings_constraint,
            trainable=True,  # layer.trainable=False still freezes it
        )
        self.built = True

    @property
    def embeddings(self) -> np.ndarray:
        """The (V, D) matrix itself (not a copy); exists only after ``build``."""
        if not self.built:
            raise AttributeError("You must build the layer before accessing `embeddings`.")
        return self._embeddings

    def __call__(self, inputs) -> np.ndarray:
        """Build on first use, then ``call``."""
        if not self.built:
            self.build(np.shape(inputs))
        return self.call(inputs)

    def call(self, inputs) -> np.ndarray:
        """Read one row per id: (...) int -> (..., D) float32; bad ids raise."""
        return gather_view(inputs, self.embeddings)  # (..., D)

    def compute_mask(self, inputs, mask=None):
        """``inputs != 0`` of shape (...) when ``mask_zero``, else None."""
        if not self.mask_zero:
            return None
        return np.asarray(inputs) != 0  # (...) bool

    def compute_output_shape(self, input_shape) -> tuple:
        """(...) -> (..., D); entries may be None (unknown batch or length)."""
        return (*tuple(input_shape), self.output_dim)

    def _records(self, trainable: bool) -> list[Weight]:
        """The weights an optimizer may change (True) or must leave alone (False)."""
        return [w for w in self._weights if (self.trainable and w.trainable) == trainable]

    @property
    def weights(self) -> list[np.ndarray]:
        """All weight arrays, in creation order (the live arrays, not copies)."""
        return [w.value for w in self._weights]

    @property
    def trainable_weights(self) -> list[np.ndarray]:
        """Weight arrays an optimizer updates; empty when ``trainable=False``."""
        return [w.value for w in self._records(trainable=True)]

    @property
    def non_trainable_weights(self) -> list[np.ndarray]:
        """Weight arrays that training leaves unchanged."""
        return [w.value for w in self._records(trainable=False)]

    def get_weights(self) -> list[np.ndarray]:
        """Copies of all weight arrays, e.g. ``[W]`` with W of shape (V, D)."""
        return [w.value.copy() for w in self._weights]

    def set_weights(self, weights) -> None:
        """Copy new values into the weights, in place, after checking count and shapes.

        Args:
            weights: list of arrays, one per weight, e.g. ``[W]`` with W (V, D).

        Raises:
            ValueError: if the layer is not built, the list has the wrong length,
                or an array has the wrong shape (the message names both).
        """
        if not self.built:
            raise ValueError(
                f"Layer '{self.name}' has no weights yet: call build() before set_weights()."
            )
        if isinstance(weights, np.ndarray) or len(weights) != len(self._weights):
            count = "an array" if isinstance(weights, np.ndarray) else f"{len(weights)} arrays"
            raise ValueError(
                f"Layer '{self.name}' expects a list of {len(self._weights)} array(s) "
                f"in set_weights(). Received: {count}"
            )
        new_values = [np.asarray(value, dtype=np.float32) for value in weights]
        for record, value in zip(self._weights, new_values, strict=True):
            if value.shape != record.value.shape:
                raise ValueError(
                    f"Layer '{self.name}' weight '{record.name}' has shape "
                    f"{record.value.shape}. Received: shape {value.shape}"
                )
        for record, value in zip(self._weights, new_values, strict=True):
            record.value[...] = value

    def count_params(self) -> int:
        """Number of values in all weights (V * D here); the layer must be built."""
        if not self.built:
            raise ValueError(
                f"Layer '{self.name}' is not built: call build() before count_params()."
            )
        return sum(w.value.size for w in self._weights)

    @property
    def losses(self) -> list[float]:
        """Penalty of every trainable weight that has a regularizer (as Keras does)."""
        return [
            float(w.regularizer(w.value))
            for w in self._records(trainable=True)
            if w.regularizer is not None
        ]

    def apply_constraint(self) -> None:
        """Project each trainable weight with its constraint, in place.

        Call this after every update of the weights; a Keras optimizer does the
        same after each step. Frozen weights are left as they are.
        """
        for w in self._records(trainable=True):
            if w.constraint is None:
                continue
            projected = np.asarray(w.constraint(w.value), dtype=np.float32)
            if projected.shape != w.value.shape:
                raise ValueError(
                    f"The constraint of weight '{w.name}' changed its shape from "
                    f"{w.value.shape} to {projected.shape}."
                )
            w.value[...] = projected

    def get_config(self) -> dict:
        """The constructor arguments, under Keras' names (``weights`` excluded)."""
        return {
            "name": self.name,
            "trainable": self.trainable,
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": self.embeddings_initializer,
            "embeddings_regularizer": self.embeddings_regularizer,
            "embeddings_constraint": self.embeddings_constraint,
            "mask_zero": self.mask_zero,
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config: dict) -> Embedding:
        """A new, unbuilt layer with the settings of ``config``."""
        return cls(**config)
