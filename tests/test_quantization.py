"""embref.quantization against Embedding.quantize("int8") in real Keras."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from strategies import float32s

from embref.quantization import dequantize_int8, quantization_error, quantize_int8
from embref.views import gather_view

# Keras 3.15.1's quantize() converts the Variable with np.array(x), which NumPy 2.4
# flags (DeprecationWarning: "__array__ implementation doesn't accept a copy keyword").
# It is Keras-internal and harmless here.
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
)

# layer.quantize("int8") costs ~0.12 s per call: a third of the profile's examples.
fewer = settings(max_examples=max(5, settings().max_examples // 3))


@st.composite
def tables(draw):
    """A float32 (V, D) table, V and D down to 1, wide value range, some rows exactly 0."""
    V, D = draw(st.integers(1, 8)), draw(st.integers(1, 6))
    magnitude = draw(st.sampled_from([1e-3, 0.05, 1.0, 300.0]))
    table = draw(hnp.arrays(np.float32, (V, D), elements=float32s(-1, 1)))
    table = (table * np.float32(magnitude)).astype(np.float32)
    table[draw(hnp.arrays(bool, (V,)))] = 0.0
    return table


def _quantized_layer(keras, table):
    """A real Embedding holding ``table``, quantized to int8 by Keras."""
    layer = keras.layers.Embedding(*table.shape, weights=[table])
    layer.quantize("int8")
    return layer


@given(tables())
@fewer
def test_int8_table_and_scale_equal_keras(keras, table):
    """quantize_int8 gives exactly Keras' stored int8 table (_embeddings) and embeddings_scale."""
    layer = _quantized_layer(keras, table)
    q, scale = quantize_int8(table)
    assert q.dtype == np.int8 and q.shape == table.shape
    assert scale.dtype == np.float32 and scale.shape == table.shape[:1]
    assert layer.quantization_mode == "int8"
    np.testing.assert_array_equal(q, layer._embeddings.numpy())
    np.testing.assert_array_equal(scale, layer.embeddings_scale.numpy())


@given(tables(), st.data())
@fewer
def test_quantized_outputs_equal_gather_of_dequantized(keras, table, data):
    """The quantized layer's output equals gather_view of dequantize_int8, bit for bit."""
    V = table.shape[0]
    ids = data.draw(hnp.arrays(np.int32, (2, 5), elements=st.integers(0, V - 1)))
    layer = _quantized_layer(keras, table)
    expected = np.asarray(layer(ids))  # (N, T, D)
    got = gather_view(ids, dequantize_int8(*quantize_int8(table)))
    np.testing.assert_array_equal(got, expected)


@given(tables())
@fewer
def test_error_bound_holds_on_keras_outputs(keras, table):
    """|W - dequantized| <= 0.5/scale per row (float rounding aside), measured on Keras' output."""
    V = table.shape[0]
    layer = _quantized_layer(keras, table)
    keras_rows = np.asarray(layer(np.arange(V)))  # (V, D)
    q, scale = quantize_int8(table)
    summary = quantization_error(table, q, scale)
    keras_error = np.abs(table.astype(np.float64) - keras_rows).max(axis=1)  # (V,)
    bound = 0.5 / scale.astype(np.float64)  # (V,)
    assert np.all(keras_error <= bound * (1 + 1e-5))
    assert summary["worst_ratio"] <= 1 + 1e-5
    np.testing.assert_allclose(summary["max_abs_error"], keras_error.max(), rtol=0, atol=0)
    amax = np.abs(table.astype(np.float64)).max(axis=1)
    np.testing.assert_allclose(summary["row_bound"], (amax + 1e-7) / 254, rtol=1e-6)


def test_default_table_error_and_memory_match_keras(keras, rng):
    """Default V=1000, D=64 table: error under amax/254; bytes equal what Keras stores."""
    V, D = 1000, 64
    layer = keras.layers.Embedding(V, D)
    layer.build()
    table = layer.embeddings.numpy()
    layer.quantize("int8")
    q, scale = quantize_int8(table)
    summary = quantization_error(table, q, scale)
    ids = rng.integers(0, V, size=(8, 16))
    keras_error = np.abs(np.asarray(layer(ids)) - table[ids]).max()
    assert keras_error <= summary["max_abs_error"] <= 0.05 / 254 * (1 + 1e-5)
    stored = layer._embeddings.numpy().nbytes + layer.embeddings_scale.numpy().nbytes
    assert summary["int8_bytes"] == stored
    assert summary["float32_bytes"] == table.nbytes


def test_zero_row_and_symmetric_range_match_keras(keras):
    """A zero row keeps q = 0 with scale 127/1e-7; the row max maps to +-127, never -128."""
    table = np.array([[0.0, 0.0, 0.0], [-2.0, 1.0, 0.5], [0.3, -0.1, 0.2]], dtype=np.float32)
    layer = _quantized_layer(keras, table)
    q, scale = quantize_int8(table)
    np.testing.assert_array_equal(q, layer._embeddings.numpy())
    np.testing.assert_array_equal(q[0], [0, 0, 0])
    np.testing.assert_allclose(scale[0], 127 / 1e-7, rtol=1e-6)
    np.testing.assert_array_equal(np.abs(q).max(axis=1)[1:], [127, 127])
    assert q.min() >= -127
    np.testing.assert_array_equal(np.asarray(layer(np.array([0])))[0], [0.0, 0.0, 0.0])


def test_non_finite_table_is_rejected_with_its_position():
    """NaN or inf in the table raises ValueError naming the entry."""
    table = np.ones((3, 2), dtype=np.float32)
    table[2, 1] = np.nan
    with pytest.raises(ValueError, match=r"embeddings\[2, 1\]=.*nan"):
        quantize_int8(table)


def test_dequantize_rejects_bad_inputs():
    """dequantize_int8 needs an int8 (V, D) table and positive float scales of shape (V,)."""
    with pytest.raises(ValueError, match="q.dtype=int64"):
        dequantize_int8(np.zeros((2, 2), dtype=np.int64), np.ones(2, dtype=np.float32))
    with pytest.raises(ValueError, match=r"scale.shape=\(3,\)"):
        dequantize_int8(np.zeros((2, 2), dtype=np.int8), np.ones(3, dtype=np.float32))
    with pytest.raises(ValueError, match=r"min\(scale\)="):
        dequantize_int8(np.zeros((2, 2), dtype=np.int8), np.zeros(2, dtype=np.float32))
