"""int8 quantization of the embedding table, the way ``layer.quantize("int8")`` does it.

Keras 3.15.1 (keras/src/layers/core/embedding.py and
keras/src/quantizers/quantizers.py, ``abs_max_quantize`` with
``to_numpy=True``) quantizes **per row** (per word vector, ``axis=-1``),
symmetrically, with no zero point:

    amax[v]  = max_d |W[v, d]|                      # (V,)
    scale[v] = 127 / (amax[v] + 1e-7)               # (V,)  1e-7 = keras.backend.epsilon()
    q[v, d]  = clip(round(W[v, d] * scale[v]), -127, 127)   as int8
    W~[v, d] = q[v, d] / scale[v]                   # what the layer's call returns

Details that the reference copies exactly:

* ``scale`` is the factor that *multiplies* W (127/amax), not the step size
  amax/127 that many texts call "scale"; dequantizing *divides* by it.
* The arithmetic runs in NumPy in the table's dtype (float32 for a default
  layer); ``1e-7`` and ``127`` are Python scalars, so they do not promote it.
* ``np.round`` rounds halves to even (2.5 -> 2, -0.5 -> -0).
* The range is symmetric, [-127, 127]: -128 is never used. Because
  ``|W * scale| <= 127 * amax / (amax + 1e-7) < 127``, the clip never
  changes a value except through float rounding.
* An all-zero row gets ``scale = 1.27e9`` and stays exactly 0.

Stored by Keras as ``layer._embeddings`` (int8 variable, shape (V, D)) and
``layer.embeddings_scale`` (float32 variable, shape (V,)).

Error guarantee: rounding moves ``W * scale`` by at most 0.5, so per row
``|W - W~| <= 0.5 / scale = (amax + 1e-7) / 254``, up to float32 rounding of
the products (a few units in the last place). Memory: V*D bytes for the
table plus 4*V bytes for the scales, against 4*V*D bytes in float32.

Letters used in shapes: V vocabulary size, D vector size.
"""

from __future__ import annotations

import numpy as np

from embref.checks import check_table

INT8_RANGE = (-127, 127)  # Keras' value_range for int8: symmetric, -128 unused
EPSILON = 1e-7  # keras.backend.epsilon(), added to each row's max |W|


def quantize_int8(embeddings) -> tuple[np.ndarray, np.ndarray]:
    """Quantize a table to int8 per row, matching ``Embedding.quantize("int8")``.

    Args:
        embeddings: float matrix W, shape (V, D), every entry finite.

    Returns:
        ``(q, scale)``: ``q`` int8 of shape (V, D) and ``scale`` of shape (V,)
        in the dtype of ``embeddings``, with ``q ~= W * scale[:, None]``.

    Raises:
        ValueError: if W holds NaN or infinity (Keras would store garbage).
    """
    table = check_table(embeddings)  # (V, D)
    if not np.all(np.isfinite(table)):
        position = tuple(int(i) for i in np.argwhere(~np.isfinite(table))[0])
        raise ValueError(
            "Cannot quantize a table with non-finite entries. "
            f"Received: embeddings[{position[0]}, {position[1]}]={table[position]!r}"
        )
    amax = np.max(np.abs(table), axis=-1, keepdims=True)  # (V, 1)
    scale = np.divide(INT8_RANGE[1], np.add(amax, EPSILON))  # (V, 1), table dtype
    scaled = np.multiply(table, scale)  # (V, D)
    q = np.clip(np.round(scaled), *INT8_RANGE).astype(np.int8)  # (V, D)
    return q, scale[:, 0]


def dequantize_int8(q, scale) -> np.ndarray:
    """Recover approximate float rows: ``q / scale[:, None]``, as the layer's call.

    Args:
        q: int8 array, shape (V, D).
        scale: float array, shape (V,), every entry > 0.

    Returns:
        np.ndarray of shape (V, D) in the dtype of ``scale``.
    """
    q = np.asarray(q)
    scale = np.asarray(scale)
    if q.dtype != np.int8 or q.ndim != 2:
        raise ValueError(
            "`q` must be a 2-D int8 array. "
            f"Received: q.dtype={q.dtype}, q.shape={q.shape}"
        )
    if not np.issubdtype(scale.dtype, np.floating) or scale.shape != q.shape[:1]:
        raise ValueError(
            "`scale` must be a float array of shape (input_dim,). "
            f"Received: scale.dtype={scale.dtype}, scale.shape={scale.shape}, q.shape={q.shape}"
        )
    if not np.all(scale > 0):
        raise ValueError(f"`scale` must be > 0. Received: min(scale)={scale.min()!r}")
    return q.astype(scale.dtype) / scale[:, None]  # (V, D)


def quantization_error(embeddings, q, scale) -> dict:
    """Summarise the int8 error of a table against its guarantee.

    Args:
        embeddings: float matrix W, shape (V, D), the original table.
        q: int8 array, shape (V, D), from ``quantize_int8``.
        scale: float array, shape (V,), from ``quantize_int8``.

    Returns:
        dict with ``max_abs_error`` (max |W - W~|), ``row_bound`` (shape (V,):
        0.5 / scale), ``worst_ratio`` (max over rows of row error / row bound;
        <= 1 up to float rounding), ``float32_bytes`` (4*V*D) and
        ``int8_bytes`` (V*D + 4*V: table plus float32 scales).
    """
    table = check_table(embeddings)  # (V, D)
    restored = dequantize_int8(q, scale)  # (V, D)
    if restored.shape != table.shape:
        raise ValueError(
            f"Shapes must match. Received: embeddings.shape={table.shape}, q.shape={q.shape}"
        )
    error = np.abs(table.astype(np.float64) - restored.astype(np.float64))  # (V, D)
    row_bound = 0.5 / np.asarray(scale, dtype=np.float64)  # (V,)
    v, d = table.shape
    return {
        "max_abs_error": float(error.max()),
        "row_bound": row_bound,
        "worst_ratio": float(np.max(error.max(axis=1) / row_bound)),
        "float32_bytes": 4 * v * d,
        "int8_bytes": v * d + 4 * v,
    }
