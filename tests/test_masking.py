"""embref.masking against real Keras: Embedding masks, masked pooling, masked loss."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from embref.masking import compute_mask, masked_loss_mean, masked_mean

VOCAB = 4


@st.composite
def id_batches(draw, max_n=3, max_t=6):
    """Integer ids (N, T) in 0..VOCAB-1, with zeros (padding) anywhere."""
    n, t = draw(st.integers(1, max_n)), draw(st.integers(1, max_t))
    row = st.lists(st.integers(0, VOCAB - 1), min_size=t, max_size=t)
    return np.array(draw(st.lists(row, min_size=n, max_size=n)), dtype="int32")


@pytest.fixture(scope="module")
def masked_model(keras):
    """Embedding(mask_zero=True) -> Dense(1): an output that carries a mask."""
    embedding = keras.layers.Embedding(VOCAB, 2, mask_zero=True)
    dense = keras.layers.Dense(1)
    return lambda ids: dense(embedding(ids))  # (N, T, 1) with _keras_mask (N, T)


@given(ids=id_batches())
def test_compute_mask_matches_keras_embedding(keras, ids):
    """compute_mask(ids) equals Embedding(mask_zero=True).compute_mask(ids)."""
    layer = keras.layers.Embedding(VOCAB, 2, mask_zero=True)
    expected = np.asarray(layer.compute_mask(ids))
    actual = compute_mask(ids)
    assert actual.dtype == bool
    np.testing.assert_array_equal(actual, expected)


def test_compute_mask_on_floats_follows_keras(keras):
    """A float 0.7 looks up row 0 in Keras but is not masked; compute_mask agrees."""
    layer = keras.layers.Embedding(3, 2, mask_zero=True)
    floats = np.array([[0.7, 0.0, 2.0]], dtype="float32")
    np.testing.assert_array_equal(compute_mask(floats), np.asarray(layer.compute_mask(floats)))
    rows = np.asarray(layer(floats))[0]  # (3, 2)
    table = layer.get_weights()[0]
    np.testing.assert_array_equal(rows[0], table[0])  # 0.7 was truncated to id 0
    assert compute_mask(floats)[0, 0]  # ... yet it is a real step for the mask


def test_compute_mask_rejects_strings():
    """Non-numeric input raises TypeError naming the dtype."""
    with pytest.raises(TypeError, match="Received: dtype=<U"):
        compute_mask([["a", "b"]])


@pytest.mark.parametrize("padding", ["pre", "post"])
def test_compute_mask_marks_pad_sequences_padding(keras, padding):
    """On pad_sequences output the mask is False exactly at the padded steps."""
    sequences = [[3, 1], [2, 2, 2, 1], [1]]
    padded = keras.utils.pad_sequences(sequences, padding=padding)  # (3, 4)
    width = padded.shape[1]
    for row, seq in zip(compute_mask(padded), sequences, strict=True):
        real = [True] * len(seq)
        pad = [False] * (width - len(seq))
        assert list(row) == (pad + real if padding == "pre" else real + pad)


@given(ids=id_batches(), d=st.integers(1, 3), seed=st.integers(0, 2**16))
def test_masked_mean_matches_global_average_pooling(keras, ids, d, seed):
    """masked_mean equals GlobalAveragePooling1D(x, mask), NaN for all-masked rows."""
    x = np.random.default_rng(seed).normal(size=ids.shape + (d,)).astype("float32")
    mask = compute_mask(ids)
    expected = np.asarray(keras.layers.GlobalAveragePooling1D()(x, mask=mask))
    actual = masked_mean(x, mask)
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=1e-6, atol=1e-6, equal_nan=True)


def test_masked_mean_all_masked_row_is_nan_like_keras(keras, rng):
    """A row with no valid step is NaN in Keras and in masked_mean."""
    x = rng.normal(size=(2, 3, 2)).astype("float32")
    mask = np.array([[True, False, True], [False, False, False]])
    expected = np.asarray(keras.layers.GlobalAveragePooling1D()(x, mask=mask))
    assert np.isnan(expected[1]).all()
    actual = masked_mean(x, mask)
    assert np.isnan(actual[1]).all()
    np.testing.assert_allclose(actual[0], x[0, [0, 2]].mean(axis=0), rtol=1e-6)


def test_masked_mean_without_mask_is_plain_mean(keras, rng):
    """With mask=None masked_mean is GlobalAveragePooling1D's plain mean."""
    x = rng.normal(size=(3, 4, 2)).astype("float32")
    expected = np.asarray(keras.layers.GlobalAveragePooling1D()(x))
    np.testing.assert_allclose(masked_mean(x), expected, rtol=1e-6, atol=1e-7)


def test_masked_mean_bad_mask_shape_raises(rng):
    """A mask that is not (N, T) raises ValueError naming its shape."""
    with pytest.raises(ValueError, match=r"Received: mask.shape=\(3, 2\)"):
        masked_mean(rng.normal(size=(2, 3, 1)), np.ones((3, 2), bool))


@given(ids=id_batches(), seed=st.integers(0, 2**16), weighted=st.booleans())
def test_masked_loss_mean_matches_keras_loss(keras, masked_model, ids, seed, weighted):
    """On a masked y_pred, Keras' MSE equals masked_loss_mean of the per-step errors."""
    data = np.random.default_rng(seed)
    y_pred = masked_model(ids)  # (N, T, 1), carries mask ids != 0
    y_true = data.normal(size=y_pred.shape).astype("float32")
    weight = data.uniform(0.5, 2.0, size=(ids.shape[0], 1)).astype("float32") if weighted else None
    expected = float(keras.losses.MeanSquaredError()(y_true, y_pred, sample_weight=weight))
    per_step = np.mean((y_true - np.asarray(y_pred)) ** 2, axis=-1)  # (N, T)
    actual = masked_loss_mean(per_step, compute_mask(ids), sample_weight=weight)
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-7)


def test_masked_loss_mean_is_mean_over_valid_steps(rng):
    """masked_loss_mean equals the plain mean of the losses at valid steps."""
    losses = rng.uniform(size=(3, 5))
    mask = rng.uniform(size=(3, 5)) < 0.5
    mask[0, 0] = True
    np.testing.assert_allclose(masked_loss_mean(losses, mask), losses[mask].mean(), rtol=1e-12)


def test_masked_loss_mean_all_masked_is_zero_like_keras(keras, masked_model):
    """With every step masked Keras' loss is 0, and so is masked_loss_mean."""
    ids = np.zeros((2, 3), dtype="int32")
    y_pred = masked_model(ids)
    y_true = np.ones(y_pred.shape, dtype="float32")
    expected = float(keras.losses.MeanSquaredError()(y_true, y_pred))
    per_step = np.mean((y_true - np.asarray(y_pred)) ** 2, axis=-1)
    assert per_step.min() > 0  # the unmasked loss would not be 0
    assert masked_loss_mean(per_step, compute_mask(ids)) == expected


def test_model_evaluate_ignores_masked_positions(keras, rng):
    """model.evaluate on a mask_zero model reports the mean loss over valid steps only."""
    model = keras.Sequential(
        [keras.Input(shape=(4,)), keras.layers.Embedding(VOCAB, 2, mask_zero=True),
         keras.layers.Dense(1)]
    )
    model.compile(loss="mse")
    ids = np.array([[1, 2, 0, 0], [3, 0, 1, 0]], dtype="int32")
    y_true = rng.normal(size=(2, 4, 1)).astype("float32")
    y_true[ids == 0] = 10.0  # large errors at padded steps: they must not count
    reported = model.evaluate(ids, y_true, verbose=0)
    per_step = np.mean((y_true - model.predict(ids, verbose=0)) ** 2, axis=-1)  # (N, T)
    np.testing.assert_allclose(reported, masked_loss_mean(per_step, compute_mask(ids)), rtol=1e-5)
    assert not np.isclose(reported, per_step.mean(), rtol=0.1)  # padded steps would matter
