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
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import nbformat

from coursekit import parallel, sandbox
from coursekit.parallel import Engine
from coursekit.plugins import PRECOMPUTED, JudgeInSandbox, notebook_key

REPO_ROOT = Path(__file__).resolve().parents[2]
"""The repository this module was installed from (editable install)."""

MAX_NOTEBOOK_BYTES = 50 * 2**20
"""A submitted notebook larger than this is rejected (its outputs are never needed)."""

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
from coursekit.plugins import ClearHiddenTestsOfTests, JudgeInSandbox
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


@dataclass
class Result:
    """How one student's submission fared in a grading run.

    ``status`` is "graded", "kept" (graded in an earlier run, unchanged since),
    "rejected" (not gradable: ``reason`` says why) or "failed" (nbgrader could
    not grade it: ``reason`` has its last error line). ``flags`` are the
    judge's report: time-outs, kernel deaths, restored cells, attempts.
    """

    student: str
    status: str
    reason: str = ""
    flags: list[str] = field(default_factory=list)


def preflight(course_dir, assignment: str, student: str) -> str:
    """Why the submission cannot be graded ("" when it can): names, JSON, size.

    Never changes the submission; the reason is written for the report.
    """
    course = _course(course_dir)
    folder = course / "submitted" / student / assignment
    expected = sorted(p.name for p in (course / "release" / assignment).glob("*.ipynb"))
    found = sorted(p.name for p in folder.glob("*.ipynb"))
    for name in expected:
        path = folder / name
        if not path.is_file():
            others = [f for f in found if f not in expected]
            if others:
                return f"wrong file name: found {', '.join(others)}, expected {name}"
            return f"no notebook {name} in the submission"
        if path.stat().st_size > MAX_NOTEBOOK_BYTES:
            return (f"{name} is {path.stat().st_size / 2**20:.0f} MiB, over the "
                    f"{MAX_NOTEBOOK_BYTES / 2**20:.0f} MiB limit (clear the outputs and resubmit)")
        try:
            data = json.loads(path.read_bytes())
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            return f"{name} is not a notebook (unreadable JSON: {error}; a truncated file?)"
        if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
            return f"{name} is JSON but not a Jupyter notebook (no list of cells)"
        try:
            nbformat.reads(json.dumps(data), as_version=4)
        except Exception as error:  # nbformat raises several kinds for malformed notebooks
            return f"{name} is not a valid notebook ({type(error).__name__}: {error})"
    return ""


def grade(course_dir, assignment: str, *, protected: bool = True, regrade: bool = False,
          workers: int | None = None, scheduler: str | None = None,
          progress: Progress | None = None) -> list[Result]:
    """Grade every submission of ``assignment`` and write its feedback; return the results.

    The coordinator (this process) checks each submission (preflight),
    sanitises it with nbgrader's own preprocessors and hands it to the judging
    engine (:mod:`coursekit.parallel`: ``workers`` local processes, default one
    per core, or the Dask ``scheduler`` at an address; ``workers=0`` judges in
    this process). As each judged notebook comes back, the coordinator alone
    writes it to nbgrader's gradebook through nbgrader's autograde pipeline and
    writes the feedback. A submission graded before and unchanged since is kept
    (``regrade=True`` grades everything again); an interrupted run therefore
    resumes where it stopped. Submissions are never changed.
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
    if protected:
        try:
            sandbox.check_available()
        except sandbox.SandboxUnavailable as error:
            raise GradingError(str(error)) from None
    api = _api(course, protected)
    state = _State(course, assignment)
    warnings.filterwarnings("ignore", module="nbgrader")  # SQLAlchemy 2 notices about nbgrader
    progress = progress or Progress(len(students))
    results: dict[str, Result] = {}
    todo = {}
    for student in students:
        reason = preflight(course, assignment, student)
        fingerprint = "" if reason else _fingerprint(course, assignment, student)
        earlier = state.get(student)
        if reason:
            _ensure_student(api, student)
            state.forget(student)
            results[student] = Result(student, "rejected", reason)
        elif not regrade and earlier and earlier.get("fingerprint") == fingerprint:
            results[student] = Result(student, "kept", flags=earlier.get("flags", []))
        else:
            state.forget(student)
            todo[student] = fingerprint
            continue
        progress.update(results[student])
    if todo:
        _judge_and_record(api, course, assignment, todo, state, results, progress,
                          Engine(workers=workers, scheduler=scheduler))
    progress.close()
    return [results[student] for student in students]


def _judge_and_record(api, course: Path, assignment: str, todo: dict[str, str], state,
                      results: dict, progress, engine: Engine) -> None:
    """Judge the submissions in ``todo`` on the engine; record each as it comes back."""
    options = parallel.options_as_dict(JudgeInSandbox(parent=api).options())
    names = sorted(p.name for p in (course / "release" / assignment).glob("*.ipynb"))
    sources = {name: (course / "source" / assignment / name).read_text() for name in names}
    jobs, keys, pending = [], {}, {}
    for student in todo:
        try:
            prepared = {name: _sanitized(api, course, assignment, student, name)
                        for name in names}
        except Exception as error:  # one odd submission never stops the class
            results[student] = Result(student, "failed", f"nbgrader could not read it: {error}")
            progress.update(results[student])
            continue
        pending[student] = set(names)
        for name, sanitized in prepared.items():
            keys[(student, name)] = notebook_key(sanitized)
            jobs.append(((student, name), (nbformat.writes(sanitized), sources[name], options)))
    problems: dict[str, str] = {}
    if not jobs:
        return
    with engine:
        progress.engine = engine.description
        for (student, name), outcome in engine.judge_all(jobs):
            if isinstance(outcome, Exception):
                problems[student] = f"judging failed twice: {type(outcome).__name__}: {outcome}"
            else:
                PRECOMPUTED[keys[(student, name)]] = nbformat.reads(outcome, as_version=4)
            pending[student].discard(name)
            if pending[student]:
                continue
            if student in problems:
                results[student] = Result(student, "failed", problems[student])
            else:
                results[student] = _record(api, course, assignment, student, todo[student],
                                           state, [keys[(student, n)] for n in names])
            progress.update(results[student])


def _record(api, course: Path, assignment: str, student: str, fingerprint: str, state,
            keys: list[str]) -> Result:
    """Write one judged submission to the gradebook (nbgrader autograde) and its feedback."""
    graded = api.autograde(assignment, student, force=True, create=True)
    unused = [key for key in keys if PRECOMPUTED.pop(key, None) is not None]
    if not graded["success"]:
        return Result(student, "failed", _last_error(graded))
    flags = _flags(course, assignment, student)
    if unused:
        flags.append("nbgrader's copy differed from the one a worker judged: judged again here")
    feedback = api.generate_feedback(assignment, student, force=True)
    if not feedback["success"]:
        flags.append(f"feedback not written: {_last_error(feedback)}")
    state.put(student, {"fingerprint": fingerprint, "flags": flags})
    return Result(student, "graded", flags=flags)


def _sanitized(api, course: Path, assignment: str, student: str, name: str):
    """The submitted notebook after nbgrader's sanitising preprocessors, as autograde sees it."""
    from nbgrader.converters import Autograde

    stem = Path(name).stem
    resources = {"unique_key": stem, "output_files_dir": f"{stem}_files",
                 "nbgrader": {"student": student, "assignment": assignment, "notebook": stem,
                              "db_url": api.coursedir.db_url}}
    nb = nbformat.read(str(course / "submitted" / student / assignment / name), as_version=4)
    converter = Autograde(coursedir=api.coursedir, parent=api)
    for preprocessor in converter.sanitize_preprocessors:
        nb, resources = preprocessor(parent=converter)(nb, resources)
    return nbformat.reads(nbformat.writes(nb), as_version=4)


class Progress:
    """Progress of a class: a bar on a terminal, one plain line per submission otherwise."""

    def __init__(self, total: int, stream=None):
        self.total, self.done, self.failed, self.timed = total, 0, 0, 0
        self.stream = stream or sys.stdout
        self.start = time.monotonic()
        self.engine = ""
        self.bar = self.stream.isatty()

    def update(self, result: Result) -> None:
        """Count one finished submission and show where the class stands."""
        self.done += 1
        self.failed += result.status in ("failed", "rejected")
        self.timed += result.status in ("graded", "failed")
        elapsed = time.monotonic() - self.start
        left = self.total - self.done
        eta = f", about {elapsed / self.timed * left:.0f} s left" if self.timed and left else ""
        flags = f" ({len(result.flags)} flags)" if result.flags else ""
        if self.bar:
            filled = round(30 * self.done / max(self.total, 1))
            self.stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {self.done}/{self.total}"
                              f" done, {self.failed} failed or rejected{eta}   ")
        else:
            self.stream.write(f"[{self.done}/{self.total}] {result.student}: {result.status}"
                              f"{flags}; {self.failed} failed or rejected so far{eta}\n")
        self.stream.flush()

    def close(self) -> None:
        """End the bar and say how long the class took."""
        if self.bar:
            self.stream.write("\n")
        where = f" on {self.engine}" if self.engine else ""
        self.stream.write(f"{self.done} submissions in {time.monotonic() - self.start:.1f} s"
                          f"{where}\n")
        self.stream.flush()


class _State:
    """Which submissions this course has graded, with what, saved after each student.

    ``COURSE/.coursekit/<assignment>.json`` maps each student to the
    fingerprint of what was graded (submission, source notebook, settings) and
    the judge's flags. It is written atomically after a student's grades are
    in the gradebook, so an interrupted run loses at most the student it was on.
    """

    def __init__(self, course: Path, assignment: str):
        self.path = course / ".coursekit" / f"{assignment}.json"
        self.data = json.loads(self.path.read_text()) if self.path.is_file() else {}

    def get(self, student: str):
        return self.data.get(student)

    def put(self, student: str, entry: dict) -> None:
        self.data[student] = entry
        self._save()

    def forget(self, student: str) -> None:
        if self.data.pop(student, None) is not None:
            self._save()

    def _save(self) -> None:
        self.path.parent.mkdir(exist_ok=True)
        partial = self.path.with_suffix(".tmp")
        partial.write_text(json.dumps(self.data, indent=1, sort_keys=True))
        os.replace(partial, self.path)


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


def _flags(course: Path, assignment: str, student: str) -> list[str]:
    """The judge's flags, read from the autograded notebooks' metadata."""
    flags = []
    for path in sorted((course / "autograded" / student / assignment).glob("*.ipynb")):
        report = nbformat.read(str(path), as_version=4).metadata.get("coursekit", {})
        flags += [str(f) for f in report.get("report", {}).get("flags", [])]
    return flags


def _fingerprint(course: Path, assignment: str, student: str) -> str:
    """A hash of what grading reads: the submitted files and the source notebooks."""
    digest = hashlib.sha256()
    for folder in (course / "submitted" / student / assignment, course / "source" / assignment):
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            digest.update(str(path.relative_to(course)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _ensure_student(api, student: str) -> None:
    """Make sure a rejected student is in the gradebook (so the CSV lists them with 0)."""
    from nbgrader.api import Gradebook

    with Gradebook(api.coursedir.db_url, course_id=api.coursedir.course_id) as gradebook:
        gradebook.update_or_create_student(student)


def _last_error(result: dict) -> str:
    """The last non-empty line of an nbgrader API error."""
    lines = [line for line in (result.get("error") or result.get("log") or "").splitlines()
             if line.strip()]
    return lines[-1].strip() if lines else "unknown error"


def _put_venv_first_on_path() -> None:
    """nbgrader runs `alembic` from PATH when it creates a gradebook: use this environment's."""
    here = str(Path(sys.executable).parent)
    if not os.environ.get("PATH", "").startswith(here):
        os.environ["PATH"] = os.pathsep.join([here, os.environ.get("PATH", "")])


def scores(course_dir, assignment: str) -> dict[str, Score]:
    """Read each student's total for ``assignment`` from the course's gradebook."""
    from nbgrader.api import Gradebook, MissingEntry

    course = _course(course_dir)
    coursedir = _api(course, protected=True).coursedir
    url = coursedir.db_url
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
        raise GradingError(f"No gradebook in {course}: release and autograde first.")
    with Gradebook(url, course_id=coursedir.course_id) as gradebook:
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


def format_table(table: dict[str, Score], results: list[Result] = ()) -> str:
    """A plain-text table: one line per student with score, maximum and status, then flags."""
    status = {r.student: r for r in results}
    lines = [f"{'student':<20} {'score':>7} {'max':>7}  status"]
    students = sorted(set(table) | set(status))
    for student in students:
        score = table.get(student)
        result = status.get(student)
        text = result.status if result else "-"
        if result and result.reason:
            text += f": {result.reason}"
        elif score and score.needs_manual_grade:
            text += ", manual grading needed"
        if score:
            lines.append(f"{student:<20} {score.score:>7g} {score.max_score:>7g}  {text}")
        else:
            lines.append(f"{student:<20} {'-':>7} {'-':>7}  {text}")
    flagged = [r for r in results if r.flags]
    if flagged:
        lines += ["", "Flags (what the judge noticed):"]
        for result in flagged:
            lines += [f"  {result.student}: {flag}" for flag in result.flags]
    return "\n".join(lines)


def main(argv=None) -> int:
    """Set up the course if needed, then grade, write feedback, print and export scores."""
    parser = argparse.ArgumentParser(prog="python -m coursekit.grading", description=main.__doc__)
    parser.add_argument("--course", required=True, type=Path,
                        help="course directory, outside the repository (created if missing)")
    parser.add_argument("--assignment", required=True, help="assignment name, e.g. two_views")
    parser.add_argument("--repo", type=Path, default=REPO_ROOT,
                        help="repository to create the course from (default: %(default)s)")
    parser.add_argument("--regrade", action="store_true",
                        help="grade every submission again, even those graded before and unchanged")
    parser.add_argument("--unprotected", action="store_true",
                        help="grade WITHOUT the bubblewrap sandbox (every report says so)")
    parser.add_argument("--workers", type=int, default=None,
                        help="local worker processes (default: one per core; 0: judge in "
                             "this process)")
    parser.add_argument("--scheduler", default=None,
                        help="address of a Dask scheduler to judge on (e.g. tcp://host:8786) "
                             "instead of local workers")
    parser.add_argument("--db-url", default=None,
                        help="gradebook database for a NEW course (SQLAlchemy URL, e.g. "
                             "postgresql+psycopg://user@host/db); default COURSE/gradebook.db")
    args = parser.parse_args(argv)
    try:
        course = args.course.resolve()
        if not (course / "nbgrader_config.py").exists():
            make_course(course, args.repo, db_url=args.db_url)
            print(f"Created the course {course} from {args.repo.resolve()}")
        if not (course / "release" / args.assignment).is_dir():
            print(f"Released {args.assignment} to {release(course, args.assignment)}")
        if args.unprotected:
            print("WARNING: grading WITHOUT the sandbox (--unprotected): student code runs "
                  "with your permissions.")
        results = grade(course, args.assignment, protected=not args.unprotected,
                        regrade=args.regrade, workers=args.workers, scheduler=args.scheduler)
        print(format_table(scores(course, args.assignment), results))
        if args.unprotected:
            print("UNPROTECTED RUN: these grades were computed without the sandbox.")
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
