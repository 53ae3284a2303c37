"""embref.collaborative against a real Keras rating model (two Embeddings, Dot, biases)."""

from __future__ import annotations

import importlib.util
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from embref.collaborative import align_factors, mse_gradients, mse_loss, predict

NU, NI, D = 5, 4, 3  # users, items, factors


@st.composite
def rating_batches(draw, max_n=12):
    """(user_ids (n,), item_ids (n,), ratings (n,)): ids may repeat, some never occur."""
    n = draw(st.integers(1, max_n))
    users = draw(st.lists(st.integers(0, NU - 1), min_size=n, max_size=n))
    items = draw(st.lists(st.integers(0, NI - 1), min_size=n, max_size=n))
    ratings = draw(st.lists(st.floats(-5, 5, width=32), min_size=n, max_size=n))
    return (np.array(users, dtype="int32"), np.array(items, dtype="int32"),
            np.array(ratings, dtype="float32"))


def _tables(rng):
    """Random float32 tables: U (NU, D), V (NI, D), user_bias (NU, 1), item_bias (NI, 1)."""
    return {
        "U": rng.normal(size=(NU, D)).astype("float32"),
        "V": rng.normal(size=(NI, D)).astype("float32"),
        "user_bias": rng.normal(size=(NU, 1)).astype("float32"),
        "item_bias": rng.normal(size=(NI, 1)).astype("float32"),
    }


def _keras_model(keras, tables, mu):
    """The chapter's model without the lookups: ids go straight to the four tables."""
    layers = keras.layers
    user, item = keras.Input(shape=(), dtype="int32"), keras.Input(shape=(), dtype="int32")
    embeddings = {name: layers.Embedding(*table.shape, weights=[table], name=name)
                  for name, table in tables.items()}
    match = layers.Dot(axes=1)([embeddings["U"](user), embeddings["V"](item)])  # (N, 1)
    total = layers.Add()([match, embeddings["user_bias"](user), embeddings["item_bias"](item)])
    rating = layers.Reshape(())(layers.Rescaling(1.0, offset=mu)(total))  # (N,)
    return keras.Model([user, item], rating), embeddings


@pytest.fixture(scope="module")
def model_and_tables(keras):
    """A Keras rating model with fixed random tables, mu = 3.5, and the tables."""
    tables = _tables(np.random.default_rng(18))
    model, embeddings = _keras_model(keras, tables, 3.5)
    return model, embeddings, tables


@given(batch=rating_batches())
def test_predict_matches_keras_model(model_and_tables, batch):
    """predict(...) equals the Keras model: Dot of two Embeddings + two bias Embeddings + mu."""
    model, _, tables = model_and_tables
    users, items, _ = batch
    expected = np.asarray(model([users, items]))  # (n,)
    np.testing.assert_allclose(predict(users, items, **tables, mu=3.5), expected,
                               rtol=1e-5, atol=1e-5)


@given(batch=rating_batches())
def test_mse_loss_matches_keras_mse(keras, model_and_tables, batch):
    """mse_loss equals keras.losses.MeanSquaredError on the model's predictions."""
    model, _, tables = model_and_tables
    users, items, ratings = batch
    expected = float(keras.losses.MeanSquaredError()(ratings, model([users, items])))
    assert mse_loss(ratings, users, items, **tables, mu=3.5) == pytest.approx(expected, rel=1e-5)


@given(batch=rating_batches())
def test_mse_gradients_match_tensorflow(tf, keras, model_and_tables, batch):
    """mse_gradients equals tf.GradientTape's gradient for all four tables, repeated ids
    included (a repeated id adds up its contributions)."""
    model, embeddings, tables = model_and_tables
    users, items, ratings = batch
    variables = [embeddings[name].embeddings for name in tables]
    with tf.GradientTape() as tape:
        loss = keras.losses.MeanSquaredError()(ratings, model([users, items]))
    grads = tape.gradient(loss, variables)
    ours = mse_gradients(ratings, users, items, **tables, mu=3.5)
    for name, grad in zip(tables, grads, strict=True):
        expected = tf.convert_to_tensor(grad).numpy().reshape(ours[name].shape)
        np.testing.assert_allclose(ours[name], expected, rtol=1e-4, atol=1e-5, err_msg=name)


def test_ids_without_ratings_get_no_gradient_and_keep_their_rows(keras):
    """Cold start: rows of ids absent from the data get a zero gradient, and Adam leaves them
    exactly as they started, while the rows of the ids that occur move."""
    tables = _tables(np.random.default_rng(7))
    model, embeddings = _keras_model(keras, tables, 3.5)
    users, items = np.array([0, 1, 1], dtype="int32"), np.array([0, 0, 2], dtype="int32")
    ratings = np.array([4.0, 2.0, 5.0], dtype="float32")
    grads = mse_gradients(ratings, users, items, **tables, mu=3.5)
    assert not grads["U"][2:].any() and not grads["V"][[1, 3]].any()
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.1), loss="mse")
    model.fit([users, items], ratings, epochs=5, batch_size=3, verbose=0)
    after = embeddings["U"].get_weights()[0]
    np.testing.assert_array_equal(after[2:], tables["U"][2:])
    assert not np.allclose(after[:2], tables["U"][:2])


def test_predict_accepts_keras_shaped_ids_and_biases():
    """(n, 1) ids and (rows, 1) biases, as Keras holds them, give the same (n,) predictions."""
    tables = _tables(np.random.default_rng(3))
    flat = {**tables, "user_bias": tables["user_bias"][:, 0],
            "item_bias": tables["item_bias"][:, 0]}
    users, items = np.array([0, 4, 2]), np.array([3, 0, 1])
    np.testing.assert_array_equal(predict(users[:, None], items[:, None], **tables, mu=1.0),
                                  predict(users, items, **flat, mu=1.0))


def test_align_factors_recovers_an_affine_map(rng):
    """learned = target @ M + c is carried back onto target exactly:
    A = [inv(M); -c inv(M)]."""
    target = rng.normal(size=(20, 2))
    M, c = np.array([[0.0, 2.0], [-0.5, 0.3]]), np.array([1.0, -2.0])
    aligned, A = align_factors(target @ M + c, target)
    np.testing.assert_allclose(aligned, target, atol=1e-10)
    np.testing.assert_allclose(A[:2], np.linalg.inv(M), atol=1e-10)
    np.testing.assert_allclose(A[2], -c @ np.linalg.inv(M), atol=1e-10)


@pytest.mark.parametrize(
    "change, error, message",
    [
        ({"V": np.zeros((NI, D + 1))}, ValueError, "Received: U.shape=(5, 3), V.shape=(4, 4)"),
        ({"user_ids": [0, NU]}, ValueError, f"Index {NU} at position (1,)"),
        ({"item_ids": [0]}, ValueError, "Received: 2 user ids and 1 item ids"),
        ({"user_bias": np.zeros(NU + 1)}, ValueError, f"Received: user_bias.size={NU + 1}"),
        ({"user_ids": [0.0, 1.0]}, TypeError, "Received: dtype=float64"),
        ({"mu": float("nan")}, ValueError, "Received: mu=nan"),
    ],
    ids=["factor-mismatch", "user-out-of-range", "count-mismatch", "bias-length",
         "float-ids", "nan-mu"],
)
def test_bad_inputs_are_refused_with_the_value(change, error, message):
    """Mismatched tables, bad ids, wrong bias lengths and a non-finite mu raise, echoing
    the value received."""
    args = {"user_ids": [0, 1], "item_ids": [1, 2], **_tables(np.random.default_rng(0)),
            "mu": 0.0}
    args.update(change)
    with pytest.raises(error, match=re.escape(message)):
        predict(**args)


def _load_maker(repo):
    """Import book/data/make_ratings.py as a module."""
    script = repo / "book" / "data" / "make_ratings.py"
    spec = importlib.util.spec_from_file_location("make_ratings", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_shipped_ratings_are_what_the_script_makes(repo):
    """book/data/tiny_ratings.tsv equals a fresh run of make_ratings.py, byte for byte."""
    maker = _load_maker(repo)
    expected = maker.format_ratings(maker.make_ratings()).encode("utf-8")
    assert (repo / "book/data/tiny_ratings.tsv").read_bytes() == expected


def test_shipped_ratings_cover_every_user_and_item(repo):
    """RATINGS distinct pairs; each user and item has at least MIN_PER_ID ratings; the ratings
    are the generating formula plus noise of about NOISE_SD."""
    maker = _load_maker(repo)
    data = np.loadtxt(repo / "book/data/tiny_ratings.tsv", delimiter="\t", skiprows=1)
    users, items, ratings = data[:, 0].astype(int), data[:, 1].astype(int), data[:, 2]
    assert len(ratings) == maker.RATINGS == len(set(zip(users, items, strict=True)))
    assert np.bincount(users, minlength=maker.USERS).min() >= maker.MIN_PER_ID
    assert np.bincount(items, minlength=maker.ITEMS).min() >= maker.MIN_PER_ID
    truth = maker.true_factors()
    clean = predict(users, items, truth["U"], truth["V"], truth["user_bias"],
                    truth["item_bias"], truth["mu"])
    assert np.std(ratings - clean) == pytest.approx(maker.NOISE_SD, rel=0.2)
