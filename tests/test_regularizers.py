"""embref.regularizers against keras.regularizers and TensorFlow gradients."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from strategies import float32s

from embref.gradients import embedding_backward
from embref.regularizers import (
    l1_l2_penalty,
    l1_l2_penalty_gradient,
    l1_penalty,
    l1_penalty_gradient,
    l2_penalty,
    l2_penalty_gradient,
)

# Tables with V=1 and D=1 included; exact zeros are likely (0 is a shrink target).
tables = st.tuples(st.integers(1, 8), st.integers(1, 5)).flatmap(
    lambda shape: hnp.arrays(np.float32, shape, elements=float32s(-3, 3))
)
factors = st.floats(0, 1)
positive_factors = st.floats(1e-3, 1)  # a 0 factor leaves the penalty unconnected to W


def _keras_value(regularizer, table):
    """Call a Keras regularizer on the matrix and return a Python float."""
    return float(regularizer(table).numpy())


@given(tables, factors, factors)
def test_penalties_match_keras_regularizers(keras, tf, table, l1, l2):
    """l1/l2/l1_l2 penalties equal keras.regularizers.L1/L2/L1L2 called on the matrix."""
    matrix = tf.constant(table)
    regs = keras.regularizers
    np.testing.assert_allclose(l1_penalty(table, l1), _keras_value(regs.L1(l1), matrix),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(l2_penalty(table, l2), _keras_value(regs.L2(l2), matrix),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(l1_l2_penalty(table, l1, l2),
                               _keras_value(regs.L1L2(l1, l2), matrix), rtol=1e-5, atol=1e-6)


def test_default_factors_match_keras(keras, tf, rng):
    """Defaults follow Keras: L1()/L2() and 'l1'/'l2' use 0.01; L1L2() and 'l1l2' use 0."""
    table = rng.normal(size=(6, 3)).astype(np.float32)
    regs = keras.regularizers
    for name in ("l1", "L1"):
        np.testing.assert_allclose(l1_penalty(table), _keras_value(regs.get(name), table),
                                   rtol=1e-5)
    for name in ("l2", "L2"):
        np.testing.assert_allclose(l2_penalty(table), _keras_value(regs.get(name), table),
                                   rtol=1e-5)
    for regularizer in (regs.L1L2(), regs.l1_l2(), regs.get("l1l2")):
        assert l1_l2_penalty(table) == _keras_value(regularizer, table) == 0.0


def test_l1_l2_string_from_the_keras_docstring_is_rejected(keras):
    """Keras 3.15's docstring suggests 'l1_l2', but regularizers.get rejects that string."""
    with pytest.raises(ValueError, match="Could not interpret regularizer identifier: l1_l2"):
        keras.regularizers.get("l1_l2")


def test_l2_value_appears_in_layer_losses(keras, rng):
    """An Embedding with embeddings_regularizer=L2(c) reports c*sum(W**2) in layer.losses."""
    table = rng.normal(size=(7, 4)).astype(np.float32)
    c = 0.03
    layer = keras.layers.Embedding(7, 4, weights=[table],
                                   embeddings_regularizer=keras.regularizers.L2(c))
    layer(np.array([[0, 1]]))
    assert len(layer.losses) == 1
    np.testing.assert_allclose(float(layer.losses[0]), c * np.sum(table.astype(np.float64) ** 2),
                               rtol=1e-6)
    np.testing.assert_allclose(l2_penalty(table, c), float(layer.losses[0]), rtol=1e-6)


@given(tables, positive_factors, positive_factors)
def test_penalty_gradients_match_tf(keras, tf, table, l1, l2):
    """TF's gradients of L1, L2 and L1L2 are dense tensors equal to the *_gradient functions."""
    weights = tf.Variable(table)
    regs = keras.regularizers
    cases = [
        (regs.L1(l1), l1_penalty_gradient(table, l1)),
        (regs.L2(l2), l2_penalty_gradient(table, l2)),
        (regs.L1L2(l1, l2), l1_l2_penalty_gradient(table, l1, l2)),
    ]
    for regularizer, expected in cases:
        with tf.GradientTape() as tape:
            penalty = regularizer(weights)
        grad = tape.gradient(penalty, weights)
        assert isinstance(grad, tf.Tensor) and not isinstance(grad, tf.IndexedSlices)
        assert expected.shape == table.shape and expected.dtype == np.float32
        np.testing.assert_allclose(expected, grad.numpy(), rtol=1e-6, atol=1e-7)


def test_l2_makes_the_embedding_gradient_dense(keras, tf, rng):
    """With L2 in the loss the table's gradient is dense: rows never looked up get 2*c*W."""
    V, D, c = 8, 3, 0.05
    table = rng.normal(size=(V, D)).astype(np.float32)
    ids = np.array([[1, 5, 5]])  # (N, T)
    grad_output = rng.normal(size=(1, 3, D)).astype(np.float32)  # (N, T, D)
    layer = keras.layers.Embedding(V, D, weights=[table],
                                   embeddings_regularizer=keras.regularizers.L2(c))
    plain = keras.layers.Embedding(V, D, weights=[table])
    with tf.GradientTape(persistent=True) as tape:
        data_loss = tf.reduce_sum(layer(ids) * grad_output)
        total = data_loss + tf.add_n(layer.losses)
        plain_loss = tf.reduce_sum(plain(ids) * grad_output)
    sparse = tape.gradient(plain_loss, plain.embeddings)
    dense = tape.gradient(total, layer.embeddings)
    assert isinstance(sparse, tf.IndexedSlices)
    assert isinstance(dense, tf.Tensor) and not isinstance(dense, tf.IndexedSlices)
    expected = embedding_backward(ids, grad_output, V) + l2_penalty_gradient(table, c)
    np.testing.assert_allclose(dense.numpy(), expected, rtol=1e-5, atol=1e-6)
    untouched = np.setdiff1d(np.arange(V), ids)
    np.testing.assert_allclose(dense.numpy()[untouched], 2 * c * table[untouched], rtol=1e-6)
    assert np.all(np.abs(dense.numpy()[untouched]) > 0)


def test_l1_gradient_is_zero_at_zero(tf):
    """At W == 0 the L1 gradient is 0, the subgradient TF's abs uses."""
    table = np.array([[0.0, -1.5], [2.0, 0.0]], dtype=np.float32)
    weights = tf.Variable(table)
    with tf.GradientTape() as tape:
        penalty = 0.5 * tf.reduce_sum(tf.abs(weights))
    np.testing.assert_array_equal(l1_penalty_gradient(table, 0.5), tape.gradient(penalty, weights))


@pytest.mark.parametrize("bad", [-0.1, float("inf"), float("nan"), "0.1", True])
def test_bad_factor_is_rejected_with_its_value(keras, bad):
    """A factor that Keras' regularizers also reject raises ValueError naming it."""
    with pytest.raises(ValueError, match="Received: l2="):
        l2_penalty(np.ones((2, 2)), bad)
    if not isinstance(bad, bool):
        with pytest.raises(ValueError, match="Received: l2="):
            keras.regularizers.L2(bad)
