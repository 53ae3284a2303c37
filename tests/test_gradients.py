"""embref.gradients against TensorFlow's own gradients and Keras' SGD."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from strategies import float32s

from embref.gradients import (
    dense_backward,
    embedding_backward,
    gradient_check,
    numerical_gradient,
    relative_error,
    sgd_step,
)
from embref.views import gather_view

# (V, D, index shape): V=1 and D=1 included, batches (T,), (N, T), (N, T, K).
shapes = st.tuples(
    st.integers(1, 9),  # V
    st.integers(1, 5),  # D
    hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5),  # (...)
)


def _case(data, V, D, index_shape):
    """Draw ids in 0..V-1 (repeats likely), a (V, D) table and an output gradient (..., D)."""
    ids = data.draw(hnp.arrays(np.int32, index_shape, elements=st.integers(0, V - 1)))
    floats = float32s(-2, 2)
    table = data.draw(hnp.arrays(np.float32, (V, D), elements=floats))
    grad = data.draw(hnp.arrays(np.float32, index_shape + (D,), elements=floats))
    return ids, table, grad


def _keras_table_gradient(keras, tf, ids, table, grad):
    """Gradient of sum(Embedding(ids) * grad) with respect to the layer's table."""
    layer = keras.layers.Embedding(*table.shape, weights=[table])
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(layer(ids) * grad)  # dL/dY = grad
    return tape.gradient(loss, layer.embeddings)


@given(shapes, st.data())
def test_keras_gradient_is_indexed_slices_equal_to_scatter_add(keras, tf, shape, data):
    """A real Embedding's gradient is tf.IndexedSlices; densified it equals embedding_backward."""
    V, D, index_shape = shape
    ids, table, grad = _case(data, V, D, index_shape)
    slices = _keras_table_gradient(keras, tf, ids, table, grad)
    assert isinstance(slices, tf.IndexedSlices)
    # The slices keep one row per looked-up position, duplicates not summed.
    np.testing.assert_array_equal(slices.indices.numpy(), ids.ravel())
    dense = tf.convert_to_tensor(slices).numpy()  # (V, D)
    got = embedding_backward(ids, grad, V)
    assert got.shape == (V, D)
    np.testing.assert_allclose(got, dense, rtol=1e-6, atol=1e-6)


def test_repeated_indices_match_unsorted_segment_sum(tf, rng):
    """Repeated ids accumulate exactly as tf.math.unsorted_segment_sum adds them."""
    ids = np.array([[2, 2, 2, 0], [2, 1, 1, 0]])  # (N, T) = (2, 4)
    grad = rng.normal(size=(2, 4, 3))  # (N, T, D)
    expected = tf.math.unsorted_segment_sum(grad.reshape(-1, 3), ids.ravel(), 4).numpy()
    np.testing.assert_allclose(embedding_backward(ids, grad, 4), expected, rtol=1e-12)


def test_buffered_add_loses_repeated_rows(keras, tf, rng):
    """`dW[ids] += dY` keeps one row per repeated id, so it differs from TF's gradient."""
    ids = np.array([3, 1, 3, 3])  # (n,): id 3 three times
    table = rng.normal(size=(5, 2)).astype(np.float32)  # (V, D)
    grad = rng.normal(size=(4, 2)).astype(np.float32)  # (n, D)
    tf_grad = tf.convert_to_tensor(_keras_table_gradient(keras, tf, ids, table, grad)).numpy()
    buffered = np.zeros_like(table)
    buffered[ids] += grad  # buffered: the last write to row 3 wins
    np.testing.assert_array_equal(buffered[3], grad[3])
    assert not np.allclose(buffered, tf_grad, atol=1e-3)
    np.testing.assert_allclose(tf_grad[3], grad[0] + grad[2] + grad[3], rtol=1e-6)
    np.testing.assert_allclose(embedding_backward(ids, grad, 5), tf_grad, rtol=1e-6, atol=1e-7)


@given(shapes, st.data())
def test_one_hot_matmul_gradient_is_dense_and_equals_dense_backward(tf, shape, data):
    """Differentiating one_hot @ W gives a dense tf.Tensor equal to dense_backward."""
    V, D, index_shape = shape
    ids, table, grad = _case(data, V, D, index_shape)
    weights = tf.Variable(table)
    with tf.GradientTape() as tape:
        outputs = tf.einsum("...v,vd->...d", tf.one_hot(ids, V), weights)  # (..., D)
        loss = tf.reduce_sum(outputs * grad)
    dense = tape.gradient(loss, weights)
    assert isinstance(dense, tf.Tensor) and not isinstance(dense, tf.IndexedSlices)
    np.testing.assert_allclose(dense_backward(ids, grad, V), dense.numpy(), rtol=1e-5, atol=1e-5)


@given(shapes, st.data())
def test_dense_and_scatter_backward_agree(shape, data):
    """one_hot.T @ dY and the scatter-add give the same (V, D) gradient."""
    V, D, index_shape = shape
    ids, _, grad = _case(data, V, D, index_shape)
    np.testing.assert_allclose(
        dense_backward(ids, grad, V), embedding_backward(ids, grad, V), rtol=1e-5, atol=1e-5
    )


def test_empty_batch_gives_zero_gradient():
    """No ids looked up: the gradient is an all-zero (V, D) matrix."""
    got = embedding_backward(np.zeros((2, 0), dtype=int), np.zeros((2, 0, 3)), 4)
    np.testing.assert_array_equal(got, np.zeros((4, 3)))


def test_keras_sgd_step_matches_sgd_step(keras, tf, rng):
    """One keras SGD step (no momentum) equals sgd_step; other rows stay bit-for-bit equal."""
    V, D, lr = 10, 4, 0.1
    table = rng.normal(size=(V, D)).astype(np.float32)
    ids = np.array([[1, 4, 4, 7], [7, 7, 0, 1]])  # (N, T), repeats included
    grad = rng.normal(size=(2, 4, D)).astype(np.float32)  # (N, T, D)
    layer = keras.layers.Embedding(V, D, weights=[table])
    optimizer = keras.optimizers.SGD(learning_rate=lr)
    assert optimizer.momentum == 0
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(layer(ids) * grad)
    gradients = tape.gradient(loss, layer.trainable_weights)
    optimizer.apply_gradients(zip(gradients, layer.trainable_weights, strict=True))
    keras_table = layer.embeddings.numpy()

    before = table.copy()
    got = sgd_step(table, ids, grad, lr)
    np.testing.assert_array_equal(table, before)  # the input is not modified
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, keras_table, rtol=1e-6, atol=1e-6)
    untouched = np.setdiff1d(np.arange(V), ids)
    np.testing.assert_array_equal(keras_table[untouched], table[untouched])
    np.testing.assert_array_equal(got[untouched], table[untouched])


def test_numerical_gradient_of_nonlinear_loss_matches_backward(rng):
    """Finite differences of sum(sin(W[ids]) * G) agree with the scatter-add to 1e-6 (float64)."""
    ids = np.array([[0, 2, 2], [3, 0, 2]])  # (N, T)
    table = rng.normal(size=(4, 3))  # (V, D), float64
    weights = rng.normal(size=(2, 3, 3))  # (N, T, D)

    def loss(w):
        return np.sum(np.sin(gather_view(ids, w)) * weights)

    numeric = numerical_gradient(loss, table, eps=1e-6)
    grad_output = np.cos(gather_view(ids, table)) * weights  # dL/dY by the chain rule
    analytic = embedding_backward(ids, grad_output, 4)
    assert relative_error(analytic, numeric) < 1e-6
    np.testing.assert_array_equal(numeric[1], np.zeros(3))  # row 1 never looked up


def test_gradient_check_passes_and_detects_buffered_bug(rng):
    """gradient_check is < 1e-6 for the scatter-add; the buffered gradient fails it."""
    ids = np.array([1, 1, 2, 1])
    table = rng.normal(size=(3, 2))
    grad = rng.normal(size=(4, 2))
    assert gradient_check(ids, table, grad) < 1e-6

    def buffered_backward(indices, grad_output, input_dim):
        dW = np.zeros((input_dim, grad_output.shape[-1]))
        dW[indices] += grad_output  # repeated ids: only the last write survives
        return dW

    assert gradient_check(ids, table, grad, backward=buffered_backward) > 1e-2


def test_grad_output_shape_mismatch_names_both_shapes():
    """A grad_output whose batch axes differ from the ids raises, echoing both shapes."""
    with pytest.raises(ValueError, match=r"grad_output.shape=\(2, 3\), indices.shape=\(3,\)"):
        embedding_backward([0, 1, 2], np.ones((2, 3)), 3)


def test_bad_index_and_float_grad_errors():
    """An out-of-range id and an integer grad_output raise clear errors."""
    with pytest.raises(ValueError, match="Index 5 .* input_dim=3"):
        embedding_backward([0, 5], np.ones((2, 2)), 3)
    with pytest.raises(TypeError, match="Received: dtype=int64"):
        dense_backward([0, 1], np.ones((2, 2), dtype=np.int64), 3)


@pytest.mark.parametrize("bad", [float("nan"), "0.1", None])
def test_sgd_step_rejects_bad_learning_rate(bad):
    """sgd_step refuses a learning rate that is not a finite number, naming it."""
    with pytest.raises(ValueError, match="Received: learning_rate="):
        sgd_step(np.ones((3, 2)), [0], np.ones((1, 2)), bad)


def test_numerical_gradient_rejects_bad_eps_and_vector_f():
    """numerical_gradient needs eps > 0 and a scalar-valued f."""
    with pytest.raises(ValueError, match="Received: eps=0.0"):
        numerical_gradient(np.sum, np.ones((2, 2)), eps=0.0)
    with pytest.raises(ValueError, match="must return a scalar"):
        numerical_gradient(lambda w: w.sum(axis=0), np.ones((2, 2)))
