"""Repository hygiene that keeps diffs readable and the layout as designed."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(REPO.glob("solutions/*/*.ipynb")) + sorted(REPO.glob("exercises/*/*.ipynb"))
NOTEBOOK_CHAPTERS = [
    p for p in sorted((REPO / "book").glob("*.md")) if "{code-cell}" in p.read_text()
]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(REPO)))
def test_notebooks_are_committed_without_outputs(path):
    """Committed notebooks hold no outputs or execution counts (content-only diffs)."""
    notebook = nbformat.read(str(path), as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code, f"{path} has no code cells"
    assert [c.get("execution_count") for c in code] == [None] * len(code)
    assert [c.get("outputs") for c in code] == [[]] * len(code)


@pytest.mark.parametrize("path", NOTEBOOK_CHAPTERS, ids=lambda p: p.name)
def test_chapters_with_code_are_myst_notebooks(path):
    """A chapter with code cells carries a jupytext MyST header with the python3 kernel."""
    text = path.read_text()
    assert text.startswith("---\n"), f"{path.name} has no front matter"
    header = text.split("---", 2)[1]
    assert "format_name: myst" in header
    assert "name: python3" in header


def test_every_assignment_has_a_release():
    """Each solutions/<assignment> has its generated exercises/<assignment> twin."""
    sources = {p.relative_to(REPO / "solutions") for p in REPO.glob("solutions/*/*.ipynb")}
    releases = {p.relative_to(REPO / "exercises") for p in REPO.glob("exercises/*/*.ipynb")}
    assert sources, "no assignment found under solutions/"
    assert sources == releases
