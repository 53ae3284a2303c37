"""Sample submissions of assignment 5, downstream (14 points over 14 test cells).

Honest answers only: a correct one written differently, the untouched release,
a partial one, and the realistic mistakes of each part, each of which must lose
exactly the points of the behaviour it gets wrong: shapes and counts are graded
in separate cells. (Hostile submissions are exercised on two_views; the grading
machinery is the same.)
"""

from __future__ import annotations

from . import Sample

EMBEDDING = ("embedding_layer_params", "embedding_layer_shape")
FLATTEN = ("flatten_layer_shape", "flatten_layer_params")
DENSE = ("dense_layer_params", "dense_layer_shares_weights_over_positions", "dense_layer_shape")
LSTM = ("lstm_layer_params", "lstm_layer_shape_last_output", "lstm_layer_shape_sequences")
SIMPLE_RNN = ("simple_rnn_layer_params", "simple_rnn_layer_shape")
GRU = ("gru_layer_params", "gru_layer_shape")
EVERY_TEST = EMBEDDING + FLATTEN + DENSE + LSTM + SIMPLE_RNN + GRU

CORRECT_ALTERNATIVE = {
    "embedding_layer": '''def embedding_layer(input_shape, input_dim, output_dim):
    """One vector of output_dim numbers per id; one row of the matrix per word."""
    shape = list(input_shape)
    shape.append(output_dim)
    return tuple(shape), int(np.prod([input_dim, output_dim]))
''',
    "flatten_layer": '''import math

def flatten_layer(input_shape):
    batch, *rest = input_shape
    size = None if any(d is None for d in rest) else math.prod(rest)
    return (batch, size), 0
''',
    "dense_layer": '''def dense_layer(input_shape, units):
    *leading, features = input_shape
    kernel, bias = features * units, units
    return (*leading, units), kernel + bias
''',
    "lstm_layer": '''def _recurrent(input_shape, units, return_sequences, parts, biases_per_part):
    batch, steps, features = input_shape
    per_part = features * units + units * units + biases_per_part * units
    out = (batch, steps, units) if return_sequences else (batch, units)
    return out, parts * per_part

def lstm_layer(input_shape, units, return_sequences=False):
    return _recurrent(input_shape, units, return_sequences, parts=4, biases_per_part=1)
''',
    "simple_rnn_layer": '''def simple_rnn_layer(input_shape, units, return_sequences=False):
    return _recurrent(input_shape, units, return_sequences, parts=1, biases_per_part=1)
''',
    "gru_layer": '''def gru_layer(input_shape, units, return_sequences=False):
    return _recurrent(input_shape, units, return_sequences, parts=3, biases_per_part=2)
''',
}

# Returns the shape without the batch axis: (T, D) instead of (None, T, D).
NO_BATCH_EMBEDDING = '''def embedding_layer(input_shape, input_dim, output_dim):
    return tuple(input_shape[1:]) + (output_dim,), input_dim * output_dim
'''
# Thinks Flatten has a bias, one number per output.
FLATTEN_WITH_BIAS = '''def flatten_layer(input_shape):
    if None in input_shape[1:]:
        return (None, None), 0
    size = int(np.prod(input_shape[1:]))
    return (None, size), size
'''
# Counts the kernel and forgets the bias.
DENSE_WITHOUT_BIAS = '''def dense_layer(input_shape, units):
    return tuple(input_shape[:-1]) + (units,), input_shape[-1] * units
'''
# Flattens by itself: one weight per (position, feature), one output per sentence.
DENSE_PER_POSITION = '''def dense_layer(input_shape, units):
    inputs = int(np.prod(input_shape[1:]))
    return (None, units), inputs * units + units
'''
# Counts one part, as for SimpleRNN: forgets the LSTM's four gates.
LSTM_ONE_GATE = '''def lstm_layer(input_shape, units, return_sequences=False):
    batch, steps, features = input_shape
    shape = (batch, steps, units) if return_sequences else (batch, units)
    return shape, units * (features + units) + units
'''
# Ignores return_sequences: always the last output.
LSTM_LAST_ONLY = '''def lstm_layer(input_shape, units, return_sequences=False):
    return (None, units), 4 * (units * (input_shape[-1] + units) + units)
'''
# Leaves out the batch axis: (U,) and (T, U).
LSTM_NO_BATCH = '''def lstm_layer(input_shape, units, return_sequences=False):
    _, steps, features = input_shape
    shape = (steps, units) if return_sequences else (units,)
    return shape, 4 * (units * (features + units) + units)
'''
# SimpleRNN without its bias.
SIMPLE_RNN_WITHOUT_BIAS = '''def simple_rnn_layer(input_shape, units, return_sequences=False):
    batch, steps, features = input_shape
    shape = (batch, steps, units) if return_sequences else (batch, units)
    return shape, units * (features + units)
'''
# The GRU of Keras 2 tutorials (reset_after=False): one bias per part.
GRU_ONE_BIAS = '''def gru_layer(input_shape, units, return_sequences=False):
    batch, steps, features = input_shape
    shape = (batch, steps, units) if return_sequences else (batch, units)
    return shape, 3 * (units * (features + units) + units)
'''

SAMPLES = [
    Sample("correct_alternative", "Correct, written differently from the solution (one helper "
           "for the three recurrent layers).", answers=CORRECT_ALTERNATIVE),
    Sample("untouched", "The release as downloaded.", untouched=True, fails=EVERY_TEST),
    Sample("partial", "Embedding, Flatten and Dense right; LSTM and SimpleRNN not attempted; "
           "the GRU counted with one bias per part.",
           answers={"lstm_layer": None, "simple_rnn_layer": None, "gru_layer": GRU_ONE_BIAS},
           fails=LSTM + SIMPLE_RNN + ("gru_layer_params",)),
    Sample("no_batch_embedding", "embedding_layer's shape leaves out the batch None.",
           answers={"embedding_layer": NO_BATCH_EMBEDDING}, fails=("embedding_layer_shape",)),
    Sample("flatten_with_bias", "flatten_layer counts a bias per output number.",
           answers={"flatten_layer": FLATTEN_WITH_BIAS}, fails=("flatten_layer_params",)),
    Sample("dense_without_bias", "dense_layer forgets the bias.",
           answers={"dense_layer": DENSE_WITHOUT_BIAS}, fails=("dense_layer_params",)),
    Sample("dense_per_position", "dense_layer flattens by itself: weights per position and one "
           "output per sentence on a 3-D input.", answers={"dense_layer": DENSE_PER_POSITION},
           fails=("dense_layer_shares_weights_over_positions", "dense_layer_shape")),
    Sample("lstm_one_gate", "lstm_layer forgets the four gates.",
           answers={"lstm_layer": LSTM_ONE_GATE}, fails=("lstm_layer_params",)),
    Sample("lstm_last_only", "lstm_layer ignores return_sequences.",
           answers={"lstm_layer": LSTM_LAST_ONLY}, fails=("lstm_layer_shape_sequences",)),
    Sample("lstm_no_batch", "lstm_layer's shapes leave out the batch None.",
           answers={"lstm_layer": LSTM_NO_BATCH},
           fails=("lstm_layer_shape_last_output", "lstm_layer_shape_sequences")),
    Sample("simple_rnn_without_bias", "simple_rnn_layer forgets the bias.",
           answers={"simple_rnn_layer": SIMPLE_RNN_WITHOUT_BIAS},
           fails=("simple_rnn_layer_params",)),
    Sample("gru_one_bias", "gru_layer without reset_after's second bias (the Keras 2 count).",
           answers={"gru_layer": GRU_ONE_BIAS}, fails=("gru_layer_params",)),
]

# How a test cell is judged (issue #14): see tests/samples/judging.py.
from .judging import later_rebinding  # noqa: E402

SAMPLES += [later_rebinding("downstream")]
