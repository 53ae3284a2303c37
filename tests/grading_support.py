"""What the grading tests share: the assignments, their samples, and one graded class each.

A class is graded once per test session and assignment (see the
``graded_class`` fixture in conftest.py): a course in a temporary directory,
the instructor's command run twice (set-up, then grading every sample of
tests/samples/<assignment>.py in the sandbox).
"""

from __future__ import annotations

import contextlib
import html
import importlib
import io
import re
import subprocess
from pathlib import Path
from types import SimpleNamespace

import nbformat
from samples import Sample, meta

from coursekit import grading

REPO = Path(__file__).resolve().parents[1]
ASSIGNMENTS = sorted(p.name for p in (REPO / "solutions").iterdir() if p.is_dir())
SAMPLES = {a: importlib.import_module(f"samples.{a}").SAMPLES for a in ASSIGNMENTS}
REGIONS = {
    "solution": ("### BEGIN SOLUTION", "### END SOLUTION"),
    "hidden": ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"),
}
# Shorter limits than a real course's, so that the looping samples cost seconds.
TEST_LIMITS = """
c.JudgeInSandbox.cell_timeout = 5
c.JudgeInSandbox.memory_mb = 2048
"""
VOLATILE = ("__pycache__", ".pytest_cache", ".hypothesis", ".ruff_cache", "_build/")


def notebook_name(assignment: str) -> str:
    """The file name of the assignment's (single) notebook."""
    (path,) = (REPO / "solutions" / assignment).glob("*.ipynb")
    return path.name


def source_of(assignment: str):
    """The committed nbgrader source notebook."""
    return nbformat.read(REPO / "solutions" / assignment / notebook_name(assignment), as_version=4)


def release_of(assignment: str):
    """The committed release notebook."""
    return nbformat.read(REPO / "exercises" / assignment / notebook_name(assignment), as_version=4)


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


def solution_cells(nb) -> dict:
    """{grade_id: cell} of the solution cells."""
    return {meta(c)["grade_id"]: c for c in nb.cells if meta(c).get("solution")}


def page_text(path: Path) -> str:
    """The text of an HTML page: tags removed, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text()))


def tree_state(repo: Path) -> tuple[list[str], dict[str, bytes]]:
    """What grading must not change: git's view of the tree, ignored files included
    (gradebook.db, submitted/ ... are git-ignored), and the bytes of the notebooks."""
    status = subprocess.run(
        ["git", "status", "--porcelain", "--ignored", "--untracked-files=all"],
        cwd=repo, capture_output=True, text=True, check=True,
    ).stdout.splitlines()
    status = [line for line in status if not any(v in line for v in VOLATILE)]
    files = [p for d in ("solutions", "exercises") for p in (repo / d).rglob("*") if p.is_file()]
    return status, {str(p): p.read_bytes() for p in files}


def run_main(course: Path, assignment: str, *options: str) -> SimpleNamespace:
    """Run the instructor command in-process; return its exit code and output."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = grading.main(["--course", str(course), "--assignment", assignment, *options])
    return SimpleNamespace(code=code, out=out.getvalue(), err=err.getvalue())


def submit_sample(course_dir: Path, assignment: str, sample: Sample) -> Path:
    """Put a sample where a student's submission goes (bytes as built, any file name)."""
    built = sample.build(release_of(assignment), source_of(assignment))
    data = built if isinstance(built, bytes) else nbformat.writes(built).encode()
    name = sample.file_name or notebook_name(assignment)
    target = course_dir / "submitted" / sample.name / assignment / name
    target.parent.mkdir(parents=True)
    target.write_bytes(data)
    return target


def files_of(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def expected_score(sample: Sample, points: dict[str, float]) -> float:
    """The sample's score from the notebook's points: all but the cells it must fail."""
    if sample.status == "rejected":
        return 0
    unknown = set(sample.fails) - set(points)
    assert not unknown, f"{sample.name} names unknown test cells {unknown}"
    return sum(points.values()) - sum(points[grade_id] for grade_id in set(sample.fails))


def report_of(course_dir: Path, assignment: str, student: str) -> dict:
    """The judge's report in the student's autograded notebook."""
    path = course_dir / "autograded" / student / assignment / notebook_name(assignment)
    return nbformat.read(path, as_version=4).metadata["coursekit"]["report"]


def feedback_text(course_dir: Path, assignment: str, student: str) -> str:
    """The text of a student's feedback page."""
    page = notebook_name(assignment).replace(".ipynb", ".html")
    return page_text(course_dir / "feedback" / student / assignment / page)


def grade_class(root: Path, assignment: str) -> SimpleNamespace:
    """Set up a course, submit every sample of the assignment, grade them all."""
    course_dir = root / "course"
    first = run_main(course_dir, assignment)
    with open(course_dir / "nbgrader_config.py", "a") as config:
        config.write(TEST_LIMITS)
    for sample in SAMPLES[assignment]:
        submit_sample(course_dir, assignment, sample)
    submitted = files_of(course_dir / "submitted")
    second = run_main(course_dir, assignment)
    assert second.code == 0, second.err
    return SimpleNamespace(dir=course_dir, assignment=assignment, first=first, second=second,
                           submitted=submitted, scores=grading.scores(course_dir, assignment),
                           points=graded(source_of(assignment)))
