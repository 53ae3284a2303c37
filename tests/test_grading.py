"""The grading round trip of assignment two_views with real nbgrader and real kernels.

The fast tests read the committed notebooks: nbgrader metadata, points, and
what the release must not contain. The slow tests build one course in a
temporary directory, release the assignment, submit several students and
autograde them all in ONE nbgrader run (each notebook starts a kernel that
imports TensorFlow: that is the cost), then check scores, feedback and the
instructor command. Nothing is written into the repository.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import html
import io
import re
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

from coursekit import grading
from coursekit.hidden import KINDS, hidden_lines

ASSIGNMENT = "two_views"
SOURCE = Path("solutions") / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
RELEASE = Path("exercises") / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
REGIONS = {
    "solution": ("### BEGIN SOLUTION", "### END SOLUTION"),
    "hidden": ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"),
}
VOLATILE = ("__pycache__", ".pytest_cache", ".hypothesis", ".ruff_cache", "_build/")

# A plausible mistake for Part 4: forgets that every number takes itemsize bytes.
WRONG_VIEW_COSTS = '''def view_costs(n, input_dim, output_dim, itemsize=4):
    return {
        "dense_multiply_adds": n * input_dim * output_dim,
        "one_hot_bytes": n * input_dim,
        "gather_reads": n * output_dim,
        "output_bytes": n * output_dim * itemsize,
    }
'''
# Right numbers, wrong method for Part 3: builds the (n, V) one-hot matrix.
ONE_HOT_GATHER_VIEW = '''def gather_view(indices, embeddings):
    table = np.asarray(embeddings)
    return one_hot(indices, table.shape[0]).astype(table.dtype) @ table
'''


# ----------------------------------------------------------------- helpers


def meta(cell) -> dict:
    """The nbgrader metadata of a cell ({} if it has none)."""
    return cell.metadata.get("nbgrader", {})


def graded(nb) -> dict[str, float]:
    """{grade_id: points} of the graded cells, in notebook order."""
    return {meta(c)["grade_id"]: meta(c)["points"] for c in nb.cells if meta(c).get("grade")}


def part_tests(nb) -> dict[str, list[str]]:
    """{solution grade_id: [grade_ids of the test cells that follow it]}."""
    parts, current = {}, None
    for cell in nb.cells:
        if meta(cell).get("solution"):
            current = meta(cell)["grade_id"]
            parts[current] = []
        elif meta(cell).get("grade"):
            parts[current].append(meta(cell)["grade_id"])
    return parts


def with_solutions(release_nb, source_nb, replace: dict[str, str | None] | None = None):
    """A submission: the release with solution cells filled from the source.

    ``replace`` maps a solution grade_id to the code to put there instead, or to
    None to leave the released stub. Solution markers are dropped, as a
    student's notebook would not have them.
    """
    replace = replace or {}
    answers = {k: _solution_text(c) for k, c in _solution_cells(source_nb).items()}
    submission = copy.deepcopy(release_nb)
    for cell in submission.cells:
        grade_id = meta(cell).get("grade_id")
        if meta(cell).get("solution"):
            code = replace.get(grade_id, answers[grade_id])
            if code is not None:
                cell.source = code
    return submission


def _solution_cells(nb) -> dict:
    """{grade_id: cell} of the solution cells."""
    return {meta(c)["grade_id"]: c for c in nb.cells if meta(c).get("solution")}


def _solution_text(cell) -> str:
    """A solution cell's source with the BEGIN/END SOLUTION marker lines removed."""
    begin, end = REGIONS["solution"]
    lines = cell.source.splitlines()
    return "\n".join(line for line in lines if begin not in line and end not in line)


def page_text(path: Path) -> str:
    """The text of an HTML page: tags removed, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text()))


def tree_state(repo: Path) -> tuple[list[str], dict[str, bytes]]:
    """What this module must not change: git's view of the tree, ignored files
    included (gradebook.db, submitted/ ... are git-ignored), and the bytes of the
    notebooks. Caches and the book build are left out; anyone else editing the
    tree during the run shows up here too."""
    status = subprocess.run(
        ["git", "status", "--porcelain", "--ignored", "--untracked-files=all"],
        cwd=repo, capture_output=True, text=True, check=True,
    ).stdout.splitlines()
    status = [line for line in status if not any(v in line for v in VOLATILE)]
    files = [p for d in ("solutions", "exercises") for p in (repo / d).rglob("*") if p.is_file()]
    notebooks = {str(p): p.read_bytes() for p in files}
    return status, notebooks


def run_main(course: Path) -> SimpleNamespace:
    """Run the instructor command in-process; return its exit code and output."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = grading.main(["--course", str(course), "--assignment", ASSIGNMENT])
    return SimpleNamespace(code=code, out=out.getvalue(), err=err.getvalue())


# ----------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def source_nb(repo):
    """The committed nbgrader source notebook."""
    return nbformat.read(repo / SOURCE, as_version=4)


@pytest.fixture(scope="module")
def release_nb(repo):
    """The committed release notebook."""
    return nbformat.read(repo / RELEASE, as_version=4)


@pytest.fixture(scope="module", autouse=True)
def repository_untouched(repo):
    """Fail the module if it changed anything git sees, or the committed notebooks."""
    before = tree_state(repo)
    yield
    after = tree_state(repo)
    changed = sorted(set(after[0]) ^ set(before[0]))
    assert not changed, f"git status changed while grading (another writer?): {changed}"
    assert after[1] == before[1], "the grading tests changed solutions/ or exercises/"


@pytest.fixture(scope="module")
def course(tmp_path_factory, source_nb, release_nb):
    """A course graded once: the command's first run (set-up), four submissions,
    the second run (autograde + feedback + table + CSV)."""
    root = tmp_path_factory.mktemp("grading")
    course_dir = root / "course"
    first = run_main(course_dir)
    students = {
        "full": with_solutions(release_nb, source_nb),
        "blank": copy.deepcopy(release_nb),
        "partial": with_solutions(release_nb, source_nb,
                                  {"view_costs": WRONG_VIEW_COSTS, "check_indices": None}),
        "one_hot_gather": with_solutions(release_nb, source_nb,
                                         {"gather_view": ONE_HOT_GATHER_VIEW}),
    }
    for student, nb in students.items():
        path = root / "inbox" / student / f"{ASSIGNMENT}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(nb, path)
        grading.submit(course_dir, ASSIGNMENT, student, path)
    second = run_main(course_dir)
    assert second.code == 0, second.err
    return SimpleNamespace(dir=course_dir, first=first, second=second, students=students,
                           scores=grading.scores(course_dir, ASSIGNMENT))


# ----------------------------------------------------------------- fast: the notebooks


def test_source_metadata_is_what_nbgrader_expects(source_nb):
    """Every nbgrader cell has exactly the keys and flags of its role, and no outputs."""
    assert source_nb.metadata.kernelspec.name == "python3"
    roles = {
        "solution": dict(grade=False, solution=True, locked=False),
        "test": dict(grade=True, solution=False, locked=True),
        "read_only": dict(grade=False, solution=False, locked=True),
    }
    for cell in source_nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]
        info = meta(cell)
        if not info:
            continue
        role = "solution" if info["solution"] else "test" if info["grade"] else "read_only"
        keys = {"grade", "solution", "locked", "schema_version", "grade_id", "task"}
        assert set(info) == keys | ({"points"} if role == "test" else set()), info
        assert {k: info[k] for k in roles[role]} == roles[role], info
        assert info["schema_version"] == 3 and info["task"] is False, info
        assert re.fullmatch(r"[a-z][a-z0-9_]*", info["grade_id"]), info["grade_id"]


def test_setup_cell_imports_tensorflow_before_any_graded_cell(source_nb):
    """The first code cell is the read-only setup cell that loads TensorFlow quietly."""
    code_cells = [c for c in source_nb.cells if c.cell_type == "code"]
    setup = code_cells[0]
    assert meta(setup) == {"grade": False, "grade_id": "setup", "locked": True,
                           "schema_version": 3, "solution": False, "task": False}
    assert "keras = import_tensorflow()" in setup.source
    assert "import tensorflow" not in "\n".join(c.source for c in code_cells[1:])


def test_cells_follow_the_example_course_layout(source_nb):
    """Solution cells keep their docstring above one solution region; tests open with one."""
    for cell in source_nb.cells:
        if meta(cell).get("solution"):
            assert cell.source.count(REGIONS["solution"][0]) == 1, meta(cell)["grade_id"]
            assert cell.source.index('"""') < cell.source.index(REGIONS["solution"][0])
        if meta(cell).get("grade"):
            first = cell.source.splitlines()[0]
            assert re.fullmatch(r'""".+"""', first), f"{meta(cell)['grade_id']}: {first}"


def test_points_in_the_text_match_the_test_cells(source_nb):
    """Each part's heading, the intro table and the total agree with the test cells' points."""
    points = graded(source_nb)
    parts = part_tests(source_nb)
    headings = [re.search(r"^## Part (\d+):.*\((\d+) points?\)", c.source, re.M)
                for c in source_nb.cells if c.cell_type == "markdown"]
    headings = [h for h in headings if h]
    assert len(headings) == len(parts) == 5
    intro = source_nb.cells[0].source
    table = re.findall(r"^\| (\d+) \| `(\w+)` \| (\d+) \|$", intro, re.M)
    for heading, (solution_id, tests), row in zip(headings, parts.items(), table, strict=True):
        part_points = sum(points[t] for t in tests)
        assert int(heading.group(2)) == part_points, solution_id
        assert row == (heading.group(1), solution_id, str(part_points))
    total = re.search(r"How it is graded \((\d+) points\)", intro).group(1)
    assert int(total) == sum(points.values())


def test_release_has_no_solutions_and_no_hidden_tests(source_nb, release_nb):
    """The committed release keeps every graded cell and no solution or hidden-test text."""
    text = "\n".join(c.source for c in release_nb.cells)
    for begin, end in REGIONS.values():
        assert begin not in text and end not in text
    for kind in KINDS:
        leaked = {line for line in hidden_lines(source_nb, (kind,), min_length=4) if line in text}
        assert not leaked, f"{kind} lines in the release: {sorted(leaked)}"
    assert graded(release_nb) == graded(source_nb)
    assert set(_solution_cells(release_nb)) == set(_solution_cells(source_nb))


def test_submit_never_overwrites(tmp_path, repo):
    """submit() copies a notebook once and refuses to replace an existing submission."""
    course = grading.make_course(tmp_path / "course", repo)
    release = course / "release" / ASSIGNMENT
    release.mkdir(parents=True)
    shutil.copy(repo / RELEASE, release)
    first = tmp_path / "first" / f"{ASSIGNMENT}.ipynb"
    second = tmp_path / "second" / f"{ASSIGNMENT}.ipynb"
    for path, text in ((first, "first"), (second, "second")):
        path.parent.mkdir()
        path.write_text(text)
    target = grading.submit(course, ASSIGNMENT, "ada", first)
    with pytest.raises(FileExistsError, match="not overwritten"):
        grading.submit(course, ASSIGNMENT, "ada", second)
    assert target.read_text() == "first"
    with pytest.raises(grading.GradingError, match="not a notebook of the released assignment"):
        grading.submit(course, ASSIGNMENT, "bob", first, name="other.ipynb")


def test_clear_errors_before_grading(tmp_path, repo):
    """Missing assignment, release, submissions or gradebook each give a GradingError saying so."""
    with pytest.raises(grading.GradingError, match="outside the repository"):
        grading.make_course(repo / "course", repo)
    course = grading.make_course(tmp_path / "course", repo)
    with pytest.raises(grading.GradingError, match="is a course already"):
        grading.make_course(course, repo)
    with pytest.raises(grading.GradingError, match="No assignment 'nope'.*two_views"):
        grading.release(course, "nope")
    with pytest.raises(grading.GradingError, match="has not been released"):
        grading.autograde(course, ASSIGNMENT)
    (course / "release" / ASSIGNMENT).mkdir(parents=True)
    with pytest.raises(grading.GradingError, match="No submissions"):
        grading.autograde(course, ASSIGNMENT)
    with pytest.raises(grading.GradingError, match="No gradebook"):
        grading.scores(course, ASSIGNMENT)
    with pytest.raises(grading.GradingError, match="not a course directory"):
        grading.submissions(tmp_path / "elsewhere", ASSIGNMENT)
    interrupted = tmp_path / "interrupted"
    (interrupted / "source").mkdir(parents=True)
    with pytest.raises(grading.GradingError, match="source exists but the course has no"):
        grading.make_course(interrupted, repo)


# ----------------------------------------------------------------- slow: real nbgrader


@pytest.mark.slow
def test_validate_passes_on_the_source(tmp_path, repo):
    """`nbgrader validate` runs the source notebook and every test cell passes."""
    shutil.copy(repo / SOURCE, tmp_path)
    done = grading.nbgrader(tmp_path, "validate", SOURCE.name)
    assert "Success! Your notebook passes all the tests." in done.stdout, done.stdout


@pytest.mark.slow
def test_first_run_sets_up_the_course(course, repo):
    """The command's first run copies the sources, releases, and asks for submissions."""
    assert course.first.code == 2
    assert "No submissions" in course.first.err
    assert "Created the course" in course.first.out and "Released two_views" in course.first.out
    copied = course.dir / "source" / ASSIGNMENT / SOURCE.name
    assert copied.read_bytes() == (repo / SOURCE).read_bytes()


@pytest.mark.slow
def test_release_reproduces_committed_exercises(course, repo):
    """nbgrader generate_assignment in a fresh course gives the committed release byte for byte."""
    released = course.dir / "release" / ASSIGNMENT / RELEASE.name
    assert released.read_bytes() == (repo / RELEASE).read_bytes()


@pytest.mark.slow
def test_solution_gets_full_marks(course, source_nb):
    """The solutions, submitted in the released notebook, earn every point."""
    assert course.scores["full"] == (sum(graded(source_nb).values()),) * 2 + (False,)


@pytest.mark.slow
def test_untouched_release_gets_zero(course, source_nb):
    """The released notebook as is earns 0 points and needs no manual grading."""
    assert course.scores["blank"] == (0, sum(graded(source_nb).values()), False)


@pytest.mark.slow
def test_partial_submission_gets_points_of_its_right_parts(course, source_nb):
    """A wrong view_costs and an unfilled check_indices lose exactly those parts' test points."""
    points, parts = graded(source_nb), part_tests(source_nb)
    lost = sum(points[t] for part in ("view_costs", "check_indices") for t in parts[part])
    assert course.scores["partial"] == (sum(points.values()) - lost, sum(points.values()), False)


@pytest.mark.slow
def test_one_hot_gather_loses_only_the_memory_test(course, source_nb):
    """A gather_view that builds the one-hot matrix fails only the memory test cell."""
    points = graded(source_nb)
    expected = sum(points.values()) - points["gather_view_no_one_hot_matrix"]
    assert course.scores["one_hot_gather"].score == expected


@pytest.mark.slow
def test_command_prints_scores_and_exports_csv(course):
    """The second run prints a line per student and writes the same scores to grades.csv."""
    for student, score in course.scores.items():
        assert re.search(rf"^{student}\s+{score.score:g}\s+{score.max_score:g}\s+-$",
                         course.second.out, re.M), course.second.out
    with open(course.dir / "grades.csv", newline="") as handle:
        csv_scores = {row["student_id"]: float(row["score"]) for row in csv.DictReader(handle)}
    assert csv_scores == {s: v.score for s, v in course.scores.items()}


@pytest.mark.slow
def test_feedback_shows_messages_but_no_hidden_tests(course, source_nb):
    """Feedback pages keep the visible tests and failure messages, and no hidden-test text."""
    secrets = hidden_lines(source_nb, ("HIDDEN TESTS",), min_length=4)
    assert len(secrets) > 20
    for student in course.students:
        text = page_text(course.dir / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html")
        assert "HIDDEN TESTS" not in text, student
        leaked = sorted(line for line in secrets if line in text)
        assert not leaked, f"{student}: {leaked}"
        assert "one_hot encodes the worked example sentence" in text
    partial = page_text(course.dir / "feedback" / "partial" / ASSIGNMENT / f"{ASSIGNMENT}.html")
    assert "view_costs(4, 3, 4)['one_hot_bytes'] is 12; expected 48" in partial
