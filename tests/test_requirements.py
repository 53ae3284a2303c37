"""Every requirement the instructions state is tested (grading issue #14, property 8).

For each assignment, tests/requirements/<assignment>.py maps each requirement the
instructions state to a mutant of the solution that breaks only it and to the
test cells that must then fail. Here every mutant runs the source notebook in
this process as Restart & Run All would at home (hidden tests included), and
must fail exactly those test cells; the tables must quote the instructions and
cover every test cell.
"""

from __future__ import annotations

import importlib
import re

import pytest
from grading_support import ASSIGNMENTS, source_of
from requirements import meta, run_home


def _table(assignment: str):
    try:
        return importlib.import_module(f"requirements.{assignment}")
    except ModuleNotFoundError:
        return None  # test_every_assignment_has_a_table says so


TABLES = {a: _table(a) for a in ASSIGNMENTS}
# Notebooks whose tests train and save Keras models take minutes for all their mutants.
SLOW = {"layer"}
CASES = [pytest.param(a, r, id=f"{a}-{r.id}",
                      marks=[pytest.mark.slow] if a in SLOW else [])
         for a in ASSIGNMENTS if TABLES[a]
         for r in TABLES[a].TABLE + getattr(TABLES[a], "SEPARATE", [])]


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(scope="module")
def sources():
    return {a: source_of(a) for a in ASSIGNMENTS}


def _tests(source_nb) -> set[str]:
    return {meta(c)["grade_id"] for c in source_nb.cells if meta(c).get("grade")}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_solution_passes_every_test(sources, assignment):
    """Run at home, the source notebook (solutions and hidden tests) raises nowhere."""
    assert run_home(sources[assignment]) == {}


@pytest.mark.parametrize(("assignment", "requirement"), CASES)
def test_mutant_fails_exactly_its_tests(sources, assignment, requirement):
    """The solution with one requirement broken fails exactly the table's test cells."""
    source_nb = sources[assignment]
    failed = run_home(source_nb, requirement.mutant)
    failed_tests = {k: v for k, v in failed.items() if not k.startswith("cell ")}
    assert set(failed_tests) == set(requirement.fails), (
        requirement.id, sorted(failed_tests), failed)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_assignment_has_a_table(assignment):
    assert TABLES[assignment] is not None, f"tests/requirements/{assignment}.py is missing"


@pytest.mark.parametrize("assignment", [a for a in ASSIGNMENTS if TABLES[a]])
def test_table_is_complete(sources, assignment):
    """The table lists exactly the requirements its module names as stated, quotes the
    instructions for each, names only existing test cells, and every test cell is
    failed by some mutant."""
    module, source_nb = TABLES[assignment], sources[assignment]
    table = module.TABLE
    ids = [r.id for r in table]
    assert len(ids) == len(set(ids)), "requirement ids repeat"
    assert set(ids) == set(module.STATED), set(ids) ^ set(module.STATED)
    text = _words("\n".join(c.source for c in source_nb.cells
                            if c.cell_type == "markdown" or meta(c).get("solution")))
    for quote in getattr(module, "SANDBOX_ENFORCED", {}).values():
        assert _words(quote) in text, quote
    for requirement in table + getattr(module, "SEPARATE", []):
        assert _words(requirement.quote) in text, (requirement.id, requirement.quote)
    for requirement in table:
        assert requirement.fails, f"{requirement.id}: no test checks it"
        assert set(requirement.fails) <= _tests(source_nb), requirement.id
    covered = set().union(*(set(r.fails) for r in table))
    assert covered == _tests(source_nb), _tests(source_nb) - covered
