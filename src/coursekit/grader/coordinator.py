"""The coordinator: one process checks, sanitises and records a class; judging runs elsewhere.

It preflights every submission, sanitises it with nbgrader's own preprocessors,
hands it to the judging engine (:mod:`coursekit.grader.parallel`), and, as each
judged notebook comes back, alone writes it to nbgrader's gradebook through
nbgrader's autograde pipeline and writes the feedback.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from coursekit.grader import parallel, sandbox
from coursekit.grader.course import (
    GradingError,
    _api,
    _course,
    submissions,
    sync_release,
    withdraw_grades,
)
from coursekit.grader.parallel import Engine
from coursekit.grader.plugins import PRECOMPUTED, JudgeInSandbox, notebook_key
from coursekit.grader.report import Progress

MAX_NOTEBOOK_BYTES = 50 * 2**20
"""A submitted notebook larger than this is rejected (its outputs are never needed)."""


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
                return (f"wrong file name: found {', '.join(others)}, expected {name} "
                        f"(keep the name of the notebook you downloaded)")
            return f"no notebook {name} in the submission"
        if path.stat().st_size > MAX_NOTEBOOK_BYTES:
            return (f"{name} is {path.stat().st_size / 2**20:.0f} MiB, over the "
                    f"{MAX_NOTEBOOK_BYTES / 2**20:.0f} MiB limit (clear the outputs and resubmit)")
        again = ("open the assignment's notebook in Jupyter, put your answers in it, save it "
                 "and submit that file")
        try:
            data = json.loads(path.read_bytes())
        except (UnicodeDecodeError, json.JSONDecodeError):
            return (f"{name} is not a notebook: Jupyter cannot open it (a file of another kind "
                    f"saved under that name, or an upload cut short); {again}")
        if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
            return f"{name} is not a notebook: it has no cells; {again}"
        try:
            nbformat.reads(json.dumps(data), as_version=4)
        except Exception as error:  # nbformat raises several kinds for malformed notebooks
            return (f"{name} is not a notebook Jupyter can read ({type(error).__name__}: "
                    f"{error}); {again}")
    return ""


def grade(course_dir, assignment: str, *, protected: bool = True, regrade: bool = False,
          workers: int | None = None, scheduler: str | None = None,
          progress: Progress | None = None) -> list[Result]:
    """Grade every submission of ``assignment`` and write its feedback; return the results.

    The coordinator (this process) checks each submission (preflight),
    sanitises it with nbgrader's own preprocessors and hands it to the judging
    engine (:mod:`coursekit.grader.parallel`: ``workers`` local processes, default one
    per core, or the Dask ``scheduler`` at an address; ``workers=0`` judges in
    this process). As each judged notebook comes back, the coordinator alone
    writes it to nbgrader's gradebook through nbgrader's autograde pipeline and
    writes the feedback. A submission graded before and unchanged since (same
    file, same version of the assignment, same settings) is kept
    (``regrade=True`` grades everything again); an interrupted run therefore
    resumes where it stopped. When ``COURSE/source/<assignment>/`` changed since
    its last release, the assignment is released again first and every grade of
    the earlier version withdrawn (:func:`~coursekit.grader.course.sync_release`).
    A submission that is rejected or fails loses any earlier grade of the
    assignment and stays in the gradebook's students (0 in the export).
    Submissions are never changed.
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
    progress = progress or Progress(len(students))
    changed = sync_release(course, assignment)
    if changed:
        progress.note(changed)
    api = _api(course, protected)
    state = _State(course, assignment)
    warnings.filterwarnings("ignore", module="nbgrader")  # SQLAlchemy 2 notices about nbgrader
    results: dict[str, Result] = {}
    todo = {}
    for student in students:
        reason = preflight(course, assignment, student)
        fingerprint = "" if reason else _fingerprint(course, assignment, student)
        earlier = state.get(student)
        if reason:
            _withdraw(course, assignment, student)
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


def _withdraw(course: Path, assignment: str, student: str) -> None:
    """Take a student's earlier grade, graded copy and feedback of ``assignment`` away: the
    submission now in submitted/ could not be graded, and no older grade may stand for it."""
    withdraw_grades(course, assignment, [student])
    for folder in ("autograded", "feedback"):
        shutil.rmtree(course / folder / student / assignment, ignore_errors=True)


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
            _withdraw(course, assignment, student)
            _ensure_student(api, student)
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
                _withdraw(course, assignment, student)
                _ensure_student(api, student)
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
        _withdraw(course, assignment, student)
        _ensure_student(api, student)
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


def _flags(course: Path, assignment: str, student: str) -> list[str]:
    """The sanitiser's and the judge's flags, read from the autograded notebooks' metadata
    (``coursekit.flags`` and ``coursekit.report.flags``), each once."""
    flags = []
    for path in sorted((course / "autograded" / student / assignment).glob("*.ipynb")):
        meta = nbformat.read(str(path), as_version=4).metadata.get("coursekit", {})
        for flag in [*meta.get("flags", []), *meta.get("report", {}).get("flags", [])]:
            if str(flag) not in flags:
                flags.append(str(flag))
    return flags


def _fingerprint(course: Path, assignment: str, student: str) -> str:
    """A hash of what grading reads: the submitted files, the version of the assignment
    (its source and release notebooks) and the course's settings."""
    digest = hashlib.sha256()
    for folder in (course / "submitted" / student / assignment, course / "source" / assignment,
                   course / "release" / assignment):
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            digest.update(str(path.relative_to(course)).encode() + b"\0" + path.read_bytes())
    digest.update((course / "nbgrader_config.py").read_bytes())
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
