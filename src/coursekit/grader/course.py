"""A course directory: created from the repository, assignments released, submissions placed.

The repository holds the hand-written sources (``solutions/``) and the released
notebooks (``exercises/``); grading data never goes there. An instructor's
course directory looks like this:

    COURSE/
      nbgrader_config.py                  the repository's settings + this course's paths
      source/<assignment>/                a copy of the repository's solutions/<assignment>/
      release/<assignment>/               what students get (same bytes as exercises/)
      submitted/<student>/<assignment>/   each student's notebooks, never changed here
      autograded/  feedback/  gradebook.db  grades.csv      written by nbgrader

Every nbgrader step runs the real ``nbgrader`` command of the Python that runs
this module, in a subprocess whose working directory is the course directory.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
"""The repository this module was installed from (editable install)."""

COURSE_SETTINGS = '''
# ---------------------------------------------------------------------------
# Course paths and grading plug-ins, written by coursekit.grading.make_course.
# Everything above is the repository's nbgrader_config.py at the time the
# course was created.
c.CourseDirectory.root = {root!r}
c.CourseDirectory.course_id = "embedding-course"  # the gradebook needs a course row
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"

# Autograde: nbgrader's pipeline with its Execute step replaced by the course's
# judge (student code in a bubblewrap sandbox, verdicts decided outside it).
from coursekit.grader.plugins import ClearHiddenTestsOfTests, JudgeInSandbox
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, GetGrades,
                                    IgnorePattern, LimitOutput, SaveAutoGrades)

c.Autograde.autograde_preprocessors = [JudgeInSandbox, IgnorePattern, LimitOutput,
                                       SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]
c.JudgeInSandbox.source_root = {source!r}

# Feedback: hidden-test regions are removed from the test cells (only there),
# and the judge's messages never quote hidden tests.
c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTestsOfTests, CSSHTMLHeaderPreprocessor]
'''


class GradingError(RuntimeError):
    """A grading step cannot go on; the message says what to do."""


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


def make_course(course_dir, repo_root=REPO_ROOT, db_url: str | None = None) -> Path:
    """Create a course directory from the repository and return its path.

    Copies ``repo_root/solutions`` to ``course_dir/source`` (grading then uses
    that frozen copy) and writes ``nbgrader_config.py``: the repository's
    settings followed by the course's own paths (and ``db_url``, nbgrader's
    gradebook address, when given: e.g. a PostgreSQL database for a shared
    deployment; default: ``COURSE/gradebook.db``). Never writes into the
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
    paths = COURSE_SETTINGS.format(root=str(course), source=str(course / "source"))
    if db_url:
        paths += "\n# The gradebook: a shared database instead of gradebook.db.\n"
        paths += f"c.CourseDirectory.db_url = {db_url!r}\n"
    (course / "nbgrader_config.py").write_text(settings + paths)
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



def _course(course_dir) -> Path:
    """The absolute course path, checked to hold an nbgrader_config.py."""
    course = Path(course_dir).resolve()
    if not (course / "nbgrader_config.py").is_file():
        raise GradingError(f"{course} is not a course directory: create it with make_course().")
    return course


def _api(course: Path, protected: bool):
    """nbgrader's API on the course, configured by its nbgrader_config.py."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    _put_venv_first_on_path()
    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    config.JudgeInSandbox.protected = protected
    coursedir = CourseDirectory(config=config)
    api = NbGraderAPI(coursedir=coursedir, config=config)
    api.log.setLevel("ERROR")
    return api


def _put_venv_first_on_path() -> None:
    """nbgrader runs `alembic` from PATH when it creates a gradebook: use this environment's."""
    here = str(Path(sys.executable).parent)
    if not os.environ.get("PATH", "").startswith(here):
        os.environ["PATH"] = os.pathsep.join([here, os.environ.get("PATH", "")])
