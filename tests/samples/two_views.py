"""Sample submissions of assignment 1, two_views (13 points over 13 test cells).

Honest ones must get exactly the points of the parts they got right; hostile
ones try to earn points without doing the work (or to hurt the class run) and
must get only the points of what they really answered; bad input is graded as
far as possible or rejected with a reason.
"""

from __future__ import annotations

import json

import nbformat

from . import Sample, meta

ONE_HOT = ("one_hot_worked_example", "one_hot_keeps_batch_axes", "one_hot_matches_keras")
DENSE_VIEW = ("dense_view_worked_example", "dense_view_matches_keras_dense",
              "dense_view_keeps_batch_axes")
GATHER_VIEW = ("gather_view_worked_example", "gather_view_matches_keras_embedding",
               "gather_view_no_one_hot_matrix")
VIEW_COSTS = ("view_costs_worked_example", "view_costs_large_vocabulary")
CHECK_INDICES = ("check_indices_out_of_range", "check_indices_wrong_dtype")
EVERY_TEST = ONE_HOT + DENSE_VIEW + GATHER_VIEW + VIEW_COSTS + CHECK_INDICES
NOTHING = dict.fromkeys(("one_hot", "dense_view", "gather_view", "view_costs", "check_indices"))
"""Every solution cell left as released (its stub raises NotImplementedError)."""

# ------------------------------------------------------------------ honest answers

CORRECT_ALTERNATIVE = {
    "one_hot": '''def one_hot(indices, input_dim):
    """Rows of an identity matrix, one per id."""
    return np.eye(input_dim, dtype=np.float32)[np.asarray(indices)]
''',
    "dense_view": '''def dense_view(indices, embeddings):
    table = np.asarray(embeddings)
    return np.tensordot(one_hot(indices, len(table)).astype(table.dtype), table, axes=1)
''',
    "gather_view": '''def gather_view(indices, embeddings):
    return np.take(np.asarray(embeddings), np.asarray(indices), axis=0)
''',
    "view_costs": '''def view_costs(n, input_dim, output_dim, itemsize=4):
    reads = n * output_dim
    return dict(dense_multiply_adds=reads * input_dim, one_hot_bytes=n * input_dim * itemsize,
                gather_reads=reads, output_bytes=reads * itemsize)
''',
    "check_indices": '''def check_indices(indices, input_dim):
    ids = np.asarray(indices)
    if ids.dtype.kind not in "iu":
        raise TypeError(f"ids must be integers, not {ids.dtype}")
    outside = ids[(ids < 0) | (ids >= input_dim)]
    if outside.size:
        raise ValueError(f"id {outside.flat[0]} is not in 0..{input_dim - 1}")
    return ids
''',
}

# Forgets that every number takes itemsize bytes.
WRONG_VIEW_COSTS = '''def view_costs(n, input_dim, output_dim, itemsize=4):
    return {
        "dense_multiply_adds": n * input_dim * output_dim,
        "one_hot_bytes": n * input_dim,
        "gather_reads": n * output_dim,
        "output_bytes": n * output_dim * itemsize,
    }
'''
# Right numbers, wrong method: builds the (n, V) one-hot matrix.
ONE_HOT_GATHER_VIEW = '''def gather_view(indices, embeddings):
    table = np.asarray(embeddings)
    return one_hot(indices, table.shape[0]).astype(table.dtype) @ table
'''
# Always computes in float64, whatever the matrix's dtype.
FLOAT64_DENSE_VIEW = '''def dense_view(indices, embeddings):
    table = np.asarray(embeddings, dtype=np.float64)
    return one_hot(indices, table.shape[0]) @ table
'''
# Casts whatever it gets to int: 1.7 becomes id 1, as Keras would do.
CASTING_CHECK_INDICES = '''def check_indices(indices, input_dim):
    ids = np.asarray(indices).astype(np.int64)
    for value in ids.flat:
        if value < 0 or value >= input_dim:
            raise ValueError(f"bad id {value}")
    return ids
'''
# Refuses floats but lets bools through (True looks up row 1).
FLOAT_ONLY_CHECK_INDICES = '''def check_indices(indices, input_dim):
    ids = np.asarray(indices)
    if ids.dtype.kind == "f":
        raise TypeError(f"float ids ({ids.dtype}) are not allowed")
    bad = (ids < 0) | (ids >= input_dim)
    if bad.any():
        raise ValueError(f"id {ids[bad][0]} is out of range")
    return ids
'''
NOISY_ONE_HOT = '''import sys
import warnings

def one_hot(indices, input_dim):
    print("one_hot called", file=sys.stderr)
    warnings.warn("a harmless warning from the student's code")
    ids = np.asarray(indices)
    return (ids[..., None] == np.arange(input_dim)).astype(np.float32)
'''

# ------------------------------------------------------------------ hostile cells

REBIND_HELPERS = '''# Make every check pass, whatever the answers.
import builtins, sys, types
def check_array(*args, **kwargs): pass
def check_raises(*args, **kwargs): pass
def assert_numpy_only(func): pass
def peak_bytes(*args): return 0
builtins.AssertionError = type("AssertionError", (Warning,), {})
fake = types.ModuleType("coursekit.testing")
fake.check_array = check_array
fake.check_raises = check_raises
fake.assert_numpy_only = assert_numpy_only
fake.peak_bytes = peak_bytes
sys.modules["coursekit.testing"] = fake
sys.modules["embref"] = types.SimpleNamespace(one_hot=lambda *a: None)
'''
PATCH_NUMPY = '''# Make NumPy call everything equal.
np.isclose = lambda a, b, **kw: np.ones(np.shape(a), dtype=bool)
np.allclose = lambda *a, **kw: True
np.array_equal = lambda *a, **kw: True
def one_hot(indices, input_dim): return np.zeros(1)
def dense_view(indices, embeddings): return np.zeros(1)
def gather_view(indices, embeddings): return np.zeros(1)
def view_costs(*args, **kwargs): return {}
def check_indices(indices, input_dim): return np.asarray(indices)
'''
IPYTHON_HOOKS = '''# Rewrite or swallow the test cells before they run.
ip = get_ipython()
ip.input_transformers_post.append(lambda lines: ["pass\\n"])
ip.set_custom_exc((BaseException,), lambda *args, **kwargs: None)
'''
FAKE_OUTPUTS = '''# Print what a passing test would show, and answer the grader's requests myself.
print("passed")
import json, sys
agent = sys.modules.get("coursekit.grader.agent")
if agent is not None:
    agent.handle = lambda request: json.dumps({"ok": {"t": "py", "v": True}})
'''
USE_EMBREF = {
    "one_hot": '''import embref
def one_hot(indices, input_dim):
    return embref.one_hot(indices, input_dim)
''',
    "gather_view": '''import importlib
def gather_view(indices, embeddings):
    return importlib.import_module("emb" + "ref").gather_view(indices, embeddings)
''',
    "view_costs": '''def view_costs(n, input_dim, output_dim, itemsize=4):
    return globals()["__builtins__"].__import__("embref").view_costs(
        n, input_dim, output_dim, itemsize)
''',
}
SNOOP = '''# Look for the course's hidden tests and its gradebook; print and spoil what turns up.
import os
found = []
for top in ("/", os.path.expanduser("~"), os.getcwd()):
    for folder, subfolders, files in os.walk(top):
        subfolders[:] = [d for d in subfolders if os.path.join(folder, d) not in
                         ("/proc", "/sys", "/dev", "/usr")]
        found += [os.path.join(folder, f) for f in files
                  if f.endswith((".ipynb", ".db")) or f == "nbgrader_config.py"]
for path in found:
    try:
        print(path, open(path, errors="replace").read()[:5000])
        with open(path, "a") as handle:
            handle.write("spoiled")
    except OSError as error:
        print("could not touch", path, error)
print("found", len(found), "files")
'''
KILL_IN_ONE_HOT = '''def one_hot(indices, input_dim):
    ids = np.asarray(indices)
    return (ids[..., None] == np.arange(input_dim)).astype(np.float32)

import os
os._exit(0)
'''
LOOPING_GATHER_VIEW = '''import signal
def gather_view(indices, embeddings):
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        pass
'''
GREEDY_VIEW_COSTS = '''def view_costs(n, input_dim, output_dim, itemsize=4):
    hoard = []
    while True:
        hoard.append(np.ones(50_000_000))
'''
BAD_CELLS_AT_THE_END = (
    ("", 'raise RuntimeError("this cell fails, the parts above keep their points")'),
    ("", "while True:\n    pass"),
    ("", "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass"),
    ("", "import os\nos._exit(1)"),
)
NETWORK = '''import socket, subprocess
for target in (("1.1.1.1", 80), ("127.0.0.1", 22)):
    try:
        socket.create_connection(target, timeout=2)
        print("connected to", target)
    except OSError as error:
        print("no network:", error)
try:
    print(subprocess.run(["pip", "download", "embref"], capture_output=True, timeout=20))
except Exception as error:
    print("no pip:", error)
'''


# ------------------------------------------------------------------ bad input


def _raw(nb) -> bytes:
    return nbformat.writes(nb).encode()


def _truncated(nb) -> bytes:
    text = _raw(nb)
    return text[: len(text) // 2]


def _not_a_notebook(nb) -> bytes:
    return b"def one_hot(indices, input_dim):\n    return None\n"


def _duplicate_cell_ids(nb):
    for cell in nb.cells:
        cell["id"] = "same-id"
    return _raw_json(nb)


def _raw_json(nb) -> bytes:
    """The notebook as JSON without nbformat's validation (which would repair it)."""
    return json.dumps(nb, indent=1).encode()


def _without_cell(grade_id):
    def edit(nb):
        nb.cells = [c for c in nb.cells if meta(c).get("grade_id") != grade_id]
        return nb
    return edit


def _huge_outputs(nb):
    cell = next(c for c in nb.cells if c.cell_type == "code" and not meta(c))
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="x" * 20_000_000)]
    cell.execution_count = 1
    return nb


def _passing_test_outputs(nb):
    """Test cells pre-filled with outputs of a passing run, in the submitted file."""
    for cell in nb.cells:
        if meta(cell).get("grade"):
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="passed\n")]
    return nb


def _edited_tests(nb):
    """Visible test cells emptied to `pass`."""
    for cell in nb.cells:
        if meta(cell).get("grade"):
            cell.source = '"""."""\npass'
    return nb


SAMPLES = [
    # honest
    Sample("correct_alternative", "Correct, written differently from the solution.",
           answers=CORRECT_ALTERNATIVE),
    Sample("untouched", "The release as downloaded.", untouched=True, fails=EVERY_TEST),
    Sample("partial", "view_costs forgets itemsize; check_indices not attempted.",
           answers={"view_costs": WRONG_VIEW_COSTS, "check_indices": None},
           fails=VIEW_COSTS + CHECK_INDICES),
    Sample("one_hot_gather", "gather_view builds the one-hot matrix: right values, no saving.",
           answers={"gather_view": ONE_HOT_GATHER_VIEW},
           fails=("gather_view_no_one_hot_matrix",)),
    Sample("float64_dense_view", "dense_view returns float64 for a float32 matrix.",
           answers={"dense_view": FLOAT64_DENSE_VIEW}, fails=("dense_view_worked_example",)),
    Sample("casting_check_indices", "check_indices casts floats instead of refusing them.",
           answers={"check_indices": CASTING_CHECK_INDICES},
           fails=("check_indices_wrong_dtype",)),
    Sample("float_only_check_indices", "check_indices refuses floats but accepts bools (a "
           "hidden test catches it).", answers={"check_indices": FLOAT_ONLY_CHECK_INDICES},
           fails=("check_indices_wrong_dtype",)),
    Sample("noisy_correct", "Correct; one_hot prints to stderr and emits a warning.",
           answers={"one_hot": NOISY_ONE_HOT}),
    Sample("correct_then_bad_cells",
           "Correct, followed by cells that raise, loop, ignore the interrupt and exit.",
           cells_after=BAD_CELLS_AT_THE_END,
           flags=("ran past its", "ignored the interrupt", "stopped the kernel")),
    Sample("hidden_marker_text", "Correct; a student's comment names the hidden-test marker.",
           cells_after=(("", "# ### BEGIN HIDDEN TESTS\n# my notes"),)),
    # hostile
    Sample("rebind_helpers", "Nothing answered; rebinds the check helpers, the reference and "
           "AssertionError.", answers=NOTHING, cells_after=(("setup", REBIND_HELPERS),),
           fails=EVERY_TEST, flags=("rebinds built-ins", "module table")),
    Sample("patch_numpy", "Wrong answers; makes np.isclose and friends always true.",
           answers=NOTHING, cells_after=(("setup", PATCH_NUMPY),), fails=EVERY_TEST),
    Sample("ipython_hooks", "Nothing answered; input transformers and a custom exception "
           "handler meant to swallow the tests.", answers=NOTHING,
           cells_after=(("setup", IPYTHON_HOOKS),), fails=EVERY_TEST,
           flags=("hooks into IPython",)),
    Sample("fake_outputs", "Nothing answered; prints 'passed', answers the grader's requests "
           "itself and submits test cells with passing outputs.", answers=NOTHING,
           cells_after=(("setup", FAKE_OUTPUTS),), edit=_passing_test_outputs, fails=EVERY_TEST),
    Sample("use_embref", "Calls the reference: import, importlib and __import__.",
           answers=USE_EMBREF, fails=ONE_HOT + DENSE_VIEW + GATHER_VIEW + VIEW_COSTS,
           flags=("uses the reference package embref", "imports dynamically")),
    Sample("snoop", "Correct; also searches the disk for hidden tests, the gradebook and other "
           "submissions, prints and spoils them.", cells_after=(("", SNOOP),),
           flags=("looks for course files",)),
    Sample("kill_in_one_hot", "one_hot's cell ends the kernel (os._exit) after defining it.",
           answers={"one_hot": KILL_IN_ONE_HOT}, fails=ONE_HOT + DENSE_VIEW,
           flags=("stopped the kernel",)),
    Sample("looping_gather_view", "gather_view ignores interrupts and never returns; later "
           "parts must still be graded.", answers={"gather_view": LOOPING_GATHER_VIEW},
           fails=GATHER_VIEW),
    Sample("greedy_view_costs", "view_costs allocates without bound.",
           answers={"view_costs": GREEDY_VIEW_COSTS}, fails=VIEW_COSTS),
    Sample("network", "Correct; tries the network and pip.", cells_after=(("", NETWORK),),
           flags=("sockets or subprocesses",)),
    Sample("edited_tests", "Correct answers; visible test cells emptied to `pass`.",
           edit=_edited_tests),
    # bad input
    Sample("not_a_notebook", "A Python file saved under the notebook's name.",
           edit=_not_a_notebook, status="rejected", reason="not a notebook"),
    Sample("truncated", "Half of a notebook file (an interrupted upload).", edit=_truncated,
           status="rejected", reason="not a notebook"),
    Sample("wrong_file_name", "Correct, submitted as two-views.ipynb.",
           file_name="two-views.ipynb", status="rejected", reason="wrong file name"),
    Sample("duplicate_cell_ids", "Correct; every cell has the same cell id.",
           edit=_duplicate_cell_ids),
    Sample("deleted_test_cell", "Correct; one test cell deleted.",
           edit=_without_cell("gather_view_no_one_hot_matrix"), flags=("was missing",)),
    Sample("huge_outputs", "Correct; 20 MB of output saved in a cell.", edit=_huge_outputs),
]


# ------------------------------------------------------------------ edited grading structure
# (issue #14, property 5: always graded, always in the export). Each one is graded from the
# source's cells, gets its row, and its changes are named in the report.


def _copy_of(grade_id, before=None):
    """A copy of the cell ``grade_id`` (text and metadata) inserted before the cell
    ``before`` (None: right after the original, as a notebook's copy and paste does)."""
    def edit(nb):
        index = next(i for i, c in enumerate(nb.cells) if meta(c).get("grade_id") == grade_id)
        copied = nbformat.from_dict(json.loads(json.dumps(nb.cells[index])))
        copied["id"] = f"copy-of-{grade_id}"[:64]
        if before is None:
            nb.cells.insert(index + 1, copied)
        else:
            nb.cells.insert(next(i for i, c in enumerate(nb.cells)
                                 if meta(c).get("grade_id") == before), copied)
        return nb
    return edit


def _scratch_with_grade_id(grade_id, code):
    """A student's scratch cell after ``grade_id``'s cell, carrying that cell's metadata."""
    def edit(nb):
        index = next(i for i, c in enumerate(nb.cells) if meta(c).get("grade_id") == grade_id)
        cell = nbformat.v4.new_code_cell(code)
        cell.metadata["nbgrader"] = dict(meta(nb.cells[index]))
        nb.cells.insert(index + 1, cell)
        return nb
    return edit


def _added_graded_cell(nb):
    """A cell of the student's own marked as a test worth 5 points."""
    cell = nbformat.v4.new_code_cell("assert True  # my bonus")
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": "my_bonus", "locked": True,
                                 "points": 5, "schema_version": 3, "solution": False,
                                 "task": False}
    nb.cells.append(cell)
    return nb


def _metadata_edit(**changes):
    """Every graded (test) cell's nbgrader metadata updated with ``changes``."""
    def edit(nb):
        for cell in nb.cells:
            if meta(cell).get("grade"):
                meta(cell).update(changes)
        return nb
    return edit


def _edited_checksums(nb):
    for cell in nb.cells:
        if meta(cell).get("locked"):
            meta(cell)["checksum"] = "0" * 32
    return nb


def _old_schema(nb):
    """nbgrader metadata as schema version 1 wrote it (no task, no cell_type)."""
    for cell in nb.cells:
        if meta(cell):
            for key in ("task", "cell_type"):
                meta(cell).pop(key, None)
            meta(cell)["schema_version"] = 1
    return _raw_json(nb)


def _test_cell_as_markdown(grade_id):
    def edit(nb):
        index = next(i for i, c in enumerate(nb.cells) if meta(c).get("grade_id") == grade_id)
        old = nb.cells[index]
        cell = nbformat.v4.new_markdown_cell(old.source)
        cell.metadata = old.metadata
        nb.cells[index] = cell
        return nb
    return edit


def _without_cells(*grade_ids):
    def edit(nb):
        nb.cells = [c for c in nb.cells if meta(c).get("grade_id") not in grade_ids]
        return nb
    return edit


def _png(nb) -> bytes:
    return bytes.fromhex("89504e470d0a1a0a0000000d49484452") + b"\0" * 64


SAMPLES += [
    Sample("copied_test_cell", "Correct; a test cell copied and pasted below itself.",
           edit=_copy_of("gather_view_worked_example"), flags=("appears 2 times",)),
    Sample("copied_test_cell_above", "Correct; a test cell copied above its part's solution "
           "cell (only the original, after the solution, is judged).",
           edit=_copy_of("one_hot_worked_example", before="one_hot"),
           flags=("appears 2 times",)),
    Sample("duplicated_grade_id", "Correct; a scratch cell carries the solution cell's "
           "grade_id.", edit=_scratch_with_grade_id("one_hot", "print(one_hot([0, 2], 3))"),
           flags=("cell one_hot appears 2 times",)),
    Sample("added_graded_cell", "Correct; adds a cell of its own marked as a 5-point test.",
           edit=_added_graded_cell, flags=("the assignment does not have",)),
    Sample("changed_points", "view_costs forgets itemsize; every test cell now says 10 points.",
           answers={"view_costs": WRONG_VIEW_COSTS}, edit=_metadata_edit(points=10),
           fails=VIEW_COSTS, flags=("(points)",)),
    Sample("edited_checksum", "Correct; the checksums of the read-only and test cells edited.",
           edit=_edited_checksums, flags=("(checksum)",)),
    Sample("old_schema_version", "check_indices not attempted; nbgrader metadata of schema "
           "version 1.", answers={"check_indices": None}, edit=_old_schema,
           fails=CHECK_INDICES, flags=("schema_version",)),
    Sample("test_cell_as_markdown", "Correct; a test cell turned into a Markdown cell.",
           edit=_test_cell_as_markdown("one_hot_matches_keras"), flags=("cell type",)),
    Sample("deleted_read_only_cells", "Correct; the setup cells and a test cell deleted.",
           edit=_without_cells("setup", "test_setup", "dense_view_keeps_batch_axes"),
           flags=("cell setup was missing", "cell dense_view_keeps_batch_axes was missing")),
    Sample("png_as_notebook", "An image saved under the notebook's name.", edit=_png,
           status="rejected", reason="not a notebook"),
]

# How a test cell is judged (issue #14): see tests/samples/judging.py.
from .judging import later_rebinding  # noqa: E402

SAMPLES += [later_rebinding("two_views")]

from .judging import BOUNDS, LEAKS  # noqa: E402

SAMPLES += LEAKS + BOUNDS
