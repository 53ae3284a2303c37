"""What students must never see: solution code and hidden tests.

The source notebooks in solutions/ mark them with nbgrader's region markers
(``### BEGIN SOLUTION`` ... ``### END SOLUTION`` and ``### BEGIN HIDDEN TESTS``
... ``### END HIDDEN TESTS``). These helpers pull those regions out so the
tests can check that no released notebook and no page of the book contains
any of it.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

MARKERS = (
    "BEGIN SOLUTION",
    "END SOLUTION",
    "BEGIN HIDDEN TESTS",
    "END HIDDEN TESTS",
)
_REGION = re.compile(
    r"^[ \t]*#+[ \t]*BEGIN (SOLUTION|HIDDEN TESTS)[^\n]*\n(.*?)^[ \t]*#+[ \t]*END \1",
    re.MULTILINE | re.DOTALL,
)


def hidden_regions(source: str) -> list[str]:
    """Return the text of every solution or hidden-test region in a cell source."""
    return [match.group(2) for match in _REGION.finditer(source)]


def hidden_lines(notebook_path: str | Path, min_length: int = 16) -> set[str]:
    """Distinctive lines of solution code and hidden tests in a source notebook.

    A line counts only if it is in a hidden region and nowhere else in the
    notebook: a helper call that the visible tests also make is no secret.

    Args:
        notebook_path: a notebook under solutions/.
        min_length: lines shorter than this (after stripping) are skipped, so
            that generic lines such as ``return out`` or ``else:`` do not count.

    Returns:
        set of stripped lines, comments excluded.
    """
    notebook = nbformat.read(str(notebook_path), as_version=4)
    secret, public = set(), set()
    for cell in notebook.cells:
        regions = hidden_regions(cell.source)
        for region in regions:
            secret.update(_code_lines(region, min_length))
        public.update(_code_lines(_REGION.sub("", cell.source), min_length))
    return secret - public


def _code_lines(text: str, min_length: int) -> set[str]:
    """Stripped non-comment lines of ``text`` at least ``min_length`` long."""
    stripped = (line.strip() for line in text.splitlines())
    return {line for line in stripped if len(line) >= min_length and not line.startswith("#")}


def find_leaks(text: str, secret_lines: set[str]) -> list[str]:
    """Return the markers and secret lines that occur in ``text``."""
    found = [marker for marker in MARKERS if marker in text]
    found += sorted(line for line in secret_lines if line in text)
    return found
