"""embref.views and embref.checks against real Keras/TensorFlow."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from strategies import float32s

import embref

# (V, D, index shape) drawn together so that every index is valid for V.
shapes = st.tuples(
    st.integers(1, 12),  # V
    st.integers(1, 6),  # D
    hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=5),  # (...)
)


def _case(data, V, D, index_shape, dtype=np.int64):
    """Draw an index array of ``index_shape`` in 0..V-1 and a float32 (V, D) table."""
    ids = data.draw(hnp.arrays(dtype, index_shape, elements=st.integers(0, V - 1)))
    table = data.draw(
        hnp.arrays(np.float32, (V, D), elements=float32s(-2, 2))
    )
    return ids, table


@given(shapes, st.data())
def test_one_hot_matches_tf_one_hot(shape, data):
    """one_hot equals tf.one_hot for any index shape, incl. empty batches and V=1."""
    import tensorflow as tf

    V, D, index_shape = shape
    ids, _ = _case(data, V, D, index_shape)
    expected = tf.one_hot(ids, depth=V, dtype=tf.float32).numpy()
    got = embref.one_hot(ids, V)
    assert got.shape == index_shape + (V,)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, expected)


@given(shapes, st.sampled_from([np.int32, np.int64]), st.data())
def test_gather_view_matches_keras_embedding(keras, shape, dtype, data):
    """gather_view equals a real keras.layers.Embedding holding the same matrix."""
    V, D, index_shape = shape
    ids, table = _case(data, V, D, index_shape, dtype)
    layer = keras.layers.Embedding(V, D, weights=[table])
    expected = keras.ops.convert_to_numpy(layer(ids))
    got = embref.gather_view(ids, table)
    assert got.shape == expected.shape == index_shape + (D,)
    np.testing.assert_array_equal(got, expected)


@given(shapes, st.data())
def test_dense_view_matches_keras_dense_on_one_hot(keras, shape, data):
    """dense_view equals Dense(D, use_bias=False) with kernel W fed one-hot rows."""
    V, D, index_shape = shape
    ids, table = _case(data, V, D, index_shape)
    dense = keras.layers.Dense(D, use_bias=False)
    dense.build((None, V))
    dense.set_weights([table])
    expected = keras.ops.convert_to_numpy(dense(embref.one_hot(ids, V)))
    np.testing.assert_allclose(embref.dense_view(ids, table), expected, rtol=1e-6, atol=1e-6)


@given(shapes, st.data())
def test_both_views_agree_with_tf_gather(tf, shape, data):
    """Dense and gather views agree with tf.gather, repeated indices included."""
    V, D, index_shape = shape
    ids, table = _case(data, V, D, index_shape)
    expected = tf.gather(table, ids).numpy()
    np.testing.assert_array_equal(embref.gather_view(ids, table), expected)
    np.testing.assert_allclose(embref.dense_view(ids, table), expected, rtol=0, atol=1e-6)


def test_worked_example_rows(keras):
    """The curriculum's 3x4 example: sentence [0, 2, 1, 2] picks rows 0, 2, 1, 2."""
    W = np.array(
        [[0.1, 0.2, 0.3, 0.4], [0.5, 0.6, 0.7, 0.8], [0.9, 0.0, 0.1, 0.2]], dtype=np.float32
    )
    sentence = np.array([0, 2, 1, 2])
    layer = keras.layers.Embedding(3, 4, weights=[W])
    expected = keras.ops.convert_to_numpy(layer(sentence))
    np.testing.assert_array_equal(expected, W[[0, 2, 1, 2]])
    np.testing.assert_array_equal(embref.gather_view(sentence, W), expected)
    np.testing.assert_allclose(embref.dense_view(sentence, W), expected, atol=1e-7)


def test_view_costs_match_tensor_sizes(tf):
    """view_costs counts the bytes of the tensors TensorFlow actually builds."""
    n, V, D = 64, 300, 8
    ids = np.arange(n) % V
    one_hot = tf.one_hot(ids, V, dtype=tf.float32)
    output = tf.gather(tf.zeros((V, D)), ids)
    costs = embref.view_costs(n, V, D)
    assert costs["one_hot_bytes"] == one_hot.numpy().nbytes
    assert costs["output_bytes"] == output.numpy().nbytes
    assert costs["gather_reads"] == output.numpy().size
    # A (n, V) @ (V, D) product does one multiply-add per (row, k, column) triple.
    assert costs["dense_multiply_adds"] == one_hot.shape[0] * one_hot.shape[1] * D


def test_out_of_range_index_raises_like_keras_but_names_value(keras, tf):
    """An index >= V raises in Keras on CPU; embref raises too, naming the index."""
    table = np.zeros((4, 2), np.float32)
    layer = keras.layers.Embedding(4, 2, weights=[table])
    with pytest.raises(tf.errors.InvalidArgumentError):
        layer(np.array([[1, 4]]))
    with pytest.raises(ValueError, match=r"Index 4 at position \(0, 1\).*input_dim=4"):
        embref.gather_view(np.array([[1, 4]]), table)


def test_negative_index_wraps_in_keras_but_raises_in_embref(keras):
    """Keras wraps -1 to row V-1 on the TF backend; embref refuses it by name."""
    table = np.arange(8, dtype=np.float32).reshape(4, 2)
    layer = keras.layers.Embedding(4, 2, weights=[table])
    wrapped = keras.ops.convert_to_numpy(layer(np.array([-1])))
    np.testing.assert_array_equal(wrapped, table[[3]])
    with pytest.raises(ValueError, match="Index -1"):
        embref.gather_view([-1], table)


def test_float_indices_truncate_in_keras_but_raise_in_embref(keras):
    """Keras casts 1.7 to row 1; embref raises a TypeError naming dtype and value."""
    table = np.arange(8, dtype=np.float32).reshape(4, 2)
    layer = keras.layers.Embedding(4, 2, weights=[table])
    truncated = keras.ops.convert_to_numpy(layer(np.array([1.7])))
    np.testing.assert_array_equal(truncated, table[[1]])
    with pytest.raises(TypeError, match=r"dtype=float64.*1\.7"):
        embref.gather_view(np.array([1.7]), table)
    with pytest.raises(TypeError, match="dtype=bool"):
        embref.one_hot(np.array([True, False]), 2)


@pytest.mark.parametrize("bad", [0, -3, 2.0, True, "5", None])
def test_bad_input_dim_is_rejected_like_keras(keras, bad):
    """A dimension that Keras rejects is rejected by embref with the value echoed."""
    with pytest.raises(ValueError):
        keras.layers.Embedding(bad, 2)
    with pytest.raises(ValueError, match=re.escape(f"input_dim={bad!r}")):
        embref.one_hot([0], bad)


@pytest.mark.parametrize("shape", [(4,), (2, 3, 4), ()])
def test_table_of_wrong_rank_is_rejected(shape):
    """A matrix that is not 2-D raises, naming the received shape."""
    with pytest.raises(ValueError, match=re.escape(f"embeddings.shape={shape}")):
        embref.gather_view([0], np.zeros(shape, np.float32))


def test_integer_table_is_rejected():
    """An integer matrix raises a TypeError naming its dtype."""
    with pytest.raises(TypeError, match="dtype=int64"):
        embref.dense_view([0], np.zeros((2, 2), np.int64))


@pytest.mark.parametrize("n", [-1, 2.5, True])
def test_view_costs_rejects_bad_n(n):
    """view_costs refuses a negative, fractional or boolean token count by value."""
    with pytest.raises(ValueError, match=re.escape(f"n={n!r}")):
        embref.view_costs(n, 10, 2)
