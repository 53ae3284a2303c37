"""embref.constraints against keras.constraints and a constrained Embedding."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from strategies import float32s

from embref.constraints import max_norm, non_neg, unit_norm
from embref.gradients import sgd_step

axes = st.sampled_from([0, 1, -1, -2, (0, 1)])


@st.composite
def tables_with_zero_rows(draw):
    """A float32 (V, D) table, V and D down to 1, with some rows set to exactly 0."""
    V, D = draw(st.integers(1, 8)), draw(st.integers(1, 5))
    table = draw(hnp.arrays(np.float32, (V, D), elements=float32s(-4, 4)))
    zero_rows = draw(hnp.arrays(bool, (V,)))
    table[zero_rows] = 0.0
    return table


def _keras(constraint, table):
    """Apply a Keras constraint to the matrix and return a NumPy array."""
    return np.asarray(constraint(table))


@given(tables_with_zero_rows(), axes)
def test_unit_norm_matches_keras(keras, table, axis):
    """unit_norm equals keras.constraints.UnitNorm for every axis, zero rows included."""
    got = unit_norm(table, axis=axis)
    assert got.shape == table.shape and got.dtype == np.float32
    np.testing.assert_allclose(got, _keras(keras.constraints.UnitNorm(axis=axis), table),
                               rtol=1e-6, atol=1e-7)


@given(tables_with_zero_rows(), axes, st.one_of(st.integers(0, 4), st.floats(0.05, 4)))
def test_max_norm_matches_keras(keras, table, axis, max_value):
    """max_norm equals keras.constraints.MaxNorm for every axis and max_value."""
    got = max_norm(table, max_value=max_value, axis=axis)
    expected = _keras(keras.constraints.MaxNorm(max_value=max_value, axis=axis), table)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7)


@given(tables_with_zero_rows())
def test_non_neg_matches_keras(keras, table):
    """non_neg equals keras.constraints.NonNeg exactly."""
    np.testing.assert_array_equal(non_neg(table), _keras(keras.constraints.NonNeg(), table))


def test_defaults_are_column_norms_like_keras(keras, rng):
    """With Keras' default axis=0 the D columns are constrained, not the V rows."""
    table = rng.normal(scale=3.0, size=(20, 3)).astype(np.float32)  # columns of norm ~13
    got = max_norm(table)
    np.testing.assert_allclose(got, _keras(keras.constraints.MaxNorm(), table), rtol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(got, axis=0), 2.0, rtol=1e-5)
    rows = max_norm(table, axis=1)
    np.testing.assert_allclose(np.linalg.norm(rows, axis=1),
                               np.minimum(np.linalg.norm(table, axis=1), 2.0), rtol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(unit_norm(table), axis=0), 1.0, rtol=1e-5)


def test_epsilon_effects_match_keras(keras):
    """Keras' 1e-7 epsilon: zero rows stay 0, short rows shrink by n/(n+1e-7) under MaxNorm."""
    table = np.array([[0.0, 0.0], [3e-7, 4e-7], [0.3, 0.4]], dtype=np.float32)  # norms 0, 5e-7, 0.5
    unit = unit_norm(table, axis=1)
    np.testing.assert_array_equal(unit[0], [0.0, 0.0])
    np.testing.assert_allclose(np.linalg.norm(unit[1]), 5e-7 / (5e-7 + 1e-7), rtol=1e-5)
    np.testing.assert_allclose(unit, _keras(keras.constraints.UnitNorm(axis=1), table), rtol=1e-6)
    capped = max_norm(table, max_value=2, axis=1)
    np.testing.assert_allclose(capped[2], table[2] * 0.5 / (0.5 + 1e-7), rtol=1e-6)
    np.testing.assert_allclose(capped, _keras(keras.constraints.MaxNorm(2, axis=1), table),
                               rtol=1e-6)


def test_embedding_rows_have_unit_norm_after_one_step(keras, tf, rng):
    """With embeddings_constraint=UnitNorm(axis=1) every row has norm 1 after one SGD step."""
    V, D, lr = 9, 4, 0.5
    table = rng.normal(size=(V, D)).astype(np.float32)
    ids = np.array([[2, 2, 5]])  # (N, T): most rows are not looked up
    grad = rng.normal(size=(1, 3, D)).astype(np.float32)  # (N, T, D)
    layer = keras.layers.Embedding(V, D, weights=[table],
                                   embeddings_constraint=keras.constraints.UnitNorm(axis=1))
    optimizer = keras.optimizers.SGD(learning_rate=lr)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(layer(ids) * grad)
    gradients = tape.gradient(loss, layer.trainable_weights)
    optimizer.apply_gradients(zip(gradients, layer.trainable_weights, strict=True))
    after = layer.embeddings.numpy()
    np.testing.assert_allclose(np.linalg.norm(after, axis=1), np.ones(V), rtol=1e-6)
    expected = unit_norm(sgd_step(table, ids, grad, lr), axis=1)
    np.testing.assert_allclose(after, expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("bad", [2, -3, 1.0, True, (0, 0), (), "rows"])
def test_bad_axis_is_rejected_with_its_value(bad):
    """An axis a (V, D) table does not have raises ValueError naming it."""
    with pytest.raises(ValueError, match=r"Received: axis="):
        unit_norm(np.ones((2, 2)), axis=bad)


@pytest.mark.parametrize("bad", [-1, float("nan"), "2", None])
def test_bad_max_value_is_rejected_with_its_value(bad):
    """max_norm needs a finite max_value >= 0 and names a bad one."""
    with pytest.raises(ValueError, match=r"Received: max_value="):
        max_norm(np.ones((2, 2)), max_value=bad)


def test_non_neg_rejects_integer_tables():
    """Constraints act on float tables; an integer matrix raises a TypeError naming the dtype."""
    with pytest.raises(TypeError, match="dtype=int64"):
        non_neg(np.ones((2, 2), dtype=np.int64))
