"""embref.checks: the shared input checks and their error messages."""

from __future__ import annotations

import re

import numpy as np
import pytest

from embref.checks import (
    check_dim,
    check_layer_dim,
    check_mask,
    check_nonnegative,
    check_real,
)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), 10**400, "1", None, True])
def test_check_real_names_the_bad_value(bad):
    """Non-finite, non-numeric, boolean and float-overflowing values raise ValueError by value."""
    with pytest.raises(ValueError, match=re.escape(f"lr={bad!r}")):
        check_real(bad, "lr")


def test_check_nonnegative_accepts_zero_and_rejects_negatives():
    """0 and positive reals pass as floats; a negative value raises, named."""
    assert check_nonnegative(0, "l2") == 0.0 and isinstance(check_nonnegative(3, "l2"), float)
    with pytest.raises(ValueError, match=re.escape("l2=-0.5")):
        check_nonnegative(-0.5, "l2")


def test_check_dim_accepts_numpy_ints_but_check_layer_dim_does_not(keras):
    """embref functions take np.int64 sizes; layer constructors refuse them, as Keras does."""
    assert check_dim(np.int64(3), "input_dim") == 3
    with pytest.raises(ValueError):
        keras.layers.Embedding(np.int64(3), 2)
    with pytest.raises(ValueError, match=r"input_dim=np\.int64\(3\) \(of type int64\)"):
        check_layer_dim(np.int64(3), "input_dim")


def test_check_mask_casts_and_checks_shape():
    """A 0/1 mask of the right shape becomes bool; a wrong shape is named with the expected one."""
    np.testing.assert_array_equal(check_mask([[1, 0]], (1, 2)), np.array([[True, False]]))
    expected = "must have shape (2, 2). Received: mask.shape=(1, 2)"
    with pytest.raises(ValueError, match=re.escape(expected)):
        check_mask([[1, 0]], (2, 2))
