"""Every assignment: its notebooks as nbgrader needs them, and its samples graded exactly.

For each assignment in solutions/ the fast tests read the committed source and
release; the slow tests grade the assignment's samples (tests/samples/<name>.py)
as one class with the instructor's command (real nbgrader, each submission in
the sandbox) and check every sample's exact score, its report and its feedback.
"""

from __future__ import annotations

import csv
import re
import shutil

import pytest
from grading_support import (
    ASSIGNMENTS,
    REGIONS,
    SAMPLES,
    expected_score,
    feedback_text,
    graded,
    notebook_name,
    part_tests,
    release_of,
    report_of,
    solution_cells,
    source_of,
    tree_state,
)
from samples import meta

from coursekit import grading
from coursekit.hidden import KINDS, hidden_lines

CASES = [(a, s) for a in ASSIGNMENTS for s in SAMPLES[a]]
REPORTED = [(a, s) for a, s in CASES if s.flags or s.status == "rejected"]


def case_id(case) -> str:
    return f"{case[0]}-{case[1].name}" if isinstance(case, tuple) else str(case)


@pytest.fixture(scope="module", autouse=True)
def repository_untouched(repo):
    """Fail the module if it changed anything git sees, or the committed notebooks."""
    before = tree_state(repo)
    yield
    after = tree_state(repo)
    changed = sorted(set(after[0]) ^ set(before[0]))
    assert not changed, f"git status changed while grading (another writer?): {changed}"
    assert after[1] == before[1], "the grading tests changed solutions/ or exercises/"


# ----------------------------------------------------------------- fast: the notebooks


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_metadata_is_what_nbgrader_expects(assignment):
    """Every nbgrader cell has exactly the keys and flags of its role, and no outputs."""
    source_nb = source_of(assignment)
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


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_setup_cells_split_the_students_names_from_the_graders(assignment):
    """The first code cell (setup: sandbox and grader) holds NumPy and the data; the second
    (test_setup: grader only) the reference and the check helpers; no later cell imports
    the reference, and the sandbox's allowed packages are declared."""
    source_nb = source_of(assignment)
    code_cells = [c for c in source_nb.cells if c.cell_type == "code"]
    setup, test_setup = code_cells[0], code_cells[1]
    for cell, grade_id in ((setup, "setup"), (test_setup, "test_setup")):
        assert meta(cell) == {"grade": False, "grade_id": grade_id, "locked": True,
                              "schema_version": 3, "solution": False, "task": False}
    assert "import numpy as np" in setup.source
    assert "embref" not in setup.source
    assert "import embref" in test_setup.source
    assert "from coursekit.testing import" in test_setup.source
    later = "\n".join(c.source for c in code_cells[2:])
    assert "import tensorflow" not in later and "import embref" not in later
    allow = source_nb.metadata["coursekit"]["sandbox_allow"]
    assert "numpy" in allow and "embref" not in allow


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_cells_follow_the_example_course_layout(assignment):
    """Solution cells keep their docstring above one solution region; tests open with one."""
    for cell in source_of(assignment).cells:
        if meta(cell).get("solution"):
            assert cell.source.count(REGIONS["solution"][0]) == 1, meta(cell)["grade_id"]
            assert cell.source.index('"""') < cell.source.index(REGIONS["solution"][0])
        if meta(cell).get("grade"):
            first = cell.source.splitlines()[0]
            assert re.fullmatch(r'""".+"""', first), f"{meta(cell)['grade_id']}: {first}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_points_in_the_text_match_the_test_cells(assignment):
    """Each part's heading, the intro table and the total agree with the test cells' points."""
    source_nb = source_of(assignment)
    points = graded(source_nb)
    parts = part_tests(source_nb)
    headings = [re.search(r"^## Part (\d+):.*\((\d+) points?\)", c.source, re.M)
                for c in source_nb.cells if c.cell_type == "markdown"]
    headings = [h for h in headings if h]
    assert len(headings) == len(parts) > 0
    intro = source_nb.cells[0].source
    table = re.findall(r"^\| (\d+) \| `(\w+)` \| (\d+) \|$", intro, re.M)
    for heading, (solution_id, tests), row in zip(headings, parts.items(), table, strict=True):
        part_points = sum(points[t] for t in tests)
        assert int(heading.group(2)) == part_points, solution_id
        assert row == (heading.group(1), solution_id, str(part_points))
    total = re.search(r"How it is graded \((\d+) points\)", intro).group(1)
    assert int(total) == sum(points.values())


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_has_no_solutions_and_no_hidden_tests(assignment):
    """The committed release keeps every graded cell and no solution or hidden-test text."""
    source_nb, release_nb = source_of(assignment), release_of(assignment)
    text = "\n".join(c.source for c in release_nb.cells)
    for begin, end in REGIONS.values():
        assert begin not in text and end not in text
    for kind in KINDS:
        leaked = {line for line in hidden_lines(source_nb, (kind,), min_length=4) if line in text}
        assert not leaked, f"{kind} lines in the release: {sorted(leaked)}"
    assert graded(release_nb) == graded(source_nb)
    assert set(solution_cells(release_nb)) == set(solution_cells(source_nb))


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_samples_cover_what_every_assignment_needs(assignment):
    """Each assignment ships a correct alternative, the untouched release, a partial
    answer and at least two realistic wrong answers."""
    names = {s.name for s in SAMPLES[assignment]}
    assert {"correct_alternative", "untouched", "partial"} <= names
    wrong = [s for s in SAMPLES[assignment] if s.fails and s.name not in ("untouched", "partial")]
    assert len(wrong) >= 2, names


# ----------------------------------------------------------------- slow: real nbgrader


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_validate_passes_on_the_source(tmp_path, repo, assignment):
    """`nbgrader validate` runs the source notebook and every test cell passes."""
    shutil.copy(repo / "solutions" / assignment / notebook_name(assignment), tmp_path)
    done = grading.nbgrader(tmp_path, "validate", notebook_name(assignment))
    assert "Success! Your notebook passes all the tests." in done.stdout, done.stdout


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_reproduces_committed_exercises(graded_class, repo, assignment):
    """nbgrader generate_assignment in a fresh course gives the committed release byte for byte."""
    course = graded_class(assignment)
    name = notebook_name(assignment)
    released = course.dir / "release" / assignment / name
    assert released.read_bytes() == (repo / "exercises" / assignment / name).read_bytes()


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_sample_gets_its_expected_score(graded_class, case):
    """Each sample earns exactly the points of the test cells it answers right, graded in
    one run with the rest of its class."""
    assignment, sample = case
    course = graded_class(assignment)
    expected = expected_score(sample, course.points)
    if sample.status == "rejected":
        assert sample.name not in course.scores or course.scores[sample.name].score == 0
        return
    report = report_of(course.dir, assignment, sample.name)
    failed = sorted(g for g, verdict in report["tests"].items() if not verdict["passed"])
    assert failed == sorted(set(sample.fails)), (sample.about, report["flags"])
    total = sum(course.points.values())
    assert course.scores[sample.name] == (expected, total, False), sample.about


@pytest.mark.slow
@pytest.mark.parametrize("case", REPORTED, ids=case_id)
def test_sample_is_reported(graded_class, case):
    """What a sample attempts (or why it was rejected) is named in the command's report."""
    assignment, sample = case
    course = graded_class(assignment)
    line = next(line for line in course.second.out.splitlines()
                if line.startswith(f"{sample.name} "))
    if sample.status == "rejected":
        assert "rejected" in line and sample.reason in line, line
        return
    flags = "\n".join(report_of(course.dir, assignment, sample.name)["flags"])
    for words in sample.flags:
        assert words in flags, f"{sample.name}: {words!r} not in {flags}"
        assert words in course.second.out


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_command_prints_scores_and_exports_csv(graded_class, assignment):
    """The run prints a line per student and writes the same scores to grades.csv;
    rejected submissions are listed with 0."""
    course = graded_class(assignment)
    for student, score in course.scores.items():
        assert re.search(rf"^{student}\s+{score.score:g}\s+{score.max_score:g}\s+\w",
                         course.second.out, re.M), course.second.out
    with open(course.dir / "grades.csv", newline="") as handle:
        csv_scores = {row["student_id"]: float(row["score"]) for row in csv.DictReader(handle)}
    assert {s: csv_scores[s] for s in course.scores} == {
        s: v.score for s, v in course.scores.items()}
    rejected = {s.name for s in SAMPLES[assignment] if s.status == "rejected"}
    assert rejected <= set(csv_scores) and all(csv_scores[s] == 0 for s in rejected)


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_feedback_shows_no_hidden_tests(graded_class, assignment):
    """No feedback page quotes a hidden test's code, inputs or expected values, and every
    page shows the visible tests."""
    course = graded_class(assignment)
    source_nb = source_of(assignment)
    secrets = hidden_lines(source_nb, ("HIDDEN TESTS",), min_length=4)
    first_test = next(c for c in source_nb.cells if meta(c).get("grade"))
    title = first_test.source.splitlines()[0].strip('"')
    for sample in SAMPLES[assignment]:
        if sample.status != "graded":
            continue
        text = feedback_text(course.dir, assignment, sample.name)
        leaked = sorted(line for line in secrets if line in text)
        assert not leaked, f"{sample.name}: {leaked}"
        assert title in text, sample.name
