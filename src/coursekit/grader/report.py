"""What a grading run tells the instructor: progress, the score table, the gradebook's scores."""

from __future__ import annotations

import csv
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from coursekit.grader.course import GradingError, _api, _course, nbgrader

if TYPE_CHECKING:
    from coursekit.grader.coordinator import Result


class Score(NamedTuple):
    """One student's total for one assignment, as the gradebook has it."""

    score: float
    max_score: float
    needs_manual_grade: bool


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

    def note(self, text: str) -> None:
        """Tell the instructor something about the whole run (on its own line)."""
        self.stream.write(f"{text}\n")
        self.stream.flush()

    def close(self) -> None:
        """End the bar and say how long the class took."""
        if self.bar:
            self.stream.write("\n")
        where = f" on {self.engine}" if self.engine else ""
        self.stream.write(f"{self.done} submissions in {time.monotonic() - self.start:.1f} s"
                          f"{where}\n")
        self.stream.flush()


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


REPORT_FIELDS = ("student", "status", "score", "max_score", "reason", "flags")


def write_report(course_dir, assignment: str, table: dict[str, Score],
                 results: list[Result]) -> Path:
    """Write ``COURSE/reports/<assignment>.csv``: one row per student of the run with status
    (graded, kept, rejected, failed), score and maximum as the gradebook has them (0 for
    a submission that could not be graded), the reason in words a student understands,
    and the flags (joined by " | "). Rewritten by every run."""
    course = _course(course_dir)
    folder = course / "reports"
    folder.mkdir(exist_ok=True)
    path = folder / f"{assignment}.csv"
    maximum = next((s.max_score for s in table.values()), "")
    partial = path.with_suffix(".tmp")
    with open(partial, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=REPORT_FIELDS)
        writer.writeheader()
        for result in sorted(results, key=lambda r: r.student):
            score = table.get(result.student)
            writer.writerow({
                "student": result.student, "status": result.status,
                "score": f"{score.score:g}" if score else "0",
                "max_score": f"{score.max_score:g}" if score else f"{maximum:g}" if maximum != ""
                else "",
                "reason": result.reason, "flags": " | ".join(result.flags),
            })
    os.replace(partial, path)
    return path
