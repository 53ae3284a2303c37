"""A from-scratch Keras layer that behaves like ``keras.layers.Embedding``.

This is the only embref module that imports Keras; the rest is NumPy. It
shows how little the real layer needs: one ``add_weight`` in ``build``, one
``ops.take`` in ``call``, a mask for id 0, and a config for saving. The parts
that are easy to get wrong are spelled out where they happen:

* ``supports_masking`` is set to ``mask_zero`` by hand, because Keras turns it
  on for any layer that overrides ``compute_mask``;
* ``autocast = False`` keeps the float32 table from being cast to float16
  before the lookup under mixed precision; the output is cast to
  ``compute_dtype`` instead (gather first, cast the few rows read);
* inputs that are not int32/int64 are cast to int32 first, so 1.7 reads row 1.

Out of scope: LoRA, quantization and ragged inputs, which the real layer
also handles.

Example:
    >>> layer = ReferenceEmbedding(5, 2, mask_zero=True)
    >>> tuple(layer(ops.convert_to_tensor([[1, 0, 3]])).shape)  # (N, T, D)
    (1, 3, 2)
"""

from __future__ import annotations

import keras
from keras import ops

from embref.checks import check_layer_dim


@keras.saving.register_keras_serializable(package="embref")
class ReferenceEmbedding(keras.layers.Layer):
    """Turns integer ids into rows of a trainable (V, D) matrix, like Keras' layer.

    Args:
        input_dim: Integer. Size of the vocabulary V: ids run 0..V-1.
        output_dim: Integer. Size D of each vector.
        embeddings_initializer: Initializer of the matrix (default
            ``"uniform"``, U(-0.05, 0.05)); see ``keras.initializers``.
        embeddings_regularizer: Optional penalty on the matrix, added to
            ``losses``; see ``keras.regularizers``.
        embeddings_constraint: Optional projection applied to the matrix
            after each optimizer step; see ``keras.constraints``.
        mask_zero: Boolean. If True, id 0 is padding: the layer attaches the
            mask ``inputs != 0`` for the layers after it.
        weights: Optional (V, D) matrix, or a list holding one: starting values.
        **kwargs: ``name``, ``trainable``, ``dtype`` as for any Keras layer.

    Input shape:
        Any shape (...), e.g. (N, T); integers, or floats that are truncated.

    Output shape:
        (..., D), e.g. (N, T, D), in the layer's ``compute_dtype``.
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
        **kwargs,
    ):
        input_dim = check_layer_dim(input_dim, "input_dim")
        output_dim = check_layer_dim(output_dim, "output_dim")
        super().__init__(**kwargs)
        self.input_dim = input_dim
        self.output_dim = output_dim
        self.embeddings_initializer = keras.initializers.get(embeddings_initializer)
        self.embeddings_regularizer = keras.regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = keras.constraints.get(embeddings_constraint)
        self.mask_zero = mask_zero
        self.supports_masking = mask_zero  # else on, since compute_mask is overridden
        self.autocast = False  # read the float32 table as it is; cast the output
        if weights is not None:
            self.build()
            if not (isinstance(weights, list | tuple) and len(weights) == 1):
                weights = [weights]
            self.set_weights(weights)

    def build(self, input_shape=None):
        """Create the (V, D) matrix; the input shape does not matter. Runs once."""
        if self.built:
            return
        self.embeddings = self.add_weight(
            name="embeddings",
            shape=(self.input_dim, self.output_dim),
            initializer=self.embeddings_initializer,
            regularizer=self.embeddings_regularizer,
            constraint=self.embeddings_constraint,
            trainable=True,
        )

    def call(self, inputs):
        """(...) ids -> (..., D) rows, in ``compute_dtype``."""
        if inputs.dtype not in ("int32", "int64"):
            inputs = ops.cast(inputs, "int32")  # floats truncate towards 0
        rows = ops.take(self.embeddings, inputs, axis=0)  # (..., D)
        return ops.cast(rows, self.compute_dtype)

    def compute_mask(self, inputs, mask=None):
        """(...) bool mask ``inputs != 0`` when ``mask_zero``, else None."""
        if not self.mask_zero:
            return None
        return ops.not_equal(inputs, 0)

    def compute_output_shape(self, input_shape):
        """(...) -> (..., D); None entries (unknown sizes) stay None."""
        return (*input_shape, self.output_dim)

    def get_config(self):
        """Constructor arguments under Keras' names, serialized for saving."""
        config = super().get_config()
        config.update(
            {
                "input_dim": self.input_dim,
                "output_dim": self.output_dim,
                "embeddings_initializer": keras.initializers.serialize(self.embeddings_initializer),
                "embeddings_regularizer": keras.regularizers.serialize(self.embeddings_regularizer),
                "embeddings_constraint": keras.constraints.serialize(self.embeddings_constraint),
                "mask_zero": self.mask_zero,
            }
        )
        return config
