"""embref.lora against Embedding.enable_lora in real Keras."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from embref.lora import lora_effective_embeddings, lora_param_count
from embref.views import gather_view


def _count(weights) -> int:
    """Total number of scalars in a list of Keras variables."""
    return int(sum(np.prod(w.shape) for w in weights))


def _lora_layer(keras, rng, V, D, rank, lora_alpha=None):
    """An Embedding with a random table, LoRA enabled and random A, B; returns (layer, W, A, B)."""
    table = rng.normal(size=(V, D)).astype(np.float32)
    layer = keras.layers.Embedding(V, D, weights=[table])
    layer.enable_lora(rank, lora_alpha=lora_alpha)
    a = rng.normal(size=(V, rank)).astype(np.float32)
    b = rng.normal(size=(rank, D)).astype(np.float32)
    layer.lora_embeddings_a.assign(a)
    layer.lora_embeddings_b.assign(b)
    return layer, table, a, b


@given(st.integers(1, 60), st.integers(1, 20), st.integers(1, 8))
def test_param_counts_match_enable_lora(keras, V, D, rank):
    """enable_lora(rank): trainable params drop from V*D to rank*(V+D); V*D become frozen."""
    layer = keras.layers.Embedding(V, D)
    layer.build()
    assert _count(layer.trainable_weights) == V * D
    layer.enable_lora(rank)
    counts = lora_param_count(V, D, rank)
    assert _count(layer.trainable_weights) == counts["trainable"] == rank * (V + D)
    assert _count(layer.non_trainable_weights) == counts["non_trainable"] == counts["full"]
    assert layer.count_params() == counts["trainable"] + counts["non_trainable"]


def test_lora_weight_shapes_match_keras(keras):
    """Keras names and shapes: lora_embeddings_a is (V, r), lora_embeddings_b is (r, D)."""
    layer = keras.layers.Embedding(7, 3)
    layer.build()
    layer.enable_lora(2)
    assert tuple(layer.lora_embeddings_a.shape) == (7, 2)
    assert tuple(layer.lora_embeddings_b.shape) == (2, 3)
    assert layer.lora_alpha == layer.lora_rank == 2


@pytest.mark.parametrize("lora_alpha", [None, 0.5, 4, 16])
def test_output_equals_gather_of_effective_table(keras, rng, lora_alpha):
    """With random A and B the layer outputs rows of W + (alpha/r) * A @ B."""
    V, D, rank = 11, 5, 3
    layer, table, a, b = _lora_layer(keras, rng, V, D, rank, lora_alpha)
    ids = rng.integers(0, V, size=(4, 6))  # (N, T)
    expected = np.asarray(layer(ids))  # (N, T, D)
    effective = lora_effective_embeddings(table, a, b, lora_alpha, rank)  # (V, D)
    np.testing.assert_allclose(gather_view(ids, effective), expected, rtol=1e-5, atol=1e-5)
    merged = keras.ops.convert_to_numpy(layer.embeddings)  # Keras' own W + (alpha/r) A @ B
    np.testing.assert_allclose(effective, merged, rtol=1e-5, atol=1e-5)


def test_fresh_lora_layer_changes_nothing(keras, rng):
    """B starts at zeros, so a freshly LoRA-enabled layer outputs rows of W unchanged."""
    table = rng.normal(size=(6, 4)).astype(np.float32)
    layer = keras.layers.Embedding(6, 4, weights=[table])
    layer.enable_lora(2)
    a, b = layer.lora_embeddings_a.numpy(), layer.lora_embeddings_b.numpy()
    np.testing.assert_array_equal(b, np.zeros((2, 4)))
    ids = np.array([[0, 5, 5, 3]])
    np.testing.assert_array_equal(np.asarray(layer(ids)), table[ids])
    np.testing.assert_array_equal(lora_effective_embeddings(table, a, b), table)


def test_constructor_lora_alpha_is_overridden_by_build(keras, rng):
    """Keras 3.15 quirk: Embedding(lora_rank=2, lora_alpha=8) builds with lora_alpha == 2."""
    V, D = 6, 3
    table = rng.normal(size=(V, D)).astype(np.float32)
    layer = keras.layers.Embedding(V, D, lora_rank=2, lora_alpha=8)
    layer.build()
    layer.set_weights([table, *(w.numpy() for w in layer.weights[1:])])
    a = rng.normal(size=(V, 2)).astype(np.float32)
    b = rng.normal(size=(2, D)).astype(np.float32)
    layer.lora_embeddings_a.assign(a)
    layer.lora_embeddings_b.assign(b)
    assert layer.lora_alpha == 2
    ids = np.arange(V)
    got = np.asarray(layer(ids))
    np.testing.assert_allclose(got, lora_effective_embeddings(table, a, b, layer.lora_alpha),
                               rtol=1e-5, atol=1e-5)
    assert not np.allclose(got, lora_effective_embeddings(table, a, b, 8), atol=1e-3)


def test_training_moves_only_lora_weights(keras, tf, rng):
    """One SGD step with LoRA leaves the frozen table bit-for-bit unchanged and moves A, B."""
    layer, table, a, b = _lora_layer(keras, rng, 8, 4, 2)
    optimizer = keras.optimizers.SGD(learning_rate=0.1)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.square(layer(np.array([[1, 2, 2]]))))
    gradients = tape.gradient(loss, layer.trainable_weights)
    optimizer.apply_gradients(zip(gradients, layer.trainable_weights, strict=True))
    np.testing.assert_array_equal(layer._embeddings.numpy(), table)
    assert not np.array_equal(layer.lora_embeddings_a.numpy(), a)
    assert not np.array_equal(layer.lora_embeddings_b.numpy(), b)


def test_shape_and_rank_errors_name_the_shapes():
    """Mismatched A/B shapes or a wrong rank raise ValueError echoing the received values."""
    table = np.zeros((5, 3))
    with pytest.raises(ValueError, match=r"lora_a.shape=\(4, 2\), lora_b.shape=\(2, 3\)"):
        lora_effective_embeddings(table, np.zeros((4, 2)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"Received: rank=3"):
        lora_effective_embeddings(table, np.zeros((5, 2)), np.zeros((2, 3)), rank=3)
    with pytest.raises(ValueError, match=r"Received: lora_alpha='8'"):
        lora_effective_embeddings(table, np.zeros((5, 2)), np.zeros((2, 3)), lora_alpha="8")
    with pytest.raises(ValueError, match=r"Received: rank=0"):
        lora_param_count(5, 3, 0)
