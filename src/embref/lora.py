"""LoRA (low-rank adaptation) on an embedding table.

``layer.enable_lora(rank)`` freezes the (V, D) table W and adds two trainable
matrices, ``lora_embeddings_a`` of shape (V, r) and ``lora_embeddings_b`` of
shape (r, D). The layer then looks ids up in

    W_eff = W + (lora_alpha / r) * A @ B                       # (V, D)

so fine-tuning trains r*(V + D) numbers instead of V*D. Keras initialises A
with "he_uniform" and B with zeros, so W_eff == W until training moves B.

What Keras 3.15.1 does with ``lora_alpha`` (read from
keras/src/layers/core/embedding.py):

* ``enable_lora(rank, lora_alpha=None)``: ``lora_alpha`` defaults to ``rank``,
  i.e. a scale of 1.
* ``Embedding(..., lora_rank=r, lora_alpha=a)``: ``build`` calls
  ``enable_lora(r)`` without ``a``, so the layer ends up with
  ``lora_alpha == r`` and the constructor's ``a`` is silently ignored. Pass
  ``layer.lora_alpha`` (not the constructor argument) to reproduce a layer.

Letters used in shapes: V vocabulary size, D vector size, r LoRA rank.
"""

from __future__ import annotations

import numpy as np

from embref.checks import check_dim, check_real, check_table


def lora_param_count(input_dim: int, output_dim: int, rank: int) -> dict:
    """Count parameters of an Embedding after ``enable_lora(rank)``.

    Args:
        input_dim: Integer. Vocabulary size V.
        output_dim: Integer. Vector size D.
        rank: Integer. LoRA rank r.

    Returns:
        dict with ``trainable`` (r*(V + D): A and B), ``non_trainable``
        (V*D: the frozen table) and ``full`` (V*D: what full fine-tuning
        would train).
    """
    v = check_dim(input_dim, "input_dim")
    d = check_dim(output_dim, "output_dim")
    r = check_dim(rank, "rank")
    return {"trainable": r * (v + d), "non_trainable": v * d, "full": v * d}


def _check_alpha(lora_alpha, rank: int) -> float:
    """Return the LoRA scale numerator: ``rank`` when None, else a finite real number."""
    if lora_alpha is None:
        return float(rank)
    return check_real(lora_alpha, "lora_alpha")


def lora_effective_embeddings(
    embeddings, lora_a, lora_b, lora_alpha=None, rank: int | None = None
) -> np.ndarray:
    """The table a LoRA-enabled Embedding looks ids up in.

    Args:
        embeddings: float matrix W (frozen), shape (V, D).
        lora_a: float matrix A (``lora_embeddings_a``), shape (V, r).
        lora_b: float matrix B (``lora_embeddings_b``), shape (r, D).
        lora_alpha: Number or None. Scale numerator; None means ``rank``
            (Keras' default, a scale of 1).
        rank: Integer or None. LoRA rank r; None reads it from ``lora_a``.
            If given it must equal ``lora_a.shape[1]``.

    Returns:
        np.ndarray of shape (V, D): ``W + (lora_alpha / rank) * A @ B``, in
        the dtype NumPy promotes W, A and B to.
    """
    table = check_table(embeddings)  # (V, D)
    a, b = np.asarray(lora_a), np.asarray(lora_b)  # (V, r), (r, D)
    v, d = table.shape
    if a.ndim != 2 or b.ndim != 2 or a.shape[0] != v or b.shape[1] != d or a.shape[1] != b.shape[0]:
        raise ValueError(
            "Expected lora_a of shape (input_dim, rank) and lora_b of shape "
            f"(rank, output_dim) for embeddings of shape {table.shape}. "
            f"Received: lora_a.shape={a.shape}, lora_b.shape={b.shape}"
        )
    r = check_dim(a.shape[1], "rank") if rank is None else check_dim(rank, "rank")
    if r != a.shape[1]:
        raise ValueError(
            f"`rank` must equal lora_a.shape[1]={a.shape[1]}. Received: rank={rank!r}"
        )
    scale = _check_alpha(lora_alpha, r) / r
    return table + scale * (a @ b)  # (V, D) + (V, r) @ (r, D)
