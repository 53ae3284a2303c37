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

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
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
# Sanitising starts by rebuilding each submission's grading cells from source/
# (edited metadata, copied, added or deleted cells are graded, and flagged).
from coursekit.grader.plugins import (ClearHiddenTestsOfTests, JudgeInSandbox,
                                      NormaliseFromSource, ReportNormaliserFlags)
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, ClearOutput,
                                    DeduplicateIds, GetGrades, IgnorePattern, LimitOutput,
                                    OverwriteCells, OverwriteKernelspec, SaveAutoGrades)

c.Autograde.sanitize_preprocessors = [NormaliseFromSource, ClearOutput, DeduplicateIds,
                                      OverwriteKernelspec, OverwriteCells, CheckCellMetadata]
c.Autograde.autograde_preprocessors = [JudgeInSandbox, ReportNormaliserFlags, IgnorePattern,
                                       LimitOutput, SaveAutoGrades, AssignLatePenalties,
                                       CheckCellMetadata]
c.JudgeInSandbox.source_root = {source!r}
c.NormaliseFromSource.source_root = {source!r}
c.NormaliseFromSource.release_root = {release!r}

# Feedback: hidden-test regions are removed from the test cells (only there),
# and the judge's messages never quote hidden tests.
c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTestsOfTests, CSSHTMLHeaderPreprocessor]
'''


RELEASES = Path(".coursekit") / "releases.json"
"""Per course: {assignment: source_version released last}."""


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
    paths = COURSE_SETTINGS.format(root=str(course), source=str(course / "source"),
                                   release=str(course / "release"))
    if db_url:
        paths += "\n# The gradebook: a shared database instead of gradebook.db.\n"
        paths += f"c.CourseDirectory.db_url = {db_url!r}\n"
    (course / "nbgrader_config.py").write_text(settings + paths)
    return course


def release(course_dir, assignment: str) -> Path:
    """Generate the student version of ``assignment``; return its release directory.

    Runs ``nbgrader generate_assignment ASSIGNMENT --force``, which also records
    the assignment's cells and points in the course's gradebook, and records
    which version of ``source/<assignment>/`` was released
    (``COURSE/.coursekit/releases.json``; see :func:`sync_release`).
    """
    course = _course(course_dir)
    if not (course / "source" / assignment).is_dir():
        known = sorted(p.name for p in (course / "source").iterdir() if p.is_dir())
        raise GradingError(f"No assignment {assignment!r} in {course / 'source'}. Known: {known}")
    version = source_version(course, assignment)
    nbgrader(course, "generate_assignment", assignment, "--force")
    _record_release(course, assignment, version)
    return course / "release" / assignment


def source_version(course_dir, assignment: str) -> str:
    """A hash of ``COURSE/source/<assignment>/`` (every file: names and bytes)."""
    folder = Path(course_dir) / "source" / assignment
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()
                       and ".ipynb_checkpoints" not in p.parts):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def released_version(course_dir, assignment: str) -> str | None:
    """The :func:`source_version` last released (None when no release was recorded)."""
    path = Path(course_dir) / RELEASES
    return json.loads(path.read_text()).get(assignment) if path.is_file() else None


def sync_release(course_dir, assignment: str) -> str:
    """Release ``assignment`` again when ``source/`` changed since it was released.

    The course's source of truth is ``COURSE/source/<assignment>/``. When it
    differs from what was last released (or no release was recorded), every
    grade of the assignment was computed against another version: they are
    withdrawn from the gradebook (with the graded copies and the feedback, all
    regenerated by the grading run that follows), and the assignment is
    released again (``nbgrader generate_assignment --force``, which updates the
    gradebook's cells and points). Returns what was done, in a sentence for the
    instructor ("" when the release is current).
    """
    course = _course(course_dir)
    current, recorded = source_version(course, assignment), released_version(course, assignment)
    if current == recorded:
        return ""
    withdrawn = withdraw_grades(course, assignment)
    for folder in ("autograded", "feedback"):
        for path in (course / folder).glob(f"*/{assignment}"):
            shutil.rmtree(path, ignore_errors=True)
    state = course / ".coursekit" / f"{assignment}.json"
    state.unlink(missing_ok=True)
    release(course, assignment)
    why = (f"{course / 'source' / assignment} changed since it was last released"
           if recorded else "no record says which version of it was released")
    grades = (f"the {len(withdrawn)} grades computed against the earlier version were "
              "withdrawn; " if withdrawn else "")
    return (f"{assignment}: {why}, so it was released again (nbgrader generate_assignment "
            f"--force: the gradebook's cells and points follow {course / 'source'}); "
            f"{grades}every submission is graded against the current version.")


def withdraw_grades(course_dir, assignment: str, students=None) -> list[str]:
    """Remove ``students``' (default: every) submissions of ``assignment`` from the
    gradebook; return whose were removed. The export then lists them with 0."""
    from nbgrader.api import Gradebook, MissingEntry

    course = _course(course_dir)
    coursedir = _api(course, protected=True).coursedir
    url = coursedir.db_url
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
        return []
    removed = []
    with Gradebook(url, course_id=coursedir.course_id) as gradebook:
        try:
            found = gradebook.find_assignment(assignment)
        except MissingEntry:
            return []
        ids = [s.student.id for s in found.submissions]
        for student in ids:
            if students is None or student in students:
                gradebook.remove_submission(assignment, student)
                removed.append(student)
    return removed


def _record_release(course: Path, assignment: str, version: str) -> None:
    path = course / RELEASES
    data = json.loads(path.read_text()) if path.is_file() else {}
    data[assignment] = version
    path.parent.mkdir(exist_ok=True)
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps(data, indent=1, sort_keys=True))
    os.replace(partial, path)


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
    _add_normaliser(config, course)
    coursedir = CourseDirectory(config=config)
    api = NbGraderAPI(coursedir=coursedir, config=config)
    api.log.setLevel("ERROR")
    return api


def _put_venv_first_on_path() -> None:
    """nbgrader runs `alembic` from PATH when it creates a gradebook: use this environment's."""
    here = str(Path(sys.executable).parent)
    if not os.environ.get("PATH", "").startswith(here):
        os.environ["PATH"] = os.pathsep.join([here, os.environ.get("PATH", "")])


def _add_normaliser(config, course: Path) -> None:
    """A course created before NormaliseFromSource existed gets it (and its report)."""
    from coursekit.grader.plugins import JudgeInSandbox, NormaliseFromSource, ReportNormaliserFlags

    sanitize = config.Autograde.get("sanitize_preprocessors")
    if sanitize is None:
        from nbgrader.converters import Autograde

        sanitize = list(Autograde.class_traits()["sanitize_preprocessors"].default())
    if NormaliseFromSource not in sanitize:
        config.Autograde.sanitize_preprocessors = [NormaliseFromSource, *sanitize]
        config.NormaliseFromSource.source_root = str(course / "source")
        config.NormaliseFromSource.release_root = str(course / "release")
    steps = config.Autograde.get("autograde_preprocessors")
    if steps and JudgeInSandbox in steps and ReportNormaliserFlags not in steps:
        steps = list(steps)
        steps.insert(steps.index(JudgeInSandbox) + 1, ReportNormaliserFlags)
        config.Autograde.autograde_preprocessors = steps
