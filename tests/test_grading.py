"""What grading guarantees, shown on assignment two_views with real nbgrader and real kernels.

tests/test_assignments.py grades every sample of every assignment and checks
its exact score. This module checks the grader's own promises on the
two_views class (whose samples include the hostile ones): the command's
first run, secrets kept from the sandbox, submissions never modified,
messages for students that never quote hidden tests, idempotent and resumable
grading, refusing to run without the sandbox unless told, and the clear
errors of the course set-up. Nothing is written into the repository.
"""

from __future__ import annotations

import json
import re
import shutil

import nbformat
import pytest
from grading_support import (
    SAMPLES,
    feedback_text,
    files_of,
    notebook_name,
    report_of,
    run_main,
    submit_sample,
)

from coursekit import grading
from coursekit.grader import messages

ASSIGNMENT = "two_views"
RELEASE = f"exercises/{ASSIGNMENT}/{notebook_name(ASSIGNMENT)}"


@pytest.fixture(scope="module")
def course(graded_class):
    """The two_views class, graded once for the session."""
    return graded_class(ASSIGNMENT)


# ----------------------------------------------------------------- fast: set-up errors


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
        grading.grade(course, ASSIGNMENT)
    (course / "release" / ASSIGNMENT).mkdir(parents=True)
    with pytest.raises(grading.GradingError, match="No submissions"):
        grading.grade(course, ASSIGNMENT)
    with pytest.raises(grading.GradingError, match="No gradebook"):
        grading.scores(course, ASSIGNMENT)
    with pytest.raises(grading.GradingError, match="not a course directory"):
        grading.submissions(tmp_path / "elsewhere", ASSIGNMENT)
    interrupted = tmp_path / "interrupted"
    (interrupted / "source").mkdir(parents=True)
    with pytest.raises(grading.GradingError, match="source exists but the course has no"):
        grading.make_course(interrupted, repo)


# ----------------------------------------------------------------- slow: one graded class


@pytest.mark.slow
def test_first_run_sets_up_the_course(course, repo):
    """The command's first run copies the sources, releases, and asks for submissions."""
    assert course.first.code == 2
    assert "No submissions" in course.first.err
    assert "Created the course" in course.first.out and "Released two_views" in course.first.out
    copied = course.dir / "source" / ASSIGNMENT / notebook_name(ASSIGNMENT)
    assert copied.read_bytes() == (repo / "solutions" / ASSIGNMENT /
                                   notebook_name(ASSIGNMENT)).read_bytes()


@pytest.mark.slow
def test_sandbox_kept_secrets_and_submissions_safe(course):
    """The snooping sample walked the whole file system it could see and found no course
    file; no submitted file changed, and the gradebook was not touched by it."""
    snoop = nbformat.read(course.dir / "autograded" / "snoop" / ASSIGNMENT /
                          notebook_name(ASSIGNMENT), as_version=4)
    printed = "".join(o.get("text", "") for c in snoop.cells for o in c.get("outputs", []))
    assert "found 0 files" in printed, printed[-2000:]
    assert files_of(course.dir / "submitted") == course.submitted
    assert b"spoiled" not in (course.dir / "gradebook.db").read_bytes()


@pytest.mark.slow
def test_feedback_speaks_to_students(course):
    """Visible failures say what is wrong; hidden failures say only that they failed."""
    partial = feedback_text(course.dir, ASSIGNMENT, "partial")
    assert "view_costs(4, 3, 4)['one_hot_bytes'] is 12; expected 48" in partial
    dense = feedback_text(course.dir, ASSIGNMENT, "float64_dense_view")
    assert "returned dtype float64; expected float32" in dense
    bools = feedback_text(course.dir, ASSIGNMENT, "float_only_check_indices")
    assert messages.hidden_failure("wrong value", True) in bools
    looping = feedback_text(course.dir, ASSIGNMENT, "looping_gather_view")
    assert re.search(r"Your code did not finish: it ran past the \d+ s limit of a test cell",
                     looping)
    marker = feedback_text(course.dir, ASSIGNMENT, "hidden_marker_text")
    assert "my notes" in marker  # the student's own cell is shown as written


@pytest.mark.slow
def test_grading_again_keeps_and_resumes(course):
    """A second run keeps what was graded; after an interruption (two students' grading
    lost) it grades only those two, and the gradebook ends the same."""
    state = course.dir / ".coursekit" / f"{ASSIGNMENT}.json"
    entries = json.loads(state.read_text())
    for student in ("partial", "correct_alternative"):
        entries.pop(student)
        shutil.rmtree(course.dir / "autograded" / student)
    state.write_text(json.dumps(entries))
    again = run_main(course.dir, ASSIGNMENT)
    assert again.code == 0, again.err
    regraded = re.findall(r"\] (\w+): graded", again.out)
    assert sorted(regraded) == ["correct_alternative", "partial"], again.out
    assert grading.scores(course.dir, ASSIGNMENT) == course.scores


@pytest.mark.slow
def test_grading_refuses_without_the_sandbox(tmp_path, repo, monkeypatch):
    """Without bubblewrap the command refuses; with --unprotected it grades and says so."""
    course_dir = grading.make_course(tmp_path / "course", repo)
    grading.release(course_dir, ASSIGNMENT)
    sample = next(s for s in SAMPLES[ASSIGNMENT] if s.name == "correct_alternative")
    submit_sample(course_dir, ASSIGNMENT, sample)
    monkeypatch.setenv("PATH", str(tmp_path / "no-bwrap-here"))
    refused = run_main(course_dir, ASSIGNMENT)
    assert refused.code == 2 and "apt-get install bubblewrap" in refused.err
    unprotected = run_main(course_dir, ASSIGNMENT, "--unprotected")
    assert unprotected.code == 0, unprotected.err
    assert "UNPROTECTED RUN" in unprotected.out
    assert "UNPROTECTED" in report_of(course_dir, ASSIGNMENT, sample.name)["flags"][0]
    assert grading.scores(course_dir, ASSIGNMENT)[sample.name].score == 13
