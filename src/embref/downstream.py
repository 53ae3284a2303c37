"""What comes after the Embedding: parameter counts, output shapes, forwards.

The numbers ``model.summary()`` prints for a small stack follow from a few
formulas. With U units and F input features per step (the last axis):

=====================  ===========================  ===========================
layer                  parameters                   output shape
=====================  ===========================  ===========================
Embedding(V, D)        V*D                          (N, *input_shape, D)
Flatten()              0                            (N, product of other axes)
Dense(U)               F*U + U                      last axis F -> U
SimpleRNN(U)           U*(F+U) + U                  (N, U) or (N, T, U)
LSTM(U)                4 * (U*(F+U) + U)            (N, U) or (N, T, U)
GRU(U), Keras 3        3 * (U*(F+U) + 2U)           (N, U) or (N, T, U)
GlobalAveragePool1D    0                            (N, F)
=====================  ===========================  ===========================

GRU's extra U per gate is the recurrent bias of ``reset_after=True`` (the
Keras 3 default); with ``reset_after=False`` it is 3 * (U*(F+U) + U).
Dense acts on the LAST axis only: on (N, T, F) it applies the same (F, U)
kernel at every step and returns (N, T, U).

Shapes here use ``None`` for the batch axis N, as ``model.summary()`` does.

Example:
    >>> stack_summary([("embedding", 5, 2), ("flatten",), ("dense", 1)], (3,))
    [('embedding', (None, 3, 2), 10), ('flatten', (None, 6), 0), ('dense', (None, 1), 7)]
"""

from __future__ import annotations

import math

import numpy as np

from embref.checks import check_dim

RNN_KINDS = ("simple_rnn", "lstm", "gru")


def embedding_params(input_dim: int, output_dim: int) -> int:
    """Parameters of ``Embedding(input_dim, output_dim)``: the (V, D) matrix."""
    return check_dim(input_dim, "input_dim") * check_dim(output_dim, "output_dim")


def dense_params(in_features: int, units: int, use_bias: bool = True) -> int:
    """Parameters of ``Dense(units)`` on inputs whose last axis has F features.

    Kernel (F, U) plus, with ``use_bias``, a bias (U,).
    """
    f, u = check_dim(in_features, "in_features"), check_dim(units, "units")
    return f * u + (u if use_bias else 0)


def simple_rnn_params(in_features: int, units: int, use_bias: bool = True) -> int:
    """Parameters of ``SimpleRNN(units)``: kernel (F, U), recurrent (U, U), bias (U,)."""
    f, u = check_dim(in_features, "in_features"), check_dim(units, "units")
    return u * (f + u) + (u if use_bias else 0)


def lstm_params(in_features: int, units: int, use_bias: bool = True) -> int:
    """Parameters of ``LSTM(units)``: four gates, each a SimpleRNN's worth."""
    return 4 * simple_rnn_params(in_features, units, use_bias)


def gru_params(in_features: int, units: int, use_bias: bool = True,
               reset_after: bool = True) -> int:
    """Parameters of ``GRU(units)``: three gates; bias (2, 3U) if ``reset_after``."""
    f, u = check_dim(in_features, "in_features"), check_dim(units, "units")
    bias = (2 * u if reset_after else u) if use_bias else 0
    return 3 * (u * (f + u) + bias)


def rnn_param_count(kind: str, in_features: int, units: int) -> int:
    """Parameters of a default recurrent layer: ``kind`` is one of RNN_KINDS."""
    counts = {"simple_rnn": simple_rnn_params, "lstm": lstm_params, "gru": gru_params}
    if kind not in counts:
        raise ValueError(f"`kind` must be one of {RNN_KINDS}. Received: kind={kind!r}")
    return counts[kind](in_features, units)


def flatten_output_shape(shape: tuple) -> tuple:
    """Output shape of ``Flatten()``: keep the batch axis, multiply the others.

    An unknown (None) non-batch axis makes the result None; a batch-only
    input (N,) becomes (N, 1). Both follow Keras.
    """
    rest = tuple(shape[1:])
    if any(d is None for d in rest):
        return (shape[0], None)
    return (shape[0], math.prod(rest))  # prod(()) == 1


def dense_output_shape(shape: tuple, units: int) -> tuple:
    """Output shape of ``Dense(units)``: the last axis becomes ``units``."""
    if len(shape) < 2 or shape[-1] is None:
        raise ValueError(
            f"Dense needs a known last axis (features). Received: shape={tuple(shape)}"
        )
    return tuple(shape[:-1]) + (check_dim(units, "units"),)


def flatten_forward(x) -> np.ndarray:
    """``Flatten()``: array of shape (N, ...) -> (N, product of other axes)."""
    x = np.asarray(x)
    return x.reshape(x.shape[0], -1) if x.ndim > 1 else x.reshape(-1, 1)  # (N, F)


def dense_forward(x, kernel, bias=None) -> np.ndarray:
    """``Dense(U)`` with no activation: ``x @ kernel + bias`` on the last axis.

    Args:
        x: float array, shape (N, F) or (N, T, F).
        kernel: shape (F, U). bias: shape (U,), or None.

    Returns:
        np.ndarray of shape (N, U) or (N, T, U): the same kernel at every step.
    """
    x, kernel = np.asarray(x), np.asarray(kernel)
    if kernel.ndim != 2 or x.shape[-1] != kernel.shape[0]:
        raise ValueError(
            f"`kernel` must have shape (F, U) with F = x.shape[-1] = {x.shape[-1]}. "
            f"Received: kernel.shape={kernel.shape}"
        )
    y = x @ kernel  # (..., U)
    return y if bias is None else y + np.asarray(bias)


def stack_summary(layers_spec, input_shape) -> list[tuple]:
    """Per-layer (name, output_shape, params) of a Sequential stack.

    Args:
        layers_spec: list of tuples, one per layer:
            ``("embedding", input_dim, output_dim)``, ``("flatten",)``,
            ``("dense", units[, use_bias])``,
            ``("simple_rnn" | "lstm" | "gru", units[, return_sequences])``,
            ``("global_average_pooling1d",)``.
        input_shape: shape of one sample, without the batch axis, as given to
            ``keras.Input(shape=...)``, e.g. (3,) for 3 ids per sample.

    Returns:
        list of ``(name, output_shape, params)``; shapes start with None.
    """
    shape = (None,) + tuple(input_shape)
    rows = []
    for spec in layers_spec:
        name, args = spec[0], tuple(spec[1:])
        shape, params = _one_layer(name, args, shape)
        rows.append((name, shape, params))
    return rows


# How many arguments follow each layer name in a spec: (fewest, most).
SPEC_ARGS = {"embedding": (2, 2), "flatten": (0, 0), "dense": (1, 2),
             "global_average_pooling1d": (0, 0), **{kind: (1, 2) for kind in RNN_KINDS}}


def _one_layer(name: str, args: tuple, shape: tuple) -> tuple[tuple, int]:
    """Output shape and parameter count of one layer spec given its input shape."""
    if name in SPEC_ARGS and not SPEC_ARGS[name][0] <= len(args) <= SPEC_ARGS[name][1]:
        low, high = SPEC_ARGS[name]
        raise ValueError(
            f"A `{name}` spec takes {low} to {high} arguments after the name. "
            f"Received: spec={(name, *args)!r}"
        )
    if name == "embedding":
        input_dim, output_dim = args
        return shape + (check_dim(output_dim, "output_dim"),), embedding_params(*args)
    if name == "flatten":
        return flatten_output_shape(shape), 0
    if name == "dense":
        out = dense_output_shape(shape, args[0])
        return out, dense_params(shape[-1], *args)
    if name in RNN_KINDS or name == "global_average_pooling1d":
        if len(shape) != 3 or shape[-1] is None:
            raise ValueError(
                f"`{name}` needs input of shape (N, T, F) with F known. "
                f"Received: shape={shape}"
            )
        if name == "global_average_pooling1d":
            return (shape[0], shape[2]), 0
        units = check_dim(args[0], "units")
        return_sequences = bool(args[1]) if len(args) > 1 else False
        out = shape[:2] + (units,) if return_sequences else (shape[0], units)
        return out, rnn_param_count(name, shape[-1], units)
    raise ValueError(
        "Unknown layer name: expected embedding, flatten, dense, "
        f"{', '.join(RNN_KINDS)} or global_average_pooling1d. Received: name={name!r}"
    )
