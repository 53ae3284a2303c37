"""embref: a small NumPy reference implementation of the Keras Embedding layer.

Every function here is checked against real Keras/TensorFlow by the course's
test suite, and the graded homework checks student code against it.
``import embref`` needs NumPy only; the Keras twin of the layer lives in
``embref.keras_layer`` and is imported on its own.

Modules, in the order of the course (each readable in one sitting):
    checks        input validation shared by all modules, with clear errors
    views         one-hot x dense matrix versus gather, and their costs
    gradients     the backward pass as a scatter-add, sparse SGD, gradient check
    initializers  starting values: U(-0.05, 0.05), zeros, constants
    pretrained    reading a word-vectors text file into a table in vocabulary order
    layer         a NumPy Embedding with the Keras life cycle
    keras_layer   ReferenceEmbedding, a from-scratch keras.layers.Layer
    regularizers  L1/L2 penalties on the table and their gradients
    constraints   UnitNorm, MaxNorm, NonNeg projections (Keras axis semantics)
    masking       masks from padding ids, masked mean, masked loss
    recurrent     masked SimpleRNN, LSTM and GRU forward passes
    downstream    output shapes and parameter counts of Flatten/Dense/RNN stacks
    lora          LoRA parameter counts and the effective table
    quantization  int8 per-row quantization of the table and its error
    collaborative user and item tables: ratings as a dot product plus biases
                  (import embref.collaborative; its names stay in their module)
"""

from embref.checks import check_dim, check_indices, check_table
from embref.constraints import max_norm, non_neg, unit_norm
from embref.downstream import (
    dense_forward,
    dense_output_shape,
    dense_params,
    embedding_params,
    flatten_forward,
    flatten_output_shape,
    gru_params,
    lstm_params,
    rnn_param_count,
    simple_rnn_params,
    stack_summary,
)
from embref.gradients import (
    dense_backward,
    embedding_backward,
    gradient_check,
    numerical_gradient,
    relative_error,
    sgd_step,
)
from embref.layer import Embedding
from embref.lora import lora_effective_embeddings, lora_param_count
from embref.masking import compute_mask, masked_loss_mean, masked_mean
from embref.pretrained import load_vectors, read_vectors
from embref.quantization import dequantize_int8, quantization_error, quantize_int8
from embref.recurrent import gru_forward, lstm_forward, simple_rnn_forward
from embref.regularizers import (
    l1_l2_penalty,
    l1_l2_penalty_gradient,
    l1_penalty,
    l1_penalty_gradient,
    l2_penalty,
    l2_penalty_gradient,
)
from embref.views import dense_view, gather_view, one_hot, view_costs

__all__ = [
    "load_vectors",
    "read_vectors",
    "Embedding",
    "check_dim",
    "check_indices",
    "check_table",
    "compute_mask",
    "dense_backward",
    "dense_forward",
    "dense_output_shape",
    "dense_params",
    "dense_view",
    "dequantize_int8",
    "embedding_backward",
    "embedding_params",
    "flatten_forward",
    "flatten_output_shape",
    "gather_view",
    "gradient_check",
    "gru_forward",
    "gru_params",
    "l1_l2_penalty",
    "l1_l2_penalty_gradient",
    "l1_penalty",
    "l1_penalty_gradient",
    "l2_penalty",
    "l2_penalty_gradient",
    "lora_effective_embeddings",
    "lora_param_count",
    "lstm_forward",
    "lstm_params",
    "masked_loss_mean",
    "masked_mean",
    "max_norm",
    "non_neg",
    "numerical_gradient",
    "one_hot",
    "quantization_error",
    "quantize_int8",
    "relative_error",
    "rnn_param_count",
    "sgd_step",
    "simple_rnn_forward",
    "simple_rnn_params",
    "stack_summary",
    "unit_norm",
    "view_costs",
]
