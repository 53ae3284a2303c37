"""What the course's source notebook says about judging: the role of each cell, and the options.

The source notebook (``COURSE/source/<assignment>/``, hidden tests included)
is the only authority: test and read-only cells are always taken from it,
never from the student's copy.
"""

from __future__ import annotations

import ast
import builtins
import re
from dataclasses import dataclass

import nbformat

TEST_SETUP_ID = "test_setup"
"""grade_id of the read-only cell that sets up the tests (runs in the grader only)."""

HIDDEN_BEGIN = re.compile(r"^\s*#+\s*BEGIN HIDDEN TESTS")
HIDDEN_END = re.compile(r"^\s*#+\s*END HIDDEN TESTS")


@dataclass
class TestCell:
    """A test cell of the source notebook."""

    grade_id: str
    source: str
    hidden_lines: frozenset[int]

    @property
    def title(self) -> str:
        """The docstring on the cell's first line (what the test checks)."""
        first = self.source.strip().splitlines()[0] if self.source.strip() else ""
        return first.strip().strip('"').strip()

    @property
    def visible_source(self) -> str:
        """The cell as students have it: hidden-test regions (markers included) left out.

        Left-out lines become blank lines, so line numbers stay those of the source.
        """
        return "\n".join("" if number in self.hidden_lines else line
                         for number, line in enumerate(self.source.splitlines(), start=1))


@dataclass
class Plan:
    """The source notebook's cells by role, and the sandbox's allowed and forbidden code."""

    setup: dict[str, str]
    test_setup: dict[str, str]
    tests: dict[str, TestCell]
    order: list[tuple[str, nbformat.NotebookNode]]
    allow: tuple[str, ...]
    forbid: tuple[str, ...]

    @classmethod
    def from_source(cls, source_nb) -> Plan:
        """Read the roles of the source notebook's cells (by nbgrader grade_id)."""
        setup, test_setup, tests, order = {}, {}, {}, []
        for cell in source_nb.cells:
            info = cell.metadata.get("nbgrader", {})
            grade_id = info.get("grade_id")
            if not grade_id:
                continue
            order.append((grade_id, cell))
            if cell.cell_type != "code":
                continue
            if info.get("grade") and not info.get("solution"):
                tests[grade_id] = TestCell(grade_id, cell.source, hidden_lines(cell.source))
            elif grade_id == TEST_SETUP_ID:
                test_setup[grade_id] = cell.source
            elif info.get("locked") and not info.get("solution"):
                setup[grade_id] = cell.source
        options = source_nb.metadata.get("coursekit", {})
        return cls(setup, test_setup, tests, order,
                   tuple(options.get("sandbox_allow", ["numpy"])),
                   tuple(options.get("sandbox_forbid", [])))

    @property
    def has_hidden_tests(self) -> bool:
        """Whether any test cell has a hidden-test region."""
        return any(test.hidden_lines for test in self.tests.values())

    @property
    def setup_names(self) -> set[str]:
        """The names the read-only setup cells bind."""
        return stored_names("\n".join(self.setup.values()))


def hidden_lines(source: str) -> frozenset[int]:
    """1-based line numbers inside BEGIN/END HIDDEN TESTS regions (markers included)."""
    lines, inside = set(), False
    for number, line in enumerate(source.splitlines(), start=1):
        if HIDDEN_BEGIN.match(line):
            inside = True
        if inside:
            lines.add(number)
        if HIDDEN_END.match(line):
            inside = False
    return frozenset(lines)


def free_names(source: str) -> set[str]:
    """Names the code reads but never binds itself (and that are not built-ins)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    loads = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)
             and isinstance(n.ctx, ast.Load)}
    return loads - stored_names(source) - set(dir(builtins))


def stored_names(source: str) -> set[str]:
    """Names the code binds (assignments, defs, classes, imports, loop targets...)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
    return names
