"""embref.layer.Embedding (NumPy) against keras.layers.Embedding (the oracle)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from embref.layer import Embedding

BAD_DIMS = [0, -3, True, 2.5, np.int64(4), "4", None]


def keras_twin(keras, layer: Embedding, **kwargs):
    """A built Keras Embedding holding the same matrix as ``layer`` (built here if needed)."""
    layer.build()
    return keras.layers.Embedding(
        layer.input_dim,
        layer.output_dim,
        mask_zero=layer.mask_zero,
        weights=[layer.get_weights()[0]],
        **kwargs,
    )


@st.composite
def lookups(draw):
    """(V, D, seed, ids) with ids of shape (N,), (N, T) or (N, T, K) in 0..V-1."""
    input_dim = draw(st.integers(1, 12))
    output_dim = draw(st.integers(1, 6))
    shape = tuple(draw(st.lists(st.integers(1, 5), min_size=1, max_size=3)))
    seed = draw(st.integers(0, 2**32 - 1))
    ids = np.random.default_rng(seed).integers(0, input_dim, size=shape)
    return input_dim, output_dim, seed, ids


@given(case=lookups())
def test_outputs_match_keras(keras, case):
    """For any ids of rank 1-3, the NumPy layer returns what Keras returns."""
    input_dim, output_dim, seed, ids = case
    layer = Embedding(input_dim, output_dim, seed=seed)
    expected = keras.ops.convert_to_numpy(keras_twin(keras, layer)(ids))
    got = layer(ids)
    assert got.dtype == expected.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=0, atol=0)


def test_repeated_ids_read_the_same_row(keras):
    """Repeated ids give the same row every time, as in Keras."""
    ids = np.array([[2, 2, 0, 2], [1, 2, 1, 1]])  # (N, T)
    layer = Embedding(3, 4, seed=1)
    out = layer(ids)  # (N, T, D)
    np.testing.assert_allclose(
        out, keras.ops.convert_to_numpy(keras_twin(keras, layer)(ids)), rtol=0, atol=0
    )
    np.testing.assert_allclose(out[0, :2], np.stack([layer.embeddings[2]] * 2), rtol=0, atol=0)


@pytest.mark.parametrize("mask_zero", [False, True])
def test_compute_mask_matches_keras(keras, rng, mask_zero):
    """compute_mask is ``ids != 0`` with mask_zero and None without, as in Keras."""
    ids = rng.integers(0, 4, size=(3, 6))
    layer = Embedding(4, 2, mask_zero=mask_zero)
    expected = keras.layers.Embedding(4, 2, mask_zero=mask_zero).compute_mask(ids)
    got = layer.compute_mask(ids)
    if mask_zero:
        np.testing.assert_array_equal(got, keras.ops.convert_to_numpy(expected))
        assert got.dtype == bool
    else:
        assert got is None and expected is None


@pytest.mark.parametrize("input_shape", [(None,), (None, 7), (4, None, 3), (2, 5)])
def test_compute_output_shape_matches_keras(keras, input_shape):
    """(...) -> (..., D), unknown sizes kept as None, as in Keras."""
    expected = keras.layers.Embedding(9, 4).compute_output_shape(input_shape)
    assert Embedding(9, 4).compute_output_shape(input_shape) == tuple(expected)


def test_count_params_matches_keras(keras):
    """count_params is V * D, the number Keras reports."""
    layer = Embedding(11, 3)
    layer.build()
    twin = keras.layers.Embedding(11, 3)
    twin.build()
    assert layer.count_params() == twin.count_params() == 11 * 3


def test_unbuilt_layer_refuses_like_keras(keras):
    """Before build, count_params raises ValueError and embeddings AttributeError, as in Keras."""
    for layer in (Embedding(4, 2), keras.layers.Embedding(4, 2)):
        with pytest.raises(ValueError, match="build"):
            layer.count_params()
        with pytest.raises(AttributeError, match="build"):
            layer.embeddings  # noqa: B018


def test_get_config_uses_keras_keys_and_values(keras):
    """Every config key except seed is a Keras key, with the same plain value."""
    settings = dict(input_dim=6, output_dim=2, mask_zero=True, trainable=False, name="words")
    config = Embedding(**settings, seed=3).get_config()
    expected = keras.layers.Embedding(**settings).get_config()
    assert set(config) - {"seed"} <= set(expected)
    for key in settings:
        assert config[key] == expected[key], key
    assert expected["embeddings_initializer"]["config"]["minval"] == -0.05
    assert expected["embeddings_initializer"]["config"]["maxval"] == 0.05


def test_from_config_round_trip():
    """from_config(get_config()) rebuilds a layer with the same config and, seeded, matrix."""
    layer = Embedding(5, 3, mask_zero=True, seed=7, name="tokens")
    clone = Embedding.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    layer.build()
    clone.build()
    np.testing.assert_allclose(clone.embeddings, layer.embeddings, rtol=0, atol=0)


def uniform_stats_ok(values: np.ndarray, low: float = -0.05, high: float = 0.05) -> None:
    """Assert ``values`` look like draws from U(low, high)."""
    n = values.size
    std = (high - low) / np.sqrt(12)  # standard deviation of U(low, high)
    assert values.min() >= low and values.max() <= high
    # the mean of n draws has standard error std/sqrt(n): allow 5 of them
    assert abs(values.mean() - (low + high) / 2) < 5 * std / np.sqrt(n)
    # the sample std of a uniform has relative standard error ~ sqrt(0.2/n): allow 5
    np.testing.assert_allclose(values.std(), std, rtol=5 * np.sqrt(0.2 / n))


def test_default_initializer_is_uniform_like_keras(keras):
    """The default draws look like U(-0.05, 0.05), and so do Keras' own."""
    layer = Embedding(200, 100, seed=0)
    layer.build()
    uniform_stats_ok(layer.embeddings)
    twin = keras.layers.Embedding(200, 100)
    twin.build()
    uniform_stats_ok(twin.get_weights()[0])


def test_seed_makes_the_matrix_reproducible():
    """The same seed gives the same matrix; another seed a different one."""
    first, again, other = Embedding(8, 3, seed=5), Embedding(8, 3, seed=5), Embedding(8, 3, seed=6)
    for layer in (first, again, other):
        layer.build()
    np.testing.assert_array_equal(first.embeddings, again.embeddings)
    assert not np.array_equal(first.embeddings, other.embeddings)


@pytest.mark.parametrize("initializer", ["zeros", "ones"])
def test_named_constant_initializers_match_keras(keras, initializer):
    """'zeros' and 'ones' fill the matrix as Keras does."""
    layer = Embedding(4, 3, embeddings_initializer=initializer)
    layer.build()
    twin = keras.layers.Embedding(4, 3, embeddings_initializer=initializer)
    twin.build()
    np.testing.assert_array_equal(layer.embeddings, twin.get_weights()[0])


def test_array_and_callable_initializers(rng):
    """A (V, D) array is copied in as is; a callable is called with (shape, dtype)."""
    vectors = rng.normal(size=(5, 2))
    layer = Embedding(5, 2, embeddings_initializer=vectors)
    layer.build()
    np.testing.assert_allclose(layer.embeddings, vectors.astype(np.float32), rtol=0, atol=0)
    calls = []
    layer = Embedding(5, 2, embeddings_initializer=lambda s, d: calls.append(s) or np.ones(s, d))
    layer.build()
    assert calls == [(5, 2)]
    with pytest.raises(ValueError, match=r"\(4, 2\)"):
        Embedding(5, 2, embeddings_initializer=np.ones((4, 2))).build()


def test_weights_argument_like_keras(keras, rng):
    """weights=[M] (or a bare M) builds the layer and copies M in, as Keras does."""
    matrix = rng.normal(size=(6, 3)).astype(np.float32)
    ids = np.array([[5, 0, 3, 3]])
    expected = keras.ops.convert_to_numpy(keras.layers.Embedding(6, 3, weights=[matrix])(ids))
    for weights in ([matrix], matrix):
        layer = Embedding(6, 3, weights=weights)
        assert layer.built
        np.testing.assert_allclose(layer(ids), expected, rtol=0, atol=0)
    assert np.shares_memory(layer.embeddings, layer.weights[0])
    assert not np.shares_memory(layer.get_weights()[0], layer.embeddings)


def test_trainable_false_like_keras(keras):
    """trainable=False leaves no trainable weights and one non-trainable, as in Keras."""
    layer = Embedding(5, 2, trainable=False)
    layer.build()
    twin = keras.layers.Embedding(5, 2, trainable=False)
    twin.build()
    assert len(layer.trainable_weights) == len(twin.trainable_weights) == 0
    assert len(layer.non_trainable_weights) == len(twin.non_trainable_weights) == 1
    assert layer.count_params() == twin.count_params()
    layer.trainable = True
    assert len(layer.trainable_weights) == 1 and not layer.non_trainable_weights


def test_set_weights_checks_like_keras(keras):
    """Wrong shapes or counts raise ValueError naming the shapes, as in Keras."""
    layer = Embedding(5, 2)
    with pytest.raises(ValueError, match="build"):
        layer.set_weights([np.zeros((5, 2))])
    layer.build()
    twin = keras.layers.Embedding(5, 2)
    twin.build()
    for bad in ([np.zeros((4, 2))], [np.zeros((5, 2)), np.zeros(2)], np.zeros((5, 2))):
        with pytest.raises(ValueError):
            twin.set_weights(bad)
        with pytest.raises(ValueError, match=r"\(4, 2\)|2 arrays|an array"):
            layer.set_weights(bad)


@pytest.mark.parametrize("bad", BAD_DIMS, ids=repr)
@pytest.mark.parametrize("which", ["input_dim", "output_dim"])
def test_bad_dims_raise_like_keras(keras, bad, which):
    """A size that is not a Python int > 0 raises ValueError naming it, like Keras."""
    args = {"input_dim": 5, "output_dim": 2, which: bad}
    with pytest.raises(ValueError, match=which):
        keras.layers.Embedding(**args)
    with pytest.raises(ValueError) as info:
        Embedding(**args)
    assert f"{which}={bad!r}" in str(info.value)


def test_bad_ids_raise_where_keras_differs(keras, tf):
    """Floats and negatives, which Keras truncates or wraps, raise; ids >= V raise in both."""
    layer = Embedding(4, 2, seed=0)
    twin = keras_twin(keras, layer)
    wrapped = keras.ops.convert_to_numpy(twin(np.array([-1])))
    np.testing.assert_allclose(wrapped, layer.embeddings[[3]], rtol=0, atol=0)
    with pytest.raises(ValueError, match="-1"):
        layer(np.array([-1]))
    truncated = keras.ops.convert_to_numpy(twin(np.array([1.7])))
    np.testing.assert_allclose(truncated, layer.embeddings[[1]], rtol=0, atol=0)
    with pytest.raises(TypeError, match="float"):
        layer(np.array([1.7]))
    with pytest.raises(tf.errors.InvalidArgumentError):
        twin(np.array([4]))
    with pytest.raises(ValueError, match="4"):
        layer(np.array([4]))


def test_regularizer_loss_matches_keras(keras, rng):
    """A callable penalty appears in losses with Keras' L2 value; frozen, none appears."""
    c = 0.03
    matrix = rng.normal(size=(6, 3)).astype(np.float32)
    layer = Embedding(6, 3, weights=[matrix], embeddings_regularizer=lambda w: c * np.sum(w**2))
    twin = keras.layers.Embedding(
        6, 3, weights=[matrix], embeddings_regularizer=keras.regularizers.L2(c)
    )
    assert len(layer.losses) == len(twin.losses) == 1
    np.testing.assert_allclose(layer.losses[0], float(twin.losses[0]), rtol=1e-6)
    layer.trainable = twin.trainable = False
    assert layer.losses == [] and twin.losses == []


def test_apply_constraint_matches_keras_unit_norm(keras, rng):
    """apply_constraint projects the matrix as Keras' UnitNorm(axis=1) does; frozen, not at all."""
    matrix = rng.normal(size=(6, 3)).astype(np.float32)
    unit_rows = lambda w: w / np.linalg.norm(w, axis=1, keepdims=True)
    layer = Embedding(6, 3, weights=[matrix], embeddings_constraint=unit_rows)
    np.testing.assert_allclose(layer.embeddings, matrix, rtol=0, atol=0)  # not at build
    layer.apply_constraint()
    expected = keras.ops.convert_to_numpy(keras.constraints.UnitNorm(axis=1)(matrix))
    np.testing.assert_allclose(layer.embeddings, expected, rtol=1e-6, atol=1e-7)
    frozen = Embedding(6, 3, weights=[matrix], embeddings_constraint=unit_rows, trainable=False)
    frozen.apply_constraint()
    np.testing.assert_allclose(frozen.embeddings, matrix, rtol=0, atol=0)


def test_non_callable_regularizer_is_refused():
    """A regularizer or constraint that cannot be called raises TypeError naming it."""
    with pytest.raises(TypeError, match="embeddings_regularizer='l2'"):
        Embedding(3, 2, embeddings_regularizer="l2")
    with pytest.raises(TypeError, match="embeddings_constraint=1"):
        Embedding(3, 2, embeddings_constraint=1)
