"""Sample submissions of assignment 4, regularizers_constraints (14 points over 14 test cells).

Each wrong answer must lose exactly the test cells of the behaviour it gets
wrong: the L2 penalty without its factor or with the textbook 1/2, the L2
gradient without the 2, MaxNorm over the columns (Keras' default axis=0), the
constraint applied before the SGD step, to the looked-up rows only, or after
a buffered update that drops repeated ids.
"""

from __future__ import annotations

from . import Sample

PENALTY = ("penalty_l2_matches_keras", "penalty_l1_matches_keras", "penalty_l1_l2_together")
GRADIENT = ("gradient_l2_matches_tensorflow", "gradient_l1_is_zero_at_zero",
            "gradient_l1_l2_is_dense")
UNIT_NORM = ("unit_norm_matches_keras", "unit_norm_zero_row_stays_zero")
MAX_NORM = ("max_norm_matches_keras", "max_norm_caps_long_rows_only",
            "max_norm_default_and_zero_rows")
STEP = ("step_projects_after_the_update", "step_adds_repeated_ids",
        "step_projects_the_whole_table")
EVERY_TEST = PENALTY + GRADIENT + UNIT_NORM + MAX_NORM + STEP

# ------------------------------------------------------------------ honest answers

CORRECT_ALTERNATIVE = {
    "penalty": '''def penalty(embeddings, l1=0.0, l2=0.0):
    flat = np.ravel(embeddings).astype(np.float64)
    return l1 * float(np.linalg.norm(flat, 1)) + l2 * float(flat @ flat)
''',
    "penalty_gradient": '''def penalty_gradient(embeddings, l1=0.0, l2=0.0):
    table = np.asarray(embeddings)
    sign = (table > 0).astype(table.dtype) - (table < 0).astype(table.dtype)
    return (l1 * sign + (2.0 * l2) * table).astype(table.dtype)
''',
    "unit_norm_rows": '''def unit_norm_rows(embeddings):
    table = np.asarray(embeddings)
    norms = np.linalg.norm(table, axis=1)[:, None]  # (V, 1)
    return (table / (norms + EPSILON)).astype(table.dtype)
''',
    "max_norm_rows": '''def max_norm_rows(embeddings, max_value=2.0):
    table = np.asarray(embeddings)
    norms = np.linalg.norm(table, axis=-1, keepdims=True)  # (V, 1)
    scale = np.minimum(norms, max_value) / (norms + EPSILON)
    return (table * scale).astype(table.dtype)
''',
    "constrained_sgd_step": '''def constrained_sgd_step(embeddings, indices, output_grad, learning_rate, constraint):
    table = np.array(embeddings, copy=True)
    V, D = table.shape
    ids = np.ravel(indices)
    one_hot = (ids[:, None] == np.arange(V)).astype(table.dtype)  # (n, V): small tables only
    grad = one_hot.T @ np.reshape(output_grad, (-1, D)).astype(table.dtype)  # (V, D)
    table -= learning_rate * grad
    return constraint(table).astype(table.dtype)
''',
}

# Forgets to multiply sum(W**2) by l2: the square term is there even when l2 = 0.
L2_WITHOUT_FACTOR = '''def penalty(embeddings, l1=0.0, l2=0.0):
    table = np.asarray(embeddings, dtype=np.float64)
    return float(l1 * np.sum(np.abs(table)) + np.sum(table ** 2))
'''
# The textbook convention 1/2 * l2 * sum(W**2), which Keras does not use.
HALF_L2 = '''def penalty(embeddings, l1=0.0, l2=0.0):
    table = np.asarray(embeddings, dtype=np.float64)
    return float(l1 * np.sum(np.abs(table)) + 0.5 * l2 * np.sum(table ** 2))
'''
# The derivative of W**2 without its 2.
GRADIENT_WITHOUT_TWO = '''def penalty_gradient(embeddings, l1=0.0, l2=0.0):
    table = np.asarray(embeddings)
    return (l1 * np.sign(table) + l2 * table).astype(table.dtype)
'''
# sign(0) taken as +1: the L1 gradient is l1 where W == 0.
L1_GRADIENT_ONE_AT_ZERO = '''def penalty_gradient(embeddings, l1=0.0, l2=0.0):
    table = np.asarray(embeddings)
    sign = np.where(table >= 0, 1.0, -1.0)
    return (l1 * sign + 2 * l2 * table).astype(table.dtype)
'''
# Divides by the bare norm: an all-zero row becomes nan.
UNIT_NORM_WITHOUT_EPSILON = '''def unit_norm_rows(embeddings):
    table = np.asarray(embeddings)
    return table / np.linalg.norm(table, axis=1, keepdims=True)
'''
# Keras' default axis=0: the norms of the D columns.
MAX_NORM_COLUMNS = '''def max_norm_rows(embeddings, max_value=2.0):
    table = np.asarray(embeddings)
    norms = np.sqrt(np.sum(np.square(table), axis=0, keepdims=True))  # (1, D)
    desired = np.clip(norms, 0, max_value).astype(table.dtype)
    return table * (desired / (table.dtype.type(EPSILON) + norms))
'''
# Applies the constraint to the table and then takes the step.
PROJECT_BEFORE_STEP = '''def constrained_sgd_step(embeddings, indices, output_grad, learning_rate, constraint):
    table = constraint(np.asarray(embeddings))
    ids = np.asarray(indices).reshape(-1)
    grad = np.zeros_like(table)
    np.add.at(grad, ids, np.asarray(output_grad).reshape(ids.size, -1))
    return (table - learning_rate * grad).astype(table.dtype)
'''
# Constrains only the rows it has just updated.
PROJECT_LOOKED_UP_ROWS = '''def constrained_sgd_step(embeddings, indices, output_grad, learning_rate, constraint):
    table = np.array(embeddings)
    ids = np.asarray(indices).reshape(-1)
    grad = np.zeros_like(table)
    np.add.at(grad, ids, np.asarray(output_grad).reshape(ids.size, -1))
    table -= learning_rate * grad
    rows = np.unique(ids)
    table[rows] = constraint(table[rows])
    return table
'''
# Buffered fancy-index update: an id looked up twice gets only its last gradient row.
BUFFERED_STEP = '''def constrained_sgd_step(embeddings, indices, output_grad, learning_rate, constraint):
    table = np.array(embeddings)
    ids = np.asarray(indices).reshape(-1)
    table[ids] -= learning_rate * np.asarray(output_grad).reshape(ids.size, -1)
    return constraint(table)
'''

SAMPLES = [
    Sample("correct_alternative", "Correct, written differently from the solution (norm-1 and "
           "dot-product penalty, sign by comparisons, linalg.norm, one-hot gradient).",
           answers=CORRECT_ALTERNATIVE),
    Sample("untouched", "The release as downloaded.", untouched=True, fails=EVERY_TEST),
    Sample("partial", "Penalty, gradient and unit norm right; max_norm_rows and the step not "
           "attempted.", answers={"max_norm_rows": None, "constrained_sgd_step": None},
           fails=MAX_NORM + STEP),
    Sample("l2_without_factor", "penalty adds sum(W**2) without multiplying it by l2.",
           answers={"penalty": L2_WITHOUT_FACTOR}, fails=PENALTY),
    Sample("half_l2", "penalty uses the textbook 1/2 * l2 * sum(W**2).",
           answers={"penalty": HALF_L2},
           fails=("penalty_l2_matches_keras", "penalty_l1_l2_together")),
    Sample("gradient_without_two", "penalty_gradient forgets the 2 of d(W**2)/dW.",
           answers={"penalty_gradient": GRADIENT_WITHOUT_TWO},
           fails=("gradient_l2_matches_tensorflow", "gradient_l1_l2_is_dense")),
    Sample("l1_gradient_one_at_zero", "penalty_gradient takes sign(0) = +1.",
           answers={"penalty_gradient": L1_GRADIENT_ONE_AT_ZERO},
           fails=("gradient_l1_is_zero_at_zero", "gradient_l1_l2_is_dense")),
    Sample("unit_norm_without_epsilon", "unit_norm_rows divides by the bare norm (nan for a "
           "zero row).", answers={"unit_norm_rows": UNIT_NORM_WITHOUT_EPSILON},
           fails=("unit_norm_zero_row_stays_zero",)),
    Sample("max_norm_columns", "max_norm_rows takes column norms (axis=0, Keras' default).",
           answers={"max_norm_rows": MAX_NORM_COLUMNS}, fails=MAX_NORM),
    Sample("project_before_step", "constrained_sgd_step applies the constraint before the step.",
           answers={"constrained_sgd_step": PROJECT_BEFORE_STEP},
           fails=("step_projects_after_the_update",)),
    Sample("project_looked_up_rows", "constrained_sgd_step constrains only the rows it updated.",
           answers={"constrained_sgd_step": PROJECT_LOOKED_UP_ROWS},
           fails=("step_projects_the_whole_table",)),
    Sample("buffered_step", "constrained_sgd_step updates with table[ids] -= ..., losing "
           "repeated ids.", answers={"constrained_sgd_step": BUFFERED_STEP},
           fails=("step_adds_repeated_ids",)),
]

# How a test cell is judged (issue #14): see tests/samples/judging.py.
from .judging import later_rebinding  # noqa: E402

SAMPLES += [later_rebinding("regularizers_constraints")]
