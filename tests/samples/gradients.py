"""Sample submissions of assignment 2, gradients (14 points over 14 test cells).

Honest answers only: a correct one written differently, the untouched release,
a partial one, and realistic wrong answers, each of which must lose exactly the
points of the behaviour it gets wrong (the hostile and bad-input cases are
covered by two_views' samples and do not depend on the assignment).
"""

from __future__ import annotations

from . import Sample

EMBEDDING_BACKWARD = ("embedding_backward_distinct_ids", "embedding_backward_repeated_ids",
                      "embedding_backward_keeps_batch_axes")
DENSE_BACKWARD = ("dense_backward_worked_example", "dense_backward_keeps_batch_axes")
SPARSE_SGD_STEP = ("sparse_sgd_step_moves_looked_up_rows",
                   "sparse_sgd_step_accumulates_repeated_ids",
                   "sparse_sgd_step_keeps_other_rows", "sparse_sgd_step_leaves_input_unchanged")
NUMERICAL_GRADIENT = ("numerical_gradient_matches_tape", "numerical_gradient_any_loss",
                      "numerical_gradient_leaves_table_unchanged")
RELATIVE_ERROR = ("relative_error_matches_formula", "relative_error_zero_entries")
EVERY_TEST = (EMBEDDING_BACKWARD + DENSE_BACKWARD + SPARSE_SGD_STEP + NUMERICAL_GRADIENT
              + RELATIVE_ERROR)

# ------------------------------------------------------------------ correct, another way

CORRECT_ALTERNATIVE = {
    "embedding_backward": '''def embedding_backward(indices, grad_output, input_dim):
    """One np.bincount per column: the weights of each id add up."""
    ids = np.ravel(indices)
    grad = np.asarray(grad_output)
    rows = grad.reshape(ids.size, grad.shape[-1])
    columns = [np.bincount(ids, weights=rows[:, d], minlength=input_dim)
               for d in range(rows.shape[1])]
    return np.stack(columns, axis=1).astype(grad.dtype)
''',
    "dense_backward": '''def dense_backward(indices, grad_output, input_dim):
    grad = np.asarray(grad_output)
    encoded = np.eye(input_dim, dtype=grad.dtype)[np.asarray(indices)]  # (..., V)
    batch_axes = list(range(encoded.ndim - 1))
    return np.tensordot(encoded, grad, axes=(batch_axes, batch_axes))
''',
    "sparse_sgd_step": '''def sparse_sgd_step(embeddings, indices, grad_output, learning_rate):
    """The whole gradient, but only the looked-up rows are written."""
    table = np.asarray(embeddings)
    grad_table = embedding_backward(indices, grad_output, table.shape[0])
    rows = np.unique(indices)
    new_table = np.copy(table)
    new_table[rows] = table[rows] - learning_rate * grad_table[rows]
    return new_table
''',
    "numerical_gradient": '''def numerical_gradient(loss, embeddings, eps=1e-3):
    """A fresh nudged copy for every entry."""
    base = np.asarray(embeddings, dtype=np.float64)
    result = np.empty(base.shape)
    for v in range(base.shape[0]):
        for d in range(base.shape[1]):
            up, down = base.copy(), base.copy()
            up[v, d] += eps
            down[v, d] -= eps
            result[v, d] = (loss(up) - loss(down)) / (2 * eps)
    return result
''',
    "relative_error": '''def relative_error(actual, expected):
    a, b = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    total = np.abs(a) + np.abs(b)
    ratio = np.divide(np.abs(a - b), total, out=np.zeros_like(total), where=total > 1e-12)
    return ratio.max()
''',
}

# ------------------------------------------------------------------ realistic wrong answers

# Part 1: the buffered +=, which keeps one row per repeated id.
BUFFERED_BACKWARD = '''def embedding_backward(indices, grad_output, input_dim):
    grad = np.asarray(grad_output)
    grad_table = np.zeros((input_dim, grad.shape[-1]), dtype=grad.dtype)
    grad_table[np.asarray(indices)] += grad
    return grad_table
'''
# Part 1: D read from axis 1, which is T for an (N, T, D) gradient.
NO_BATCH_AXES_BACKWARD = '''def embedding_backward(indices, grad_output, input_dim):
    grad_table = np.zeros((input_dim, grad_output.shape[1]), dtype=grad_output.dtype)
    np.add.at(grad_table, indices, grad_output)
    return grad_table
'''
# Part 2: one_hot.T @ grad without flattening the batch axes.
NO_BATCH_AXES_DENSE = '''def dense_backward(indices, grad_output, input_dim):
    encoded = (np.asarray(indices)[..., None] == np.arange(input_dim)).astype(grad_output.dtype)
    return encoded.T @ grad_output
'''
# Part 1: the zeros are float64 whatever grad_output's dtype.
FLOAT64_BACKWARD = '''def embedding_backward(indices, grad_output, input_dim):
    grad = np.asarray(grad_output)
    grad_table = np.zeros((input_dim, grad.shape[-1]))
    np.add.at(grad_table, np.ravel(indices), grad.reshape(-1, grad.shape[-1]))
    return grad_table
'''
# Part 2: np.eye makes float64 rows.
FLOAT64_DENSE = '''def dense_backward(indices, grad_output, input_dim):
    ids = np.ravel(indices)
    grad = np.asarray(grad_output).reshape(ids.size, -1)
    return np.eye(input_dim)[ids].T @ grad
'''
# Part 3: subtracts in place from the caller's table and returns it.
IN_PLACE_SGD = '''def sparse_sgd_step(embeddings, indices, grad_output, learning_rate):
    ids = np.ravel(indices)
    grad = np.asarray(grad_output).reshape(ids.size, -1)
    np.subtract.at(embeddings, ids, (learning_rate * grad).astype(embeddings.dtype))
    return embeddings
'''
# Part 3: the buffered -=, which moves a repeated id by one gradient row only.
BUFFERED_SGD = '''def sparse_sgd_step(embeddings, indices, grad_output, learning_rate):
    new_table = np.array(embeddings, copy=True)
    new_table[np.asarray(indices)] -= learning_rate * np.asarray(grad_output)
    return new_table
'''
# Part 3: adds an L2 penalty's gradient 2 * c * W, which is non-zero in every row.
L2_EVERY_ROW_SGD = '''def sparse_sgd_step(embeddings, indices, grad_output, learning_rate):
    table = np.asarray(embeddings)
    grad_table = np.zeros(table.shape)
    grad = np.asarray(grad_output)
    np.add.at(grad_table, np.ravel(indices), grad.reshape(-1, table.shape[1]))
    grad_table += 2 * 0.01 * table  # "regularize" with c = 0.01
    return (table - learning_rate * grad_table).astype(table.dtype)
'''
# Part 3: builds the new table from zeros and fills in only the updated rows.
FROM_ZEROS_SGD = '''def sparse_sgd_step(embeddings, indices, grad_output, learning_rate):
    table = np.asarray(embeddings)
    grad_table = embedding_backward(indices, grad_output, table.shape[0])
    rows = np.unique(indices)
    new_table = np.zeros_like(table)
    new_table[rows] = table[rows] - learning_rate * grad_table[rows]
    return new_table
'''
# Part 4: the one-sided (forward) difference.
FORWARD_DIFFERENCE = '''def numerical_gradient(loss, embeddings, eps=1e-3):
    table = np.array(embeddings, dtype=np.float64)
    base = loss(table)
    grad = np.zeros_like(table)
    for position in np.ndindex(table.shape):
        saved = table[position]
        table[position] = saved + eps
        grad[position] = (loss(table) - base) / eps
        table[position] = saved
    return grad
'''
# Part 4: nudges the caller's table in place and undoes it by arithmetic (rounds).
ARITHMETIC_RESTORE = '''def numerical_gradient(loss, embeddings, eps=1e-3):
    grad = np.zeros(embeddings.shape)
    for position in np.ndindex(embeddings.shape):
        embeddings[position] += eps
        plus = loss(embeddings)
        embeddings[position] -= 2 * eps
        minus = loss(embeddings)
        embeddings[position] += eps
        grad[position] = (plus - minus) / (2 * eps)
    return grad
'''
# Part 4: never puts the entries back, so later entries are taken at a moved table.
NEVER_RESTORES = '''def numerical_gradient(loss, embeddings, eps=1e-3):
    grad = np.zeros(embeddings.shape)
    for position in np.ndindex(embeddings.shape):
        embeddings[position] += eps
        plus = loss(embeddings)
        embeddings[position] -= 2 * eps
        minus = loss(embeddings)
        grad[position] = (plus - minus) / (2 * eps)
    return grad
'''
# Part 5: no floor, so entries that are zero in both give 0 / 0 = nan.
NAN_RELATIVE_ERROR = '''def relative_error(actual, expected):
    a, b = np.asarray(actual), np.asarray(expected)
    return float(np.max(np.abs(a - b) / (np.abs(a) + np.abs(b))))
'''

SAMPLES = [
    Sample("correct_alternative", "Correct, written differently from the solution (bincount, "
           "tensordot, dense gradient with row-only writes, copies per entry, np.divide).",
           answers=CORRECT_ALTERNATIVE),
    Sample("untouched", "The release as downloaded.", untouched=True, fails=EVERY_TEST),
    Sample("partial", "Parts 1-3 right; numerical_gradient uses the one-sided difference; "
           "relative_error not attempted.",
           answers={"numerical_gradient": FORWARD_DIFFERENCE, "relative_error": None},
           fails=("numerical_gradient_matches_tape",) + RELATIVE_ERROR),
    Sample("buffered_backward", "embedding_backward uses the buffered dW[ids] += dY.",
           answers={"embedding_backward": BUFFERED_BACKWARD},
           fails=("embedding_backward_repeated_ids",)),
    Sample("no_batch_axes", "embedding_backward and dense_backward work for (T,) ids only.",
           answers={"embedding_backward": NO_BATCH_AXES_BACKWARD,
                    "dense_backward": NO_BATCH_AXES_DENSE},
           fails=("embedding_backward_keeps_batch_axes", "dense_backward_keeps_batch_axes")),
    Sample("float64_gradients", "Both backward passes return float64 for float32 gradients.",
           answers={"embedding_backward": FLOAT64_BACKWARD, "dense_backward": FLOAT64_DENSE},
           fails=("embedding_backward_distinct_ids", "dense_backward_worked_example")),
    Sample("in_place_sgd", "sparse_sgd_step updates the caller's table in place.",
           answers={"sparse_sgd_step": IN_PLACE_SGD},
           fails=("sparse_sgd_step_leaves_input_unchanged",)),
    Sample("buffered_sgd", "sparse_sgd_step uses the buffered W[ids] -= lr * dY.",
           answers={"sparse_sgd_step": BUFFERED_SGD},
           fails=("sparse_sgd_step_accumulates_repeated_ids",)),
    Sample("l2_every_row_sgd", "sparse_sgd_step adds an L2 penalty's gradient, moving every row.",
           answers={"sparse_sgd_step": L2_EVERY_ROW_SGD},
           fails=("sparse_sgd_step_moves_looked_up_rows",
                  "sparse_sgd_step_accumulates_repeated_ids",
                  "sparse_sgd_step_keeps_other_rows")),
    Sample("from_zeros_sgd", "sparse_sgd_step starts the new table from zeros: rows not looked "
           "up come back as zeros.", answers={"sparse_sgd_step": FROM_ZEROS_SGD},
           fails=("sparse_sgd_step_keeps_other_rows",)),
    Sample("arithmetic_restore", "numerical_gradient nudges the table in place and undoes it "
           "with += eps, which rounds.", answers={"numerical_gradient": ARITHMETIC_RESTORE},
           fails=("numerical_gradient_leaves_table_unchanged",)),
    Sample("never_restores", "numerical_gradient never puts the nudged entries back.",
           answers={"numerical_gradient": NEVER_RESTORES},
           fails=("numerical_gradient_matches_tape", "numerical_gradient_leaves_table_unchanged")),
    Sample("nan_relative_error", "relative_error has no floor: nan where both entries are zero.",
           answers={"relative_error": NAN_RELATIVE_ERROR},
           fails=("relative_error_zero_entries",)),
]

# How a test cell is judged (issue #14): see tests/samples/judging.py.
from .judging import later_rebinding  # noqa: E402

SAMPLES += [later_rebinding("gradients")]
