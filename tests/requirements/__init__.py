"""Every requirement the instructions state, and the test cells that fail when only it is broken.

One module per assignment (``two_views.py`` ...) holds ``TABLE``: a list of
:class:`Requirement`, each quoting the sentence of the instructions that states
it, a mutant of the solution that breaks that requirement and nothing else,
and the grade_ids of the test cells that must fail for that mutant (all others
pass). ``tests/test_requirements.py`` runs every mutant with :func:`run_home`,
the way Restart & Run All runs the notebook at home, hidden tests included.

A mutant is {solution grade_id: edits}; edits are either the new code of the
whole cell or a tuple of (old, new) replacements, each old text occurring
exactly once in the solution's code.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from dataclasses import dataclass, field

SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
HIDDEN_MARKERS = ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")


@dataclass(frozen=True)
class Requirement:
    """One stated requirement.

    Attributes:
        id: a short name, unique in the assignment.
        quote: words of the instructions (markdown or a solution's docstring)
            that state it, verbatim (whitespace is normalised when compared).
        mutant: {solution grade_id: code or ((old, new), ...)}: the solution
            with only this requirement broken.
        fails: grade_ids of the test cells that must fail for the mutant.
    """

    id: str
    quote: str
    mutant: dict = field(default_factory=dict)
    fails: frozenset[str] | set[str] | tuple[str, ...] = ()


def meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def solution_code(source: str) -> str:
    """A solution cell's code without the BEGIN/END SOLUTION lines."""
    return "\n".join(line for line in source.splitlines()
                     if not any(m in line for m in SOLUTION_MARKERS))


def mutated(source_nb, mutant: dict) -> dict[str, str]:
    """{solution grade_id: code} of the solution with ``mutant`` applied."""
    codes = {meta(c)["grade_id"]: solution_code(c.source)
             for c in source_nb.cells if meta(c).get("solution")}
    for grade_id, edits in mutant.items():
        assert grade_id in codes, f"no solution cell {grade_id!r}"
        if isinstance(edits, str):
            codes[grade_id] = edits
            continue
        for old, new in edits:
            count = codes[grade_id].count(old)
            assert count == 1, f"{grade_id}: {old!r} occurs {count} times"
            codes[grade_id] = codes[grade_id].replace(old, new)
    return codes


def run_home(source_nb, mutant: dict | None = None) -> dict[str, str]:
    """Run the source notebook as Restart & Run All does, with the mutant's solutions.

    A fresh namespace, every code cell in order (hidden tests included),
    solution cells replaced by the mutant's code. A cell that raises does not
    stop the run (as in nbgrader's autograde). Returns {grade_id: error} of the
    test cells that raised; an error in another cell is returned under
    "cell <index>".
    """
    codes = mutated(source_nb, mutant or {})
    namespace = {"__name__": "__main__", "__builtins__": __builtins__}
    failed = {}
    for index, cell in enumerate(source_nb.cells):
        if cell.cell_type != "code":
            continue
        info = meta(cell)
        code = codes[info["grade_id"]] if info.get("solution") else cell.source
        assert not any(line.lstrip().startswith(("%", "!")) for line in code.splitlines()), (
            "IPython magics are not run by the home runner")
        try:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(
                    io.StringIO()), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                exec(compile(code, f"<cell {index}>", "exec"), namespace)  # noqa: S102
        except Exception as error:  # noqa: BLE001 - every failure is a verdict
            key = info["grade_id"] if info.get("grade") else f"cell {index}"
            failed[key] = f"{type(error).__name__}: {error}"[:300]
    return failed
