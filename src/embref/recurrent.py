"""Masked forward passes of SimpleRNN, LSTM and GRU, as Keras 3 computes them.

All three share one loop (``_scan``) that applies the mask the way Keras'
TensorFlow backend does (``zero_output_for_mask=False``, the default):

* at an unmasked step the cell runs as usual;
* at a masked step the output AND every state copy the previous step: the
  cell's result is computed and thrown away;
* before the first unmasked step the "previous output" is zeros, so leading
  padding outputs zeros (the initial state is zeros too);
* ``return_sequences=False`` returns the output of the last step, which after
  trailing padding is the output of the last VALID step. A row with every
  step masked returns zeros.

Weights use Keras' layouts, so ``layer.get_weights()`` can be passed as is:

=========  ================  ==================  =============================
layer      kernel            recurrent_kernel    bias
=========  ================  ==================  =============================
SimpleRNN  (D, U)            (U, U)              (U,)
LSTM       (D, 4U) i f c o   (U, 4U)             (4U,)
GRU        (D, 3U) z r h     (U, 3U)             (2, 3U): input row, recurrent
                                                 row (``reset_after=True``)
=========  ================  ==================  =============================

Letters used in shapes: N batch, T time steps, D features per step, U units.
Computations run in the dtype of ``x`` and the weights (float32 in Keras).
"""

from __future__ import annotations

import numpy as np

from embref.checks import check_mask


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic function, written with tanh so large |z| cannot overflow."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def simple_rnn_forward(
    x, mask, kernel, recurrent_kernel, bias=None, return_sequences=False, activation=np.tanh
) -> np.ndarray:
    """Forward pass of ``keras.layers.SimpleRNN`` with an optional mask.

    Step: ``h_t = activation(x_t @ kernel + bias + h_{t-1} @ recurrent_kernel)``.

    Args:
        x: float array, shape (N, T, D).
        mask: bool (or 0/1) array, shape (N, T), False at padded steps; or None.
        kernel: shape (D, U). recurrent_kernel: shape (U, U).
        bias: shape (U,), or None (``use_bias=False``).
        return_sequences: Boolean. Return every step instead of the last one.
        activation: elementwise function (Keras' default is tanh).

    Returns:
        np.ndarray of shape (N, T, U) if ``return_sequences`` else (N, U).
    """
    x, keep, kernel, recurrent_kernel, bias = _check(
        x, mask, kernel, recurrent_kernel, bias, gates=1, bias_rows=None
    )

    def step(x_t, states):  # x_t (N, D)
        (h,) = states  # (N, U)
        z = x_t @ kernel + h @ recurrent_kernel  # (N, U)
        if bias is not None:
            z = z + bias
        h = activation(z)
        return h, (h,)

    return _scan(step, x, keep, n_states=1, units=kernel.shape[1],
                 return_sequences=return_sequences)


def lstm_forward(x, mask, kernel, recurrent_kernel, bias=None, return_sequences=False):
    """Forward pass of ``keras.layers.LSTM`` (tanh / sigmoid) with a mask.

    Gates come in Keras' order i, f, c, o along the last axis of the weights::

        z = x_t @ kernel + h @ recurrent_kernel + bias       # (N, 4U)
        i, f, o = sigmoid(z_i), sigmoid(z_f), sigmoid(z_o)
        c = f * c + i * tanh(z_c);  h = o * tanh(c)

    Args:
        x: float array, shape (N, T, D).
        mask: bool (or 0/1) array, shape (N, T), or None.
        kernel: shape (D, 4U). recurrent_kernel: shape (U, 4U).
        bias: shape (4U,), or None.
        return_sequences: Boolean.

    Returns:
        np.ndarray of shape (N, T, U) if ``return_sequences`` else (N, U): the
        hidden state h (the carry c is internal).
    """
    x, keep, kernel, recurrent_kernel, bias = _check(
        x, mask, kernel, recurrent_kernel, bias, gates=4, bias_rows=None
    )
    units = recurrent_kernel.shape[0]

    def step(x_t, states):  # x_t (N, D)
        h, c = states  # (N, U) each
        z = x_t @ kernel + h @ recurrent_kernel  # (N, 4U)
        if bias is not None:
            z = z + bias
        z_i, z_f, z_c, z_o = np.split(z, 4, axis=1)  # (N, U) each
        c = sigmoid(z_f) * c + sigmoid(z_i) * np.tanh(z_c)
        h = sigmoid(z_o) * np.tanh(c)
        return h, (h, c)

    return _scan(step, x, keep, n_states=2, units=units, return_sequences=return_sequences)


def gru_forward(x, mask, kernel, recurrent_kernel, bias=None, return_sequences=False):
    """Forward pass of ``keras.layers.GRU`` (Keras 3 defaults) with a mask.

    Keras 3 uses ``reset_after=True``: the reset gate multiplies the recurrent
    projection AFTER the matrix product, and the recurrent part has its own
    bias (row 1 of ``bias``). Gates come in the order z (update), r (reset),
    h (candidate)::

        a = x_t @ kernel + bias[0]           # (N, 3U)
        b = h @ recurrent_kernel + bias[1]   # (N, 3U)
        z = sigmoid(a_z + b_z);  r = sigmoid(a_r + b_r)
        h_new = tanh(a_h + r * b_h);  h = z * h + (1 - z) * h_new

    Args:
        x: float array, shape (N, T, D).
        mask: bool (or 0/1) array, shape (N, T), or None.
        kernel: shape (D, 3U). recurrent_kernel: shape (U, 3U).
        bias: shape (2, 3U), or None.
        return_sequences: Boolean.

    Returns:
        np.ndarray of shape (N, T, U) if ``return_sequences`` else (N, U).
    """
    x, keep, kernel, recurrent_kernel, bias = _check(
        x, mask, kernel, recurrent_kernel, bias, gates=3, bias_rows=2
    )
    units = recurrent_kernel.shape[0]

    def step(x_t, states):  # x_t (N, D)
        (h,) = states  # (N, U)
        a = x_t @ kernel  # (N, 3U)
        b = h @ recurrent_kernel  # (N, 3U)
        if bias is not None:
            a, b = a + bias[0], b + bias[1]
        a_z, a_r, a_h = np.split(a, 3, axis=1)  # (N, U) each
        b_z, b_r, b_h = np.split(b, 3, axis=1)
        z = sigmoid(a_z + b_z)
        r = sigmoid(a_r + b_r)
        candidate = np.tanh(a_h + r * b_h)
        h = z * h + (1 - z) * candidate
        return h, (h,)

    return _scan(step, x, keep, n_states=1, units=units, return_sequences=return_sequences)


def _scan(step, x, keep, n_states, units, return_sequences):
    """Run ``step`` over time with Keras' mask rule; see the module docstring.

    Args:
        step: function (x_t (N, D), states) -> (output (N, U), new states).
        x: shape (N, T, D). keep: bool, shape (N, T).
        n_states: number of (N, U) states (2 for LSTM: h and c). units: U.
        return_sequences: Boolean.
    """
    n, t_max, _ = x.shape
    states = tuple(np.zeros((n, units), dtype=x.dtype) for _ in range(n_states))
    output = np.zeros((n, units), dtype=x.dtype)  # "previous output" before step 0
    outputs = np.empty((n, t_max, units), dtype=x.dtype)  # (N, T, U)
    for t in range(t_max):
        new_output, new_states = step(x[:, t], states)
        valid = keep[:, t, None]  # (N, 1)
        output = np.where(valid, new_output, output)  # (N, U)
        pairs = zip(new_states, states, strict=True)
        states = tuple(np.where(valid, s_new, s) for s_new, s in pairs)  # each (N, U)
        outputs[:, t] = output
    return outputs if return_sequences else output


def _check(x, mask, kernel, recurrent_kernel, bias, gates, bias_rows):
    """Validate shapes; return x, the bool mask (N, T) and the weights as arrays."""
    x = np.asarray(x)
    if x.ndim != 3:
        raise ValueError(f"`x` must have shape (N, T, D). Received: x.shape={x.shape}")
    n, t_max, d = x.shape
    kernel = np.asarray(kernel)
    recurrent_kernel = np.asarray(recurrent_kernel)
    if recurrent_kernel.ndim != 2:
        raise ValueError(
            "`recurrent_kernel` must be 2-D, shape (U, gates * U). "
            f"Received: recurrent_kernel.shape={recurrent_kernel.shape}"
        )
    units = recurrent_kernel.shape[0]
    expected = {
        "kernel": (kernel, (d, gates * units)),
        "recurrent_kernel": (recurrent_kernel, (units, gates * units)),
    }
    if bias is not None:
        bias = np.asarray(bias)
        shape = (gates * units,) if bias_rows is None else (bias_rows, gates * units)
        expected["bias"] = (bias, shape)
    for name, (array, shape) in expected.items():
        if array.shape != shape:
            raise ValueError(
                f"`{name}` must have shape {shape} for x.shape={x.shape} and "
                f"units={units}. Received: {name}.shape={array.shape}"
            )
    if mask is None:
        keep = np.ones((n, t_max), dtype=bool)
    else:
        keep = check_mask(mask, (n, t_max))
    weights = [kernel, recurrent_kernel] + ([] if bias is None else [bias])
    dtype = np.result_type(x, *weights, np.float32)  # float32 unless given float64
    cast = [a.astype(dtype, copy=False) for a in (x, kernel, recurrent_kernel)]
    return cast[0], keep, cast[1], cast[2], None if bias is None else bias.astype(dtype)
