"""Hypothesis strategies shared by the test modules."""

from __future__ import annotations

from hypothesis import strategies as st


def float32s(low: float, high: float) -> st.SearchStrategy[float]:
    """float32 values in [low, high], without subnormals.

    TensorFlow's CPU kernels flush subnormal floats to zero (tf.sign(1e-45) is
    0, tf.maximum(1e-45, 0) is 0), while NumPy keeps them; comparing the two on
    such values tests the processor's flush mode, not the embedding code.
    """
    return st.floats(low, high, width=32, allow_subnormal=False)
