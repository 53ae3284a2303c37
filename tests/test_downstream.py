"""embref.downstream against real Keras: parameter counts, shapes, Flatten, Dense."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from embref.downstream import (
    dense_forward,
    dense_output_shape,
    dense_params,
    embedding_params,
    flatten_forward,
    flatten_output_shape,
    gru_params,
    lstm_params,
    rnn_param_count,
    simple_rnn_params,
    stack_summary,
)
from embref.masking import compute_mask, masked_mean

KERAS_CLASS = {
    "embedding": "Embedding",
    "flatten": "Flatten",
    "dense": "Dense",
    "simple_rnn": "SimpleRNN",
    "lstm": "LSTM",
    "gru": "GRU",
    "global_average_pooling1d": "GlobalAveragePooling1D",
}


def keras_summary(keras, spec, input_shape):
    """Build the stack in Keras; return per-layer (name, output shape, count_params)."""
    layers = []
    for name, *args in spec:
        if name in ("simple_rnn", "lstm", "gru") and len(args) == 2:
            layer = getattr(keras.layers, KERAS_CLASS[name])(args[0], return_sequences=args[1])
        elif name == "dense" and len(args) == 2:
            layer = keras.layers.Dense(args[0], use_bias=args[1])
        else:
            layer = getattr(keras.layers, KERAS_CLASS[name])(*args)
        layers.append(layer)
    keras.Sequential([keras.Input(shape=input_shape), *layers])
    return [
        (s[0], tuple(layer.output.shape), layer.count_params())
        for s, layer in zip(spec, layers, strict=True)
    ]


# The three architectures of the course (V=5, D=2, 3 ids per sample), with the
# shapes and counts given in CURRICULUM.md; each is checked against Keras below.
TUTORIAL = {
    "flatten_dense": (
        [("embedding", 5, 2), ("flatten",), ("dense", 1)],
        [((None, 3, 2), 10), ((None, 6), 0), ((None, 1), 7)],
    ),
    "dense_on_sequence": (
        [("embedding", 5, 2), ("dense", 1)],
        [((None, 3, 2), 10), ((None, 3, 1), 3)],
    ),
    "lstm": (
        [("embedding", 5, 2), ("lstm", 1)],
        [((None, 3, 2), 10), ((None, 1), 16)],
    ),
}


@pytest.mark.parametrize("arch", list(TUTORIAL))
def test_tutorial_architectures_match_keras_and_the_book(keras, arch):
    """stack_summary equals Keras' shapes and count_params, which equal the book's table."""
    spec, book = TUTORIAL[arch]
    expected = keras_summary(keras, spec, (3,))
    assert stack_summary(spec, (3,)) == expected
    assert [(shape, params) for _, shape, params in expected] == book


@st.composite
def stacks(draw):
    """A random Embedding stack: V, D, T, U and a downstream layer chain."""
    v, d, t, u = (draw(st.integers(1, 50)), draw(st.integers(1, 8)),
                  draw(st.integers(1, 6)), draw(st.integers(1, 8)))
    head = draw(st.sampled_from(["flatten_dense", "dense", "rnn", "rnn_seq_dense", "pool"]))
    rnn = draw(st.sampled_from(["simple_rnn", "lstm", "gru"]))
    spec = [("embedding", v, d)]
    if head == "flatten_dense":
        spec += [("flatten",), ("dense", u, draw(st.booleans()))]
    elif head == "dense":
        spec += [("dense", u), ("dense", draw(st.integers(1, 4)), draw(st.booleans()))]
    elif head == "rnn":
        spec += [(rnn, u)]
    elif head == "rnn_seq_dense":
        spec += [(rnn, u, True), ("dense", draw(st.integers(1, 4)))]
    else:
        spec += [("global_average_pooling1d",), ("dense", u)]
    return spec, (t,)


@given(case=stacks())
def test_stack_summary_matches_keras(keras, case):
    """For random V, D, T, U and layer chains, shapes and counts equal Keras'."""
    spec, input_shape = case
    assert stack_summary(spec, input_shape) == keras_summary(keras, spec, input_shape)


@pytest.mark.parametrize("use_bias", [True, False])
@pytest.mark.parametrize(("features", "units"), [(1, 1), (2, 3), (7, 4)])
def test_param_formulas_match_keras_layers(keras, features, units, use_bias):
    """dense/simple_rnn/lstm/gru params equal Keras count_params, with and without bias."""
    cases = [
        (dense_params, keras.layers.Dense, (None, features)),
        (simple_rnn_params, keras.layers.SimpleRNN, (None, 5, features)),
        (lstm_params, keras.layers.LSTM, (None, 5, features)),
        (gru_params, keras.layers.GRU, (None, 5, features)),
    ]
    for formula, cls, shape in cases:
        layer = cls(units, use_bias=use_bias)
        layer.build(shape)
        assert formula(features, units, use_bias=use_bias) == layer.count_params(), cls


def test_gru_reset_after_false_matches_keras(keras):
    """GRU(reset_after=False) has one bias row fewer, as in Keras."""
    layer = keras.layers.GRU(3, reset_after=False)
    layer.build((None, 4, 2))
    assert gru_params(2, 3, reset_after=False) == layer.count_params()
    assert gru_params(2, 3) - gru_params(2, 3, reset_after=False) == 3 * 3


def test_rnn_param_count_dispatches_and_rejects_unknown_kinds():
    """rnn_param_count picks the right formula and names an unknown kind."""
    assert rnn_param_count("lstm", 2, 1) == lstm_params(2, 1)
    assert rnn_param_count("gru", 2, 1) == gru_params(2, 1)
    with pytest.raises(ValueError, match="Received: kind='rnn'"):
        rnn_param_count("rnn", 2, 1)


def test_embedding_params_matches_keras_and_checks_dims(keras):
    """embedding_params is V*D as Keras counts it; bad dimensions echo the value."""
    layer = keras.layers.Embedding(7, 3)
    layer.build((None, 4))
    assert embedding_params(7, 3) == layer.count_params()
    with pytest.raises(ValueError, match="Received: input_dim=0"):
        embedding_params(0, 3)


@given(shape=st.lists(st.one_of(st.none(), st.integers(1, 5)), min_size=0, max_size=3))
def test_flatten_output_shape_matches_keras(keras, shape):
    """flatten_output_shape equals Flatten.compute_output_shape, None axes included."""
    full = (None, *shape)
    assert flatten_output_shape(full) == tuple(keras.layers.Flatten().compute_output_shape(full))


@given(shape=st.lists(st.one_of(st.none(), st.integers(1, 5)), min_size=0, max_size=2),
       features=st.integers(1, 5), units=st.integers(1, 5))
def test_dense_output_shape_matches_keras(keras, shape, features, units):
    """dense_output_shape replaces the last axis, as Dense.compute_output_shape does."""
    full = (None, *shape, features)
    assert dense_output_shape(full, units) == tuple(
        keras.layers.Dense(units).compute_output_shape(full)
    )


@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=4), seed=st.integers(0, 2**16))
def test_flatten_forward_matches_keras(keras, shape, seed):
    """flatten_forward equals the Keras Flatten layer on 1-D to 4-D input."""
    x = np.random.default_rng(seed).normal(size=shape).astype("float32")
    expected = np.asarray(keras.layers.Flatten()(x))
    np.testing.assert_array_equal(flatten_forward(x), expected)


@given(n=st.integers(1, 3), t=st.integers(1, 5), features=st.integers(1, 4),
       units=st.integers(1, 3), three_d=st.booleans(), seed=st.integers(0, 2**16))
def test_dense_forward_matches_keras(keras, n, t, features, units, three_d, seed):
    """dense_forward on (N, F) and (N, T, F) equals the Keras Dense output."""
    data = np.random.default_rng(seed)
    shape = (n, t, features) if three_d else (n, features)
    x = data.normal(size=shape).astype("float32")
    layer = keras.layers.Dense(units, bias_initializer="random_normal")
    expected = np.asarray(layer(x))
    kernel, bias = layer.get_weights()
    np.testing.assert_allclose(dense_forward(x, kernel, bias), expected, rtol=1e-5, atol=1e-6)


def test_dense_forward_shares_weights_over_steps(rng):
    """On (N, T, F) every step uses the same kernel: step t equals Dense on x[:, t]."""
    x = rng.normal(size=(2, 4, 3))
    kernel, bias = rng.normal(size=(3, 2)), rng.normal(size=2)
    out = dense_forward(x, kernel, bias)  # (2, 4, 2)
    for t in range(4):
        np.testing.assert_allclose(out[:, t], x[:, t] @ kernel + bias, rtol=1e-12)


def test_dense_forward_rejects_mismatched_kernel(rng):
    """A kernel whose first axis is not F raises ValueError naming its shape."""
    with pytest.raises(ValueError, match=r"Received: kernel.shape=\(2, 1\)"):
        dense_forward(rng.normal(size=(2, 3)), np.zeros((2, 1)))


def test_stack_summary_rejects_bad_specs(keras):
    """Unknown layer names and an RNN on 2-D input raise ValueError, like Keras."""
    with pytest.raises(ValueError, match="Received: name='conv'"):
        stack_summary([("embedding", 5, 2), ("conv", 3)], (3,))
    spec = [("embedding", 5, 2), ("flatten",), ("lstm", 1)]
    with pytest.raises(ValueError, match=r"Received: shape=\(None, 6\)"):
        stack_summary(spec, (3,))
    with pytest.raises(ValueError):
        keras_summary(keras, spec, (3,))


@pytest.mark.parametrize("spec", [("embedding", 5), ("dense",), ("flatten", 3), ("lstm",)])
def test_stack_summary_names_a_malformed_spec(spec):
    """A spec with the wrong number of arguments raises ValueError echoing the spec."""
    with pytest.raises(ValueError, match=re.escape(f"spec={spec!r}")):
        stack_summary([("embedding", 5, 2), spec] if spec[0] != "embedding" else [spec], (3,))


def test_flatten_drops_mask_with_warning_and_dense_keeps_it(keras):
    """Flatten after Embedding(mask_zero) warns and drops the mask; Dense passes it on."""
    ids = np.array([[1, 0, 3], [2, 2, 0]])
    vectors = keras.layers.Embedding(5, 2, mask_zero=True)(ids)
    with pytest.warns(UserWarning, match="does not support masking"):
        flat = keras.layers.Flatten()(vectors)
    assert getattr(flat, "_keras_mask", None) is None
    np.testing.assert_array_equal(flat, flatten_forward(np.asarray(vectors)))
    dense_out = keras.layers.Dense(1)(vectors)
    np.testing.assert_array_equal(np.asarray(dense_out._keras_mask), compute_mask(ids))


def test_global_average_pooling_after_embedding_is_masked_mean(keras):
    """GlobalAveragePooling1D on a mask_zero Embedding output equals masked_mean."""
    ids = np.array([[1, 0, 3, 0], [4, 4, 4, 2], [0, 0, 2, 0]])
    vectors = keras.layers.Embedding(5, 2, mask_zero=True)(ids)
    pooled = np.asarray(keras.layers.GlobalAveragePooling1D()(vectors))
    np.testing.assert_allclose(pooled, masked_mean(np.asarray(vectors), compute_mask(ids)),
                               rtol=1e-6, atol=1e-7)
    plain = np.asarray(vectors).mean(axis=1)
    assert not np.allclose(pooled[0], plain[0])  # padding really was left out
