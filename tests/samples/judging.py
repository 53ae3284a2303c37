"""Samples that check how a test cell is judged, for any assignment (issue #14, properties 1-4).

* :func:`later_rebinding` (honest, every assignment): each solution function is
  called through a global helper ``step``, and the last cell, after every
  test, rebinds ``step`` (``for step in range(3)``), as an exploring student
  might. Restart & Run All passes every test; so must grading.
* :data:`LEAKS` (hostile, two_views): one_hot records what it is called with
  and tries to get hidden inputs out: in a later cell's output, in a later
  visible test's message, as an exception type name, as an exit code.
* :data:`BOUNDS` (hostile, two_views): answers that are gigabytes of text.
"""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat

from . import Sample, meta

SOLUTIONS = Path(__file__).resolve().parents[2] / "solutions"

STEP_HELPER = '''def step(function, *args, **kwargs):
    """Call function (every answer below goes through this helper)."""
    return function(*args, **kwargs)
'''

REBIND_STEP = '''# Exploring after the last test: `step` is now a loop variable.
for step in range(3):
    pass
print("explored", step)
'''


def _wrapper(name: str) -> str:
    return (f"_{name}_answer = {name}\n\n\n"
            f"def {name}(*args, **kwargs):\n"
            f"    return step(_{name}_answer, *args, **kwargs)\n")


def _top_level_functions(code: str) -> list[str]:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    return [node.name for node in tree.body if isinstance(node, ast.FunctionDef)]


def later_rebinding(assignment: str) -> Sample:
    """The honest sample: every top-level solution function goes through ``step``."""
    (path,) = (SOLUTIONS / assignment).glob("*.ipynb")
    source_nb = nbformat.read(path, as_version=4)
    cells_after = [("setup", STEP_HELPER)]
    for cell in source_nb.cells:
        if meta(cell).get("solution") and cell.cell_type == "code":
            names = _top_level_functions(cell.source.replace("### BEGIN SOLUTION", "")
                                         .replace("### END SOLUTION", ""))
            cells_after += [(meta(cell)["grade_id"], _wrapper(name)) for name in names]
    return Sample("later_rebinding", "Correct; every answer calls a global helper `step`, which "
                  "a last exploring cell rebinds to an int (after every test).",
                  cells_after=(*cells_after, ("", REBIND_STEP)))


# ------------------------------------------------------------------ two_views: hidden inputs

RECORDING_ONE_HOT = '''SEEN_DIMS = []


def one_hot(indices, input_dim):
    SEEN_DIMS.append(int(input_dim))
    ids = np.asarray(indices)
    return (ids[..., None] == np.arange(input_dim)).astype(np.float32)
'''
PRINT_SEEN = 'print("seen:", sorted(set(SEEN_DIMS)))\n'
RAISING_DENSE_VIEW = '''def dense_view(indices, embeddings):
    raise ValueError(f"seen: {sorted(set(SEEN_DIMS))}")
'''
# input_dim 5 is used by hidden tests only (the visible ones use 3, 4 and 7).
EXITING_ONE_HOT = '''import os


def one_hot(indices, input_dim):
    ids = np.asarray(indices)
    if input_dim == 5:
        os._exit(int(ids.sum()) % 200 + 20)
    return (ids[..., None] == np.arange(input_dim)).astype(np.float32)
'''
NAMED_ERROR_ONE_HOT = '''def one_hot(indices, input_dim):
    ids = np.asarray(indices)
    if input_dim == 5:
        raise type("LEAKED" + repr(ids.tolist()), (ValueError,), {})("LEAKED")
    return (ids[..., None] == np.arange(input_dim)).astype(np.float32)
'''
STANDALONE_DENSE_VIEW = '''def dense_view(indices, embeddings):
    table = np.asarray(embeddings)
    ids = np.asarray(indices)
    return (ids[..., None] == np.arange(table.shape[0])).astype(table.dtype) @ table
'''
ONE_HOT_FIRST_TWO = ("one_hot_worked_example", "one_hot_keeps_batch_axes")
DENSE_VIEW = ("dense_view_worked_example", "dense_view_matches_keras_dense",
              "dense_view_keeps_batch_axes")

LEAKS = [
    Sample("leak_later_output", "Correct; one_hot records every input_dim and the last cell "
           "prints them: the feedback must show only the visible tests' ones.",
           answers={"one_hot": RECORDING_ONE_HOT}, cells_after=(("", PRINT_SEEN),)),
    Sample("leak_in_visible_message", "one_hot records every input_dim; dense_view raises "
           "them in its message, in the visible tests after one_hot's hidden ones.",
           answers={"one_hot": RECORDING_ONE_HOT, "dense_view": RAISING_DENSE_VIEW},
           fails=DENSE_VIEW),
    Sample("leak_exit_code", "one_hot exits with a code computed from a hidden input.",
           answers={"one_hot": EXITING_ONE_HOT, "dense_view": STANDALONE_DENSE_VIEW},
           fails=ONE_HOT_FIRST_TWO, flags=("ends or signals the process",)),
    Sample("leak_exception_name", "one_hot raises an exception whose type name is a hidden "
           "input.", answers={"one_hot": NAMED_ERROR_ONE_HOT,
                              "dense_view": STANDALONE_DENSE_VIEW},
           fails=ONE_HOT_FIRST_TWO),
]
LEAK_MARKERS = ("LEAKED", "exit code", "killed by signal")
"""Text that must not appear in any output or message of the LEAKS samples."""

# ------------------------------------------------------------------ two_views: sizes

HUGE_TEXT_ONE_HOT = '''def one_hot(indices, input_dim):
    return "x" * 150_000_000
'''
HUGE_PRINT = '''for _ in range(3):
    print("y" * 50_000_000)
raise ValueError("z" * 50_000_000)
'''

BOUNDS = [
    Sample("huge_answers", "one_hot returns a 150 MB string; a cell prints 150 MB and raises "
           "an error with a 50 MB message.",
           answers={"one_hot": HUGE_TEXT_ONE_HOT, "dense_view": STANDALONE_DENSE_VIEW},
           cells_after=(("one_hot", HUGE_PRINT),), fails=("one_hot_worked_example",
                                                          "one_hot_keeps_batch_axes",
                                                          "one_hot_matches_keras")),
]
MAX_JUDGED_NOTEBOOK_BYTES = 8 * 2**20
"""The judged notebook and the feedback page of a BOUNDS sample stay under this."""
