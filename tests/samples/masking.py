"""Sample submissions of assignment 6, masking (13 points over 13 test cells).

Honest answers only: a correct one written differently, the untouched release,
a partial one, and the realistic mistakes of each part, each of which must lose
exactly the points of the behaviour it gets wrong. (Hostile submissions are
exercised on two_views; the grading machinery is the same.)
"""

from __future__ import annotations

from . import Sample

COMPUTE_MASK = ("compute_mask_seed_example", "compute_mask_keeps_shape")
MASKED_SIMPLE_RNN = ("masked_simple_rnn_seed_example", "masked_simple_rnn_no_padding",
                     "masked_simple_rnn_repeats_at_masked_steps",
                     "masked_simple_rnn_leading_padding_is_zero",
                     "masked_simple_rnn_last_valid_output")
MASKED_MEAN = ("masked_mean_book_example", "masked_mean_matches_keras_pooling",
               "masked_mean_empty_row_is_nan")
MASKED_MSE = ("masked_mse_worked_example", "masked_mse_matches_keras_loss",
              "masked_mse_no_valid_step_is_zero")
EVERY_TEST = COMPUTE_MASK + MASKED_SIMPLE_RNN + MASKED_MEAN + MASKED_MSE

CORRECT_ALTERNATIVE = {
    "compute_mask": '''def compute_mask(ids):
    """Nonzero ids are real words."""
    return np.not_equal(np.array(ids), 0)
''',
    "masked_simple_rnn": '''def masked_simple_rnn(x, mask, kernel, recurrent_kernel, bias, return_sequences=True):
    n, steps, _ = np.shape(x)
    units = len(bias)
    outputs = []
    for row in range(n):
        h = np.zeros(units)
        seq = []
        for t in range(steps):
            if mask[row][t]:
                h = np.tanh(np.dot(x[row][t], kernel) + np.dot(h, recurrent_kernel) + bias)
            seq.append(h)
        outputs.append(seq)
    outputs = np.array(outputs, dtype=np.float32).reshape(n, steps, units)
    return outputs if return_sequences else outputs[:, -1, :]
''',
    "masked_mean": '''def masked_mean(x, mask):
    weights = np.asarray(mask, dtype=np.float32)  # (N, T)
    total = np.einsum("ntd,nt->nd", np.asarray(x), weights)
    with np.errstate(all="ignore"):
        return (total / weights.sum(axis=1, keepdims=True)).astype(np.asarray(x).dtype)
''',
    "masked_mse": '''def masked_mse(y_true, y_pred, mask):
    errors = np.mean(np.square(np.subtract(y_true, y_pred)), axis=2)
    weights = np.asarray(mask, dtype=errors.dtype)
    count = weights.sum()
    return float((errors * weights).sum() / count) if count else 0.0
''',
}

# Treats the ids like embedded vectors: reduces the last axis, one entry per row.
WRONG_AXIS_COMPUTE_MASK = '''def compute_mask(ids):
    return np.any(np.asarray(ids) != 0, axis=-1)
'''
# Returns 0/1 integers instead of booleans.
INT_COMPUTE_MASK = '''def compute_mask(ids):
    return (np.asarray(ids) != 0).astype(np.int64)
'''
# Keeps the state over padding but OUTPUTS zeros at masked steps.
ZERO_OUTPUT_RNN = '''def masked_simple_rnn(x, mask, kernel, recurrent_kernel, bias, return_sequences=True):
    x = np.asarray(x)
    n, steps, _ = x.shape
    h = np.zeros((n, kernel.shape[1]), dtype=x.dtype)
    outputs = np.zeros((n, steps, kernel.shape[1]), dtype=x.dtype)
    for t in range(steps):
        new = np.tanh(x[:, t] @ kernel + h @ recurrent_kernel + bias)
        keep = mask[:, t, None]
        h = np.where(keep, new, h)
        outputs[:, t] = np.where(keep, new, 0.0)
    return outputs if return_sequences else outputs[:, -1]
'''
# Runs the cell at every step: the padding vectors are read like words.
UNMASKED_RNN = '''def masked_simple_rnn(x, mask, kernel, recurrent_kernel, bias, return_sequences=True):
    x = np.asarray(x)
    h = np.zeros((x.shape[0], kernel.shape[1]), dtype=x.dtype)
    outputs = []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ kernel + h @ recurrent_kernel + bias)
        outputs.append(h)
    return np.stack(outputs, axis=1) if return_sequences else h
'''
# Averages over all T steps, padding included.
UNMASKED_MEAN = '''def masked_mean(x, mask):
    return np.asarray(x).mean(axis=1)
'''
# Avoids the division by zero: an empty row gives zeros instead of Keras' NaN.
CLAMPED_COUNT_MEAN = '''def masked_mean(x, mask):
    x = np.asarray(x)
    keep = np.asarray(mask, dtype=x.dtype)[..., None]
    return (x * keep).sum(axis=1) / np.maximum(keep.sum(axis=1), 1)
'''
# Zeroes the padded steps but divides by all N*T positions (= sample_weight=mask).
ALL_POSITIONS_MSE = '''def masked_mse(y_true, y_pred, mask):
    per_step = ((np.asarray(y_pred) - np.asarray(y_true)) ** 2).mean(axis=-1)
    return float((per_step * mask).sum() / per_step.size)
'''
# Sums the squared errors over the K outputs of a step instead of averaging them.
SUM_OVER_OUTPUTS_MSE = '''def masked_mse(y_true, y_pred, mask):
    per_step = ((np.asarray(y_pred) - np.asarray(y_true)) ** 2).sum(axis=-1)
    keep = np.asarray(mask, dtype=bool)
    return float(per_step[keep].sum() / keep.sum()) if keep.any() else 0.0
'''
# Right for every batch with a real step; NaN (mean of nothing) when there is none.
NAN_MSE = '''def masked_mse(y_true, y_pred, mask):
    per_step = ((np.asarray(y_pred) - np.asarray(y_true)) ** 2).mean(axis=-1)
    return float(per_step[np.asarray(mask, dtype=bool)].mean())
'''

SAMPLES = [
    Sample("correct_alternative", "Correct, written differently from the solution (row by row "
           "RNN, einsum mean, weighted loss).", answers=CORRECT_ALTERNATIVE),
    Sample("untouched", "The release as downloaded.", untouched=True, fails=EVERY_TEST),
    Sample("partial", "compute_mask and masked_mean right; the RNN not attempted; masked_mse "
           "divides by all positions.",
           answers={"masked_simple_rnn": None, "masked_mse": ALL_POSITIONS_MSE},
           fails=MASKED_SIMPLE_RNN + ("masked_mse_worked_example",
                                      "masked_mse_matches_keras_loss")),
    Sample("wrong_axis_compute_mask", "compute_mask reduces the last axis as if the ids were "
           "vectors.", answers={"compute_mask": WRONG_AXIS_COMPUTE_MASK}, fails=COMPUTE_MASK),
    Sample("int_compute_mask", "compute_mask returns 0/1 integers, not booleans.",
           answers={"compute_mask": INT_COMPUTE_MASK}, fails=("compute_mask_seed_example",)),
    Sample("zero_output_rnn", "masked_simple_rnn outputs zeros at masked steps instead of "
           "repeating the previous output.", answers={"masked_simple_rnn": ZERO_OUTPUT_RNN},
           fails=("masked_simple_rnn_seed_example", "masked_simple_rnn_repeats_at_masked_steps",
                  "masked_simple_rnn_last_valid_output")),
    Sample("unmasked_rnn", "masked_simple_rnn ignores the mask.",
           answers={"masked_simple_rnn": UNMASKED_RNN},
           fails=tuple(t for t in MASKED_SIMPLE_RNN if t != "masked_simple_rnn_no_padding")),
    Sample("unmasked_mean", "masked_mean averages over all steps, padding included.",
           answers={"masked_mean": UNMASKED_MEAN}, fails=MASKED_MEAN),
    Sample("clamped_count_mean", "masked_mean avoids 0 / 0: an empty row gives zeros, not NaN.",
           answers={"masked_mean": CLAMPED_COUNT_MEAN}, fails=("masked_mean_empty_row_is_nan",)),
    Sample("all_positions_mse", "masked_mse divides by all N*T positions (what sample_weight="
           "mask gives).", answers={"masked_mse": ALL_POSITIONS_MSE},
           fails=("masked_mse_worked_example", "masked_mse_matches_keras_loss")),
    Sample("sum_over_outputs_mse", "masked_mse sums the squared errors over the K outputs of a "
           "step.", answers={"masked_mse": SUM_OVER_OUTPUTS_MSE},
           fails=("masked_mse_matches_keras_loss",)),
    Sample("nan_mse", "masked_mse returns NaN when no step is real.",
           answers={"masked_mse": NAN_MSE}, fails=("masked_mse_no_valid_step_is_zero",)),
]


# ------------------------------------------------------------------ edited grading structure
# (issue #14, property 5): graded from the source's cells, the changes flagged.


def _copied_test_cell_and_old_points(nb):
    """A test cell pasted twice at the end, every test cell's points set to 5, and the
    setup cell's checksum and schema version edited."""
    import copy as _copy

    from . import meta

    tests = [c for c in nb.cells if meta(c).get("grade")]
    for cell in tests:
        meta(cell)["points"] = 5
    for number in (1, 2):
        pasted = _copy.deepcopy(tests[0])
        pasted["id"] = f"pasted-{number}"
        nb.cells.append(pasted)
    setup = next(c for c in nb.cells if meta(c).get("grade_id") == "setup")
    meta(setup).update(checksum="f" * 32, schema_version=2)
    return nb


def _deleted_mean_tests(nb):
    """The tests of masked_mean deleted, and a cell of the student's marked as a test."""
    import nbformat

    from . import meta

    nb.cells = [c for c in nb.cells if meta(c).get("grade_id") not in MASKED_MEAN]
    mine = nbformat.v4.new_code_cell("print(masked_mean)")
    mine.metadata["nbgrader"] = {"grade": True, "grade_id": "extra", "locked": False,
                                 "points": 3, "schema_version": 3, "solution": False,
                                 "task": False}
    nb.cells.append(mine)
    return nb


SAMPLES += [
    Sample("pasted_tests_and_points", "masked_mse divides by all positions; a test cell "
           "pasted twice, points and the setup cell's metadata edited.",
           answers={"masked_mse": ALL_POSITIONS_MSE}, edit=_copied_test_cell_and_old_points,
           fails=("masked_mse_worked_example", "masked_mse_matches_keras_loss"),
           flags=("appears 3 times", "(points)", "checksum, schema_version")),
    Sample("deleted_tests_added_cell", "masked_mean averages over all steps; its test cells "
           "deleted, and the last cell marked as a 3-point test.",
           answers={"masked_mean": UNMASKED_MEAN}, edit=_deleted_mean_tests, fails=MASKED_MEAN,
           flags=("cell masked_mean_book_example was missing", "does not have")),
]

# How a test cell is judged (issue #14): see tests/samples/judging.py.
from .judging import later_rebinding  # noqa: E402

SAMPLES += [later_rebinding("masking")]
