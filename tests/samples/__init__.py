"""Sample submissions of the homework, graded by the test suite with real nbgrader.

Each assignment has a module here (``two_views.py`` ...) with a list
``SAMPLES``: honest answers (a correct one written differently from the
solution, the untouched release, partial and realistically wrong ones),
hostile ones (each trying one way to get points without the work, or to hurt
the class run), and bad input (not a notebook, wrong name...). A sample says
which test cells it must fail; its expected score is the assignment's total
minus those cells' points, read from the source notebook - never from the
grader.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field

import nbformat

SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


@dataclass(frozen=True)
class Sample:
    """One sample submission.

    Attributes:
        name: the student id it is submitted as.
        about: what it is, in a sentence.
        answers: solution grade_id -> code for that cell; a solution cell not
            named keeps the solution's code, or the release's stub where the
            value is None.
        cells_after: (grade_id, code) pairs: extra student cells inserted after
            the cell with that grade_id ("" = at the end).
        fails: grade_ids of the test cells it must fail (all others pass).
        flags: words that must appear in the judge's report, one per item.
        status: "graded" or "rejected" (with ``reason`` words).
        edit: a function applied last to the notebook (or returning raw bytes).
        file_name: the name it is submitted under (default: the release's).
        untouched: submit the release exactly as released (no answers at all).
    """

    name: str
    about: str
    answers: dict[str, str | None] = field(default_factory=dict)
    cells_after: tuple[tuple[str, str], ...] = ()
    fails: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    status: str = "graded"
    reason: str = ""
    edit: Callable | None = None
    file_name: str | None = None
    untouched: bool = False

    def build(self, release_nb, source_nb):
        """The submitted notebook (or bytes) for this sample."""
        if self.untouched:
            nb = copy.deepcopy(release_nb)
        else:
            nb = fill(release_nb, source_nb, self.answers)
        for grade_id, code in self.cells_after:
            insert_after(nb, grade_id, code)
        return self.edit(nb) if self.edit else nb


def meta(cell) -> dict:
    """The nbgrader metadata of a cell ({} if it has none)."""
    return cell.metadata.get("nbgrader", {})


def fill(release_nb, source_nb, answers: dict[str, str | None]):
    """The release with its solution cells answered (solution code unless ``answers`` says)."""
    solutions = {meta(c)["grade_id"]: _without_markers(c.source)
                 for c in source_nb.cells if meta(c).get("solution")}
    nb = copy.deepcopy(release_nb)
    for cell in nb.cells:
        grade_id = meta(cell).get("grade_id")
        if meta(cell).get("solution"):
            code = answers.get(grade_id, solutions[grade_id])
            if code is not None:
                cell.source = code
    return nb


def insert_after(nb, grade_id: str, code: str) -> None:
    """Insert a new code cell after the cell with ``grade_id`` ("" appends it)."""
    cell = nbformat.v4.new_code_cell(code)
    if not grade_id:
        nb.cells.append(cell)
        return
    index = next(i for i, c in enumerate(nb.cells) if meta(c).get("grade_id") == grade_id)
    nb.cells.insert(index + 1, cell)


def _without_markers(source: str) -> str:
    """A solution cell's code without the BEGIN/END SOLUTION lines."""
    return "\n".join(line for line in source.splitlines()
                     if not any(m in line for m in SOLUTION_MARKERS))
