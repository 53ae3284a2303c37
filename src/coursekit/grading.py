"""Grade the course's nbgrader homework in a course directory outside the repository.

The repository holds the hand-written sources (``solutions/``) and the released
notebooks (``exercises/``); grading data never goes there. An instructor's
course directory looks like this:

    COURSE/
      nbgrader_config.py                  the repository's settings + this course's paths
      source/<assignment>/                a copy of the repository's solutions/<assignment>/
      release/<assignment>/               what students get (same bytes as exercises/)
      submitted/<student>/<assignment>/   each student's notebooks, never changed here
      autograded/  feedback/  gradebook.db  grades.csv      written by nbgrader

Every step runs the real ``nbgrader`` command of the Python that runs this
module, in a subprocess whose working directory is the course directory.

Command line (``make grade ASSIGNMENT=two_views COURSE=path``)::

    python -m coursekit.grading --course COURSE --assignment two_views

The first run creates the course from the repository and releases the
assignment; later runs autograde every submission, write feedback, print a
score table and export ``grades.csv``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

REPO_ROOT = Path(__file__).resolve().parents[2]
"""The repository this module was installed from (editable install)."""

COURSE_SETTINGS = '''
# ---------------------------------------------------------------------------
# Course paths, written by coursekit.grading.make_course. Everything above is
# the repository's nbgrader_config.py at the time the course was created.
c.CourseDirectory.root = {root!r}
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"

# Keep hidden tests out of the students' feedback. nbgrader 0.9 puts them back
# into every graded notebook and, by design, shows them in the feedback HTML
# (jupyter/nbgrader#917). So: remove the hidden-test regions from the cells the
# feedback shows, and let the grading kernels report an error as its last line
# only ("AssertionError: message"), without the traceback that would quote the
# hidden test code around the failing line.
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import ClearHiddenTests, GetGrades

c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTests, CSSHTMLHeaderPreprocessor]
c.Execute.extra_arguments = ["--InteractiveShell.xmode=Minimal"]
'''


class GradingError(RuntimeError):
    """A grading step cannot go on; the message says what to do."""


class Score(NamedTuple):
    """One student's total for one assignment, as the gradebook has it."""

    score: float
    max_score: float
    needs_manual_grade: bool


def nbgrader(course_dir, *args: str) -> subprocess.CompletedProcess:
    """Run ``nbgrader ARGS`` in ``course_dir``; raise GradingError if it fails.

    Uses ``sys.executable -m nbgrader`` so that the kernels, nbgrader and this
    module all come from the same environment. That environment's ``bin/`` goes
    first on PATH: nbgrader runs the ``alembic`` command when it creates a
    gradebook, and fails if it is not found (the case when the virtual
    environment is not activated, e.g. ``.venv/bin/python -m coursekit.grading``).
    """
    command = [sys.executable, "-m", "nbgrader", *args]
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    env = {**os.environ, "PATH": path}
    done = subprocess.run(command, cwd=course_dir, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        log = (done.stdout + done.stderr).strip().splitlines()
        raise GradingError(
            f"`nbgrader {' '.join(args)}` failed (exit {done.returncode}) in {course_dir}:\n"
            + "\n".join(log[-30:])
        )
    return done


def make_course(course_dir, repo_root=REPO_ROOT) -> Path:
    """Create a course directory from the repository and return its path.

    Copies ``repo_root/solutions`` to ``course_dir/source`` (grading then uses
    that frozen copy) and writes ``nbgrader_config.py``: the repository's
    settings followed by the course's own paths. Never writes into the
    repository, and refuses a course directory inside it or one that exists
    already with a configuration.
    """
    course, repo = Path(course_dir).resolve(), Path(repo_root).resolve()
    if course.is_relative_to(repo):
        raise GradingError(f"The course must be outside the repository. Received: {course}")
    if (course / "nbgrader_config.py").exists():
        raise GradingError(f"{course} is a course already (it has an nbgrader_config.py).")
    if (course / "source").exists():
        raise GradingError(
            f"{course / 'source'} exists but the course has no nbgrader_config.py "
            "(an interrupted set-up?): move it away or finish the configuration by hand."
        )
    if not (repo / "solutions").is_dir():
        raise GradingError(f"No solutions/ directory in the repository {repo}.")
    course.mkdir(parents=True, exist_ok=True)
    shutil.copytree(repo / "solutions", course / "source")
    settings = (repo / "nbgrader_config.py").read_text()
    (course / "nbgrader_config.py").write_text(settings + COURSE_SETTINGS.format(root=str(course)))
    return course


def release(course_dir, assignment: str) -> Path:
    """Generate the student version of ``assignment``; return its release directory.

    Runs ``nbgrader generate_assignment ASSIGNMENT --force``, which also records
    the assignment's cells and points in the course's gradebook.
    """
    course = _course(course_dir)
    if not (course / "source" / assignment).is_dir():
        known = sorted(p.name for p in (course / "source").iterdir() if p.is_dir())
        raise GradingError(f"No assignment {assignment!r} in {course / 'source'}. Known: {known}")
    nbgrader(course, "generate_assignment", assignment, "--force")
    return course / "release" / assignment


def submit(course_dir, assignment: str, student: str, notebook_path, name=None) -> Path:
    """Copy a student's notebook to ``submitted/<student>/<assignment>/`` and return the copy.

    ``name`` is the file name to give it (default: the notebook's own name); it
    must be the name of a released notebook, or nbgrader would ignore it. An
    existing submission is never overwritten: FileExistsError instead.
    """
    course = _course(course_dir)
    if not student or "/" in student or student.startswith("."):
        raise GradingError(f"Student ids are plain names. Received: student={student!r}")
    name = name or Path(notebook_path).name
    released = course / "release" / assignment
    if not (released / name).is_file():
        raise GradingError(f"{name!r} is not a notebook of the released assignment in {released}.")
    target = course / "submitted" / student / assignment / name
    if target.exists():
        raise FileExistsError(f"A submission exists already, not overwritten: {target}")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(notebook_path, target)
    return target


def submissions(course_dir, assignment: str) -> list[str]:
    """The ids of the students who have a ``submitted/<student>/<assignment>/`` folder."""
    submitted = _course(course_dir) / "submitted"
    if not submitted.is_dir():
        return []
    return sorted(p.name for p in submitted.iterdir() if (p / assignment).is_dir())


def autograde(course_dir, assignment: str) -> list[str]:
    """Autograde every submission of ``assignment`` and write their HTML feedback.

    Runs ``nbgrader autograde ASSIGNMENT --force`` once for all students (each
    notebook starts one kernel), then ``nbgrader generate_feedback ASSIGNMENT
    --force``. Submissions are read, never changed. Returns the student ids.
    """
    course = _course(course_dir)
    if not (course / "release" / assignment).is_dir():
        raise GradingError(f"{assignment!r} has not been released in {course}: run release().")
    students = submissions(course, assignment)
    if not students:
        raise GradingError(
            f"No submissions of {assignment!r}: put each student's notebook in "
            f"{course / 'submitted' / '<student>' / assignment}/"
        )
    nbgrader(course, "autograde", assignment, "--force")
    nbgrader(course, "generate_feedback", assignment, "--force")
    return students


def scores(course_dir, assignment: str) -> dict[str, Score]:
    """Read each student's total for ``assignment`` from the course's gradebook."""
    from nbgrader.api import Gradebook, MissingEntry

    database = _course(course_dir) / "gradebook.db"
    if not database.is_file():
        raise GradingError(f"No gradebook in {database.parent}: release and autograde first.")
    with Gradebook(f"sqlite:///{database}", course_id="") as gradebook:
        try:
            found = gradebook.find_assignment(assignment)
        except MissingEntry as error:
            raise GradingError(f"No assignment {assignment!r} in the gradebook.") from error
        return {
            submission.student.id: Score(
                float(submission.score),
                float(submission.max_score),
                bool(submission.needs_manual_grade),
            )
            for submission in found.submissions
        }


def export_csv(course_dir, assignment: str, filename: str = "grades.csv") -> Path:
    """Export the gradebook's scores for ``assignment`` with ``nbgrader export``."""
    course = _course(course_dir)
    nbgrader(course, "export", f"--to={filename}", f"--assignment=[{assignment!r}]")
    return course / filename


def format_table(table: dict[str, Score]) -> str:
    """A plain-text table: one line per student with score, maximum and manual flag."""
    lines = [f"{'student':<20} {'score':>7} {'max':>7}  manual grading"]
    for student, (score, max_score, manual) in sorted(table.items()):
        lines.append(f"{student:<20} {score:>7g} {max_score:>7g}  {'needed' if manual else '-'}")
    return "\n".join(lines)


def main(argv=None) -> int:
    """Set up the course if needed, then autograde, write feedback, print and export scores."""
    parser = argparse.ArgumentParser(prog="python -m coursekit.grading", description=main.__doc__)
    parser.add_argument("--course", required=True, type=Path,
                        help="course directory, outside the repository (created if missing)")
    parser.add_argument("--assignment", required=True, help="assignment name, e.g. two_views")
    parser.add_argument("--repo", type=Path, default=REPO_ROOT,
                        help="repository to create the course from (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        course = args.course.resolve()
        if not (course / "nbgrader_config.py").exists():
            make_course(course, args.repo)
            print(f"Created the course {course} from {args.repo.resolve()}")
        if not (course / "release" / args.assignment).is_dir():
            print(f"Released {args.assignment} to {release(course, args.assignment)}")
        autograde(course, args.assignment)
        print(format_table(scores(course, args.assignment)))
        print(f"Feedback: {course / 'feedback'}/<student>/{args.assignment}/")
        print(f"Grades:   {export_csv(course, args.assignment)}")
    except GradingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


def _course(course_dir) -> Path:
    """The absolute course path, checked to hold an nbgrader_config.py."""
    course = Path(course_dir).resolve()
    if not (course / "nbgrader_config.py").is_file():
        raise GradingError(f"{course} is not a course directory: create it with make_course().")
    return course


if __name__ == "__main__":
    sys.exit(main())
