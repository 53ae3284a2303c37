"""The instructor's command: ``python -m coursekit.grading`` (``make grade``).

    python -m coursekit.grading --course COURSE --assignment two_views

The first run creates the course from the repository and releases the
assignment; later runs release it again if ``COURSE/source/<assignment>/``
changed since (and then grade every submission again), autograde every
submission, write feedback, print a score table, export ``grades.csv`` and
write ``reports/<assignment>.csv`` (every student's status, score, reason and
flags).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from coursekit.grader.coordinator import grade
from coursekit.grader.course import REPO_ROOT, GradingError, make_course, release
from coursekit.grader.report import export_csv, format_table, scores, write_report


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
        table = scores(course, args.assignment)
        print(format_table(table, results))
        if args.unprotected:
            print("UNPROTECTED RUN: these grades were computed without the sandbox.")
        print(f"Feedback: {course / 'feedback'}/<student>/{args.assignment}/")
        print(f"Grades:   {export_csv(course, args.assignment)}")
        print(f"Report:   {write_report(course, args.assignment, table, results)} "
              "(status, score, reason and flags of every student)")
    except GradingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0
