"""embref.recurrent against real Keras SimpleRNN / LSTM / GRU with masks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from embref.masking import compute_mask
from embref.recurrent import gru_forward, lstm_forward, simple_rnn_forward

FORWARDS = {"SimpleRNN": simple_rnn_forward, "LSTM": lstm_forward, "GRU": gru_forward}
KINDS = list(FORWARDS)
TOL = {"rtol": 1e-5, "atol": 1e-6}

# Leading, trailing and interior padding, a fully masked row, a full row.
MASK_PATTERNS = np.array(
    [
        [0, 0, 1, 1, 0, 1],
        [1, 1, 1, 0, 0, 0],
        [0, 0, 0, 0, 0, 0],
        [1, 0, 1, 0, 1, 1],
        [1, 1, 1, 1, 1, 1],
    ],
    dtype=bool,
)


@pytest.fixture(scope="module")
def layers(keras):
    """A cache of built Keras RNN layers with random (non-default) weights."""
    cache = {}
    weight_rng = np.random.default_rng(7)

    def get(kind, features, units, return_sequences):
        key = (kind, features, units, return_sequences)
        if key not in cache:
            layer = getattr(keras.layers, kind)(units, return_sequences=return_sequences)
            layer.build((None, None, features))
            layer.set_weights(
                [weight_rng.uniform(-1, 1, w.shape).astype("float32") for w in layer.get_weights()]
            )
            cache[key] = layer
        return cache[key]

    return get


def run_both(layer, kind, x, mask, return_sequences):
    """Return (Keras output, reference output) for one layer, input and mask."""
    keras_mask = None if mask is None else np.asarray(mask, dtype=bool)
    expected = np.asarray(layer(x, mask=keras_mask))
    actual = FORWARDS[kind](x, mask, *layer.get_weights(), return_sequences=return_sequences)
    return expected, actual


@st.composite
def cases(draw):
    """Shapes N 1-3, T 1-6, D 1-3, U 1-3, a random mask and a data seed."""
    n, t = draw(st.integers(1, 3)), draw(st.integers(1, 6))
    rows = st.lists(st.booleans(), min_size=t, max_size=t)
    mask = np.array(draw(st.lists(rows, min_size=n, max_size=n)), dtype=bool)
    return n, t, draw(st.integers(1, 3)), draw(st.integers(1, 3)), mask, draw(st.integers(0, 2**16))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("return_sequences", [False, True])
def test_matches_keras_on_fixed_mask_patterns(layers, rng, kind, return_sequences):
    """Leading, trailing, interior and full padding give Keras' exact outputs."""
    n, t = MASK_PATTERNS.shape
    x = rng.normal(size=(n, t, 3)).astype("float32")
    layer = layers(kind, 3, 2, return_sequences)
    expected, actual = run_both(layer, kind, x, MASK_PATTERNS, return_sequences)
    assert actual.shape == expected.shape
    assert actual.dtype == np.float32
    np.testing.assert_allclose(actual, expected, **TOL)


@pytest.mark.parametrize("kind", KINDS)
@given(case=cases(), return_sequences=st.booleans())
def test_matches_keras_on_random_masks(layers, kind, case, return_sequences):
    """For random shapes, weights and masks the reference equals the Keras layer."""
    n, t, d, u, mask, seed = case
    x = np.random.default_rng(seed).normal(size=(n, t, d)).astype("float32")
    layer = layers(kind, d, u, return_sequences)
    expected, actual = run_both(layer, kind, x, mask, return_sequences)
    np.testing.assert_allclose(actual, expected, **TOL)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("return_sequences", [False, True])
def test_matches_keras_without_mask(layers, rng, kind, return_sequences):
    """With mask=None every step is used, as in Keras."""
    x = rng.normal(size=(2, 5, 2)).astype("float32")
    layer = layers(kind, 2, 3, return_sequences)
    expected, actual = run_both(layer, kind, x, None, return_sequences)
    np.testing.assert_allclose(actual, expected, **TOL)


@pytest.mark.parametrize("kind", KINDS)
def test_masked_steps_repeat_previous_output_in_keras_and_reference(layers, rng, kind):
    """A masked step repeats the previous output; leading padding outputs zeros."""
    n, t = MASK_PATTERNS.shape
    x = rng.normal(size=(n, t, 2)).astype("float32")
    layer = layers(kind, 2, 3, True)
    for out in run_both(layer, kind, x, MASK_PATTERNS, True):  # (N, T, U)
        previous = np.concatenate([np.zeros_like(out[:, :1]), out[:, :-1]], axis=1)
        masked = ~MASK_PATTERNS
        np.testing.assert_array_equal(out[masked], previous[masked])
        assert np.all(out[MASK_PATTERNS] != 0)  # the cell really ran at valid steps


@pytest.mark.parametrize("kind", KINDS)
def test_last_output_is_last_valid_step_in_keras_and_reference(layers, rng, kind):
    """return_sequences=False returns the output at the last unmasked step (zeros if none)."""
    n, t = MASK_PATTERNS.shape
    x = rng.normal(size=(n, t, 2)).astype("float32")
    seq_layer, last_layer = layers(kind, 2, 3, True), layers(kind, 2, 3, False)
    last_layer.set_weights(seq_layer.get_weights())
    sequences, _ = run_both(seq_layer, kind, x, MASK_PATTERNS, True)
    for last in run_both(last_layer, kind, x, MASK_PATTERNS, False):
        for row, keep in enumerate(MASK_PATTERNS):
            valid = np.flatnonzero(keep)
            want = sequences[row, valid[-1]] if valid.size else np.zeros(3, "float32")
            np.testing.assert_allclose(last[row], want, **TOL)


def test_tutorial_example_simple_rnn_repeats_at_padded_steps(keras):
    """Embedding(5, 2, mask_zero) -> SimpleRNN(1) on [[1,0,3,0,2,0,0]]: steps 2,4,6,7 repeat."""
    ids = np.array([[1, 0, 3, 0, 2, 0, 0]])
    embedding = keras.layers.Embedding(5, 2, mask_zero=True)
    rnn = keras.layers.SimpleRNN(1, return_sequences=True)
    vectors = embedding(ids)  # (1, 7, 2), carries the mask
    keras_out = np.asarray(rnn(vectors))  # (1, 7, 1): the mask is passed implicitly
    ref_out = simple_rnn_forward(
        np.asarray(vectors), compute_mask(ids), *rnn.get_weights(), return_sequences=True
    )
    np.testing.assert_allclose(ref_out, keras_out, **TOL)
    repeated = [2, 4, 6, 7]  # 1-based steps whose id is 0
    for out in (keras_out, ref_out):
        for step in repeated:
            assert out[0, step - 1, 0] == out[0, step - 2, 0]
        assert out[0, 2, 0] != out[0, 1, 0]  # id 3 at step 3 does change the output


def test_bad_weight_shape_raises_with_received_value(rng):
    """A kernel of the wrong shape raises ValueError naming the received shape."""
    x = rng.normal(size=(1, 2, 3)).astype("float32")
    with pytest.raises(ValueError, match=r"Received: kernel.shape=\(3, 5\)"):
        lstm_forward(x, None, np.zeros((3, 5)), np.zeros((2, 8)), np.zeros(8))


def test_recurrent_kernel_that_is_not_2d_is_named(rng):
    """A 1-D recurrent kernel raises ValueError naming its shape (units cannot be read off it)."""
    x = rng.normal(size=(1, 2, 3)).astype("float32")
    with pytest.raises(ValueError, match=r"Received: recurrent_kernel.shape=\(4,\)"):
        gru_forward(x, None, np.zeros((3, 6)), np.zeros(4))


def test_bad_mask_shape_raises(rng):
    """A mask that is not (N, T) raises ValueError naming its shape."""
    x = rng.normal(size=(2, 4, 1)).astype("float32")
    with pytest.raises(ValueError, match=r"Received: mask.shape=\(4, 2\)"):
        simple_rnn_forward(x, np.ones((4, 2), bool), np.zeros((1, 1)), np.zeros((1, 1)))


@pytest.mark.parametrize("kind", KINDS)
def test_matches_keras_without_bias(keras, rng, kind):
    """With use_bias=False (bias=None) the reference still equals Keras."""
    layer = getattr(keras.layers, kind)(2, use_bias=False, return_sequences=True)
    layer.build((None, None, 3))
    layer.set_weights([rng.uniform(-1, 1, w.shape).astype("float32") for w in layer.get_weights()])
    x = rng.normal(size=MASK_PATTERNS.shape + (3,)).astype("float32")
    expected = np.asarray(layer(x, mask=MASK_PATTERNS))
    actual = FORWARDS[kind](x, MASK_PATTERNS, *layer.get_weights(), None, return_sequences=True)
    np.testing.assert_allclose(actual, expected, **TOL)


def test_simple_rnn_activation_argument_matches_keras(keras, rng):
    """SimpleRNN(activation='relu') equals simple_rnn_forward with a NumPy relu."""
    layer = keras.layers.SimpleRNN(3, activation="relu", return_sequences=True)
    x = rng.normal(size=MASK_PATTERNS.shape + (2,)).astype("float32")
    expected = np.asarray(layer(x, mask=MASK_PATTERNS))
    actual = simple_rnn_forward(x, MASK_PATTERNS, *layer.get_weights(), return_sequences=True,
                                activation=lambda z: np.maximum(z, 0))
    np.testing.assert_allclose(actual, expected, **TOL)
