"""The instructor's grading command and API (``python -m coursekit.grading``, ``make grade``).

The engine lives in :mod:`coursekit.grader`; this module keeps the names that
courses, scripts and the tests use.
"""

from __future__ import annotations

import sys

from coursekit.grader.cli import main
from coursekit.grader.coordinator import (  # noqa: F401
    MAX_NOTEBOOK_BYTES,
    Result,
    grade,
    preflight,
)
from coursekit.grader.course import (  # noqa: F401
    REPO_ROOT,
    GradingError,
    make_course,
    nbgrader,
    release,
    submissions,
    submit,
)
from coursekit.grader.report import Progress, Score, export_csv, format_table, scores  # noqa: F401

if __name__ == "__main__":
    sys.exit(main())
