"""Masks for padded sequences, and the two reductions that respect them.

``Embedding(..., mask_zero=True)`` treats id 0 as padding: besides its output
of shape (N, T, D) it attaches a boolean mask of shape (N, T) that is False at
padded steps. Layers downstream use that mask:

* ``GlobalAveragePooling1D`` averages only the unmasked steps (``masked_mean``);
* a loss computed on a masked prediction averages only the unmasked steps
  (``masked_loss_mean``);
* recurrent layers skip masked steps (see ``embref.recurrent``).

Letters used in shapes: N batch, T time steps, D features per step.

Example:
    >>> compute_mask([[1, 0, 3, 0]])
    array([[ True, False,  True, False]])
"""

from __future__ import annotations

import numpy as np

from embref.checks import check_mask


def compute_mask(inputs) -> np.ndarray:
    """The padding mask of ``Embedding(mask_zero=True)``: ``inputs != 0``.

    The mask is computed on the raw input values, exactly as Keras does, and
    before any cast to integers. So a float input 0.7 looks up row 0 (the cast
    to int32 truncates it) but is NOT masked, because 0.7 != 0. Unlike
    ``embref.checks.check_indices``, this function therefore accepts floats:
    it answers "what mask would Keras attach?", including for such inputs.

    Args:
        inputs: integer or float array-like, shape (N, T) (any shape works).

    Returns:
        np.ndarray of dtype bool, same shape as ``inputs``: True where the
        step is real, False where it is padding (value exactly 0).

    Raises:
        TypeError: if ``inputs`` is not numeric (strings, objects, bools).
    """
    values = np.asarray(inputs)
    if not (np.issubdtype(values.dtype, np.integer) or np.issubdtype(values.dtype, np.floating)):
        raise TypeError(
            f"`inputs` must hold integer or float ids. Received: dtype={values.dtype}"
        )
    return values != 0  # (N, T)


def masked_mean(x, mask=None) -> np.ndarray:
    """Average over time of the unmasked steps (``GlobalAveragePooling1D``).

    Masked steps are replaced by 0, summed, and divided by the number of
    unmasked steps. A row whose steps are all masked divides 0 by 0, and
    Keras returns NaN for it; so does this function (without a warning).

    Args:
        x: float array, shape (N, T, D).
        mask: bool (or 0/1) array, shape (N, T), or None for a plain mean.

    Returns:
        np.ndarray of shape (N, D) and the float dtype of ``x``.

    Raises:
        ValueError: if ``x`` is not 3-D or ``mask`` does not have shape (N, T).
    """
    x = np.asarray(x)
    if x.ndim != 3:
        raise ValueError(f"`x` must have shape (N, T, D). Received: x.shape={x.shape}")
    if mask is None:
        return x.mean(axis=1)  # (N, D)
    keep = check_mask(mask, x.shape[:2])[..., None]  # (N, T, 1)
    total = np.where(keep, x, 0).sum(axis=1)  # (N, D)
    count = keep.sum(axis=1).astype(x.dtype)  # (N, 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return total / count  # (N, D)


def masked_loss_mean(per_step_loss, mask=None, sample_weight=None) -> float:
    """Reduce per-step losses the way a Keras loss does when y_pred has a mask.

    Keras' default reduction (``"sum_over_batch_size"``) with a mask gives each
    valid step the weight total/valid and each masked step weight 0, then
    divides the weighted sum by total. The result is the sum of the valid
    losses divided by the NUMBER of valid steps. A ``sample_weight`` multiplies
    the losses but does not change that divisor. With no valid step at all
    Keras returns 0 (it divides with ``divide_no_nan``), and so does this.

    Args:
        per_step_loss: float array, shape (N, T): the loss at every step, e.g.
            the mean squared error over the last axis of y_pred (N, T, 1).
        mask: bool (or 0/1) array, shape (N, T), or None (plain mean).
        sample_weight: optional float array broadcastable to (N, T), e.g. (N, 1).

    Returns:
        float: sum(loss * sample_weight over valid steps) / number of valid steps.
    """
    losses = np.asarray(per_step_loss)  # (N, T)
    if sample_weight is not None:
        losses = losses * np.asarray(sample_weight, dtype=losses.dtype)  # (N, T)
    if mask is None:
        return float(losses.mean()) if losses.size else 0.0
    keep = check_mask(mask, losses.shape)  # (N, T)
    valid = int(keep.sum())
    if valid == 0:
        return 0.0
    return float(np.where(keep, losses, 0).sum() / valid)
