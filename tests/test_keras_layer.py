"""embref.keras_layer.ReferenceEmbedding against keras.layers.Embedding.

Most checks run on both classes (fixture ``layer_cls``) so that a check which
the real layer fails would be a wrong check; the comparisons then feed both
classes the same matrix and demand the same numbers.
"""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def reference_cls(keras):
    """ReferenceEmbedding, imported only after Keras has been imported quietly."""
    from embref.keras_layer import ReferenceEmbedding

    return ReferenceEmbedding


@pytest.fixture(params=["reference", "keras"])
def layer_cls(request, keras, reference_cls):
    """Each of the two classes in turn."""
    return reference_cls if request.param == "reference" else keras.layers.Embedding


@pytest.fixture
def both(keras, reference_cls):
    """The pair (ReferenceEmbedding, keras.layers.Embedding)."""
    return reference_cls, keras.layers.Embedding


def numpy(keras, x) -> np.ndarray:
    """A backend tensor as a NumPy array."""
    return keras.ops.convert_to_numpy(x)


def test_config_round_trip(keras, layer_cls, rng):
    """from_config(get_config()) gives an equal config and, with equal weights, equal outputs."""
    layer = layer_cls(
        7,
        3,
        mask_zero=True,
        embeddings_regularizer=keras.regularizers.L2(0.01),
        embeddings_constraint=keras.constraints.UnitNorm(axis=1),
        name="words",
    )
    config = layer.get_config()
    clone = layer_cls.from_config(config)
    assert clone.get_config() == config
    ids = rng.integers(0, 7, size=(2, 5))
    layer.build()
    clone.build()
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(numpy(keras, clone(ids)), numpy(keras, layer(ids)), rtol=0, atol=0)


def test_config_keys_and_values_match_keras(both):
    """Every key of the reference config is a Keras key with the same value."""
    settings = dict(input_dim=9, output_dim=4, mask_zero=True, trainable=False, name="e")
    ours, theirs = (cls(**settings, embeddings_regularizer="l2").get_config() for cls in both)
    assert set(ours) <= set(theirs)
    for key, value in ours.items():
        assert theirs[key] == value, key


@pytest.mark.parametrize("mask_zero", [False, True])
def test_masking_flag_and_mask(keras, layer_cls, mask_zero):
    """supports_masking equals mask_zero; compute_mask is ids != 0, or None without mask_zero."""
    ids = np.array([[3, 0, 1, 0], [0, 2, 2, 1]])
    layer = layer_cls(4, 2, mask_zero=mask_zero)
    assert layer.supports_masking is mask_zero
    mask = layer.compute_mask(ids)
    if mask_zero:
        np.testing.assert_array_equal(numpy(keras, mask), ids != 0)
    else:
        assert mask is None
    symbolic = layer(keras.Input(shape=(4,), dtype="int32"))
    assert (getattr(symbolic, "_keras_mask", None) is not None) is mask_zero


def test_weight_counts(keras, layer_cls):
    """One (V, D) weight named 'embeddings', trainable, V * D parameters."""
    layer = layer_cls(10, 3)
    layer.build()
    assert layer.count_params() == 30
    assert len(layer.weights) == len(layer.trainable_weights) == 1
    assert layer.non_trainable_weights == []
    assert layer.weights[0].name == "embeddings"
    assert tuple(layer.weights[0].shape) == (10, 3)


@pytest.mark.parametrize("shape", [(None,), (6,), (None, 3), (4, 2)])
def test_symbolic_output_shape_and_dtype(keras, layer_cls, shape):
    """A keras.Input of shape (N, ...) gives (N, ..., D) float32, as compute_output_shape says."""
    layer = layer_cls(5, 2)
    out = layer(keras.Input(shape=shape, dtype="int32"))
    assert tuple(out.shape) == (None, *shape, 2)
    assert out.dtype == "float32"
    assert tuple(layer.compute_output_shape((None, *shape))) == (None, *shape, 2)
    spec = layer.compute_output_spec(keras.KerasTensor((3, *shape), dtype="int64"))
    assert tuple(spec.shape) == (3, *shape, 2) and spec.dtype == "float32"


@pytest.mark.parametrize("dtype", ["int32", "int64", "uint8", "float32", "float64"])
def test_eager_inputs_of_every_dtype(keras, both, rng, dtype):
    """Integer ids read their rows; floats are truncated (1.7 -> 1, -0.7 -> 0); both agree."""
    matrix = rng.normal(size=(5, 3)).astype(np.float32)
    ids = rng.integers(0, 5, size=(3, 4)).astype(dtype)  # (N, T)
    if dtype.startswith("float"):
        ids = ids + rng.uniform(0, 0.99, size=ids.shape).astype(dtype)
        ids[0, 0] = -0.7
    outputs = [numpy(keras, cls(5, 3, weights=[matrix])(ids)) for cls in both]
    expected = matrix[np.trunc(ids).astype(np.int64)]  # (N, T, D)
    for out in outputs:
        assert out.shape == (3, 4, 3) and out.dtype == np.float32
        np.testing.assert_allclose(out, expected, rtol=0, atol=0)


def test_negative_and_out_of_range_ids(keras, tf, both, rng):
    """On the TF backend both wrap -1 to row V-1 and raise for id V."""
    matrix = rng.normal(size=(5, 3)).astype(np.float32)
    for cls in both:
        layer = cls(5, 3, weights=[matrix])
        np.testing.assert_allclose(numpy(keras, layer(np.array([-1, -5]))), matrix[[4, 0]])
        with pytest.raises(tf.errors.InvalidArgumentError):
            layer(np.array([5]))


def test_weights_argument(keras, layer_cls, rng):
    """weights=M (bare or in a list) builds the layer holding M."""
    matrix = rng.normal(size=(4, 2)).astype(np.float32)
    for weights in (matrix, [matrix]):
        layer = layer_cls(4, 2, weights=weights)
        assert layer.built
        np.testing.assert_allclose(layer.get_weights()[0], matrix, rtol=0, atol=0)


def test_regularizer_losses_agree(keras, both, rng):
    """With the same matrix, both layers report the penalty c * sum(W**2)."""
    matrix = rng.normal(size=(6, 2)).astype(np.float32)
    for cls in both:
        layer = cls(6, 2, weights=[matrix], embeddings_regularizer=keras.regularizers.L2(0.05))
        assert len(layer.losses) == 1
        np.testing.assert_allclose(float(layer.losses[0]), 0.05 * np.sum(matrix**2), rtol=1e-6)


def fit_one_step(keras, cls, matrix, ids, targets, **layer_kwargs):
    """Train Embedding -> GlobalAveragePooling1D for one SGD step; return the new matrix."""
    model = keras.Sequential(
        [
            keras.Input(shape=ids.shape[1:], dtype="int32"),
            cls(*matrix.shape, weights=[matrix], **layer_kwargs),
            keras.layers.GlobalAveragePooling1D(),  # masked mean when mask_zero
        ]
    )
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.5), loss="mse")
    model.fit(ids, targets, batch_size=len(ids), epochs=1, shuffle=False, verbose=0)
    return model.layers[0].get_weights()[0]


FIT_CASES = {
    "plain": {},
    "masked": {"mask_zero": True},
    "l2_unit_norm": {"embeddings_regularizer": "l2", "embeddings_constraint": "unit_norm"},
}


@pytest.mark.parametrize("case", FIT_CASES)
def test_one_fit_step_matches_keras(keras, both, rng, case):
    """One model.fit step with SGD moves the matrix exactly as it moves Keras' own."""
    kwargs = dict(FIT_CASES[case])
    if "embeddings_constraint" in kwargs:  # unit_norm acts on axis -1 (rows) by default
        kwargs["embeddings_constraint"] = keras.constraints.UnitNorm(axis=1)
    matrix = rng.normal(size=(6, 3)).astype(np.float32)
    ids = rng.integers(0, 6, size=(4, 5)).astype(np.int32)  # (N, T)
    ids[:, -1] = 0  # some padding for the masked case
    targets = rng.normal(size=(4, 3)).astype(np.float32)  # (N, D)
    ours, theirs = (fit_one_step(keras, cls, matrix, ids, targets, **kwargs) for cls in both)
    assert not np.allclose(theirs, matrix)  # the step did something
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-7)


def test_mixed_precision(keras, both, rng):
    """Under mixed_float16 the output is float16, the variable stays float32; both agree."""
    matrix = rng.normal(size=(5, 3)).astype(np.float32)
    ids = np.array([[4, 0, 2]])
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        layers = [cls(5, 3, weights=[matrix]) for cls in both]
        outputs = [numpy(keras, layer(ids)) for layer in layers]
        symbolic = [layer(keras.Input(shape=(3,), dtype="int32")) for layer in layers]
    finally:
        keras.mixed_precision.set_global_policy("float32")
    for layer, out, sym in zip(layers, outputs, symbolic, strict=True):
        assert layer.compute_dtype == "float16" and layer.variable_dtype == "float32"
        assert layer.autocast is False  # the table is read in float32, the rows cast
        assert layer.weights[0].dtype == "float32"
        assert out.dtype == np.float16 and sym.dtype == "float16"
        np.testing.assert_array_equal(out, matrix.astype(np.float16)[ids])


def test_trainable_false_freezes_the_matrix(keras, layer_cls, rng):
    """trainable=False: no trainable weights, and a fit step leaves the matrix unchanged."""
    matrix = rng.normal(size=(5, 2)).astype(np.float32)
    embedding = layer_cls(5, 2, weights=[matrix], trainable=False)
    assert embedding.trainable_weights == [] and len(embedding.non_trainable_weights) == 1
    model = keras.Sequential(
        [
            keras.Input(shape=(3,), dtype="int32"),
            embedding,
            keras.layers.Flatten(),
            keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.5), loss="mse")
    dense_before = model.layers[-1].get_weights()[0]
    model.fit(rng.integers(0, 5, size=(4, 3)), np.ones((4, 1)), epochs=1, verbose=0)
    np.testing.assert_array_equal(embedding.get_weights()[0], matrix)
    assert not np.allclose(model.layers[-1].get_weights()[0], dense_before)


# Keras' own saving code triggers a NumPy 2 DeprecationWarning (for both classes).
@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
def test_save_and_load_keras_file(keras, layer_cls, rng, tmp_path):
    """A model saved to .keras loads back with the same class, config and outputs."""
    ids = rng.integers(0, 8, size=(2, 4))
    model = keras.Sequential(
        [keras.Input(shape=(4,), dtype="int32"), layer_cls(8, 3, mask_zero=True, name="emb")]
    )
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    layer = loaded.get_layer("emb")
    assert type(layer) is layer_cls
    assert layer.get_config() == model.get_layer("emb").get_config()
    np.testing.assert_allclose(numpy(keras, loaded(ids)), numpy(keras, model(ids)), rtol=0, atol=0)


def test_masked_simple_rnn_repeats_previous_output(keras, both, rng):
    """Embedding(5, 2, mask_zero=True) -> SimpleRNN: masked steps repeat; both layers agree."""
    ids = np.array([[1, 0, 3, 0, 2, 0, 0]])
    matrix = rng.normal(size=(5, 2)).astype(np.float32)
    rnn_weights = None
    outputs = []
    for cls in both:
        model = keras.Sequential(
            [
                keras.Input(shape=(7,), dtype="int32"),
                cls(5, 2, mask_zero=True, weights=[matrix]),
                keras.layers.SimpleRNN(1, return_sequences=True),
            ]
        )
        if rnn_weights is None:
            rnn_weights = model.layers[-1].get_weights()
        model.layers[-1].set_weights(rnn_weights)
        outputs.append(numpy(keras, model(ids))[0, :, 0])  # (T,)
    ours, theirs = outputs
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=0)
    masked = np.flatnonzero(ids[0] == 0)  # steps 2, 4, 6, 7 counting from 1
    np.testing.assert_array_equal(theirs[masked], theirs[masked - 1])


@pytest.mark.parametrize("bad", [0, -2, True, 3.0, np.int64(3)], ids=repr)
def test_bad_dims_raise_value_error(layer_cls, bad):
    """A size that is not a Python int > 0 raises ValueError naming the argument."""
    with pytest.raises(ValueError, match="input_dim"):
        layer_cls(bad, 2)
    with pytest.raises(ValueError, match="output_dim"):
        layer_cls(2, bad)
