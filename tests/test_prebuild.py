"""The book's chapters are executed side by side before Sphinx runs (coursekit.prebuild);
this only pays if Sphinx then finds each chapter in the cache under the same key."""

from __future__ import annotations

import pytest

from coursekit import prebuild

pytestmark = pytest.mark.book


def test_chapters_are_the_notebooks_of_the_toc():
    """Every jupytext chapter of _toc.yml is pre-executed, and nothing else."""
    names = {p.stem for p in prebuild.chapters()}
    assert {"intro", "two_views", "masking", "end_to_end"} <= names
    assert "homework" not in names and "glossary" not in names


def test_sphinx_found_every_prebuilt_chapter_in_the_cache():
    """After `make book` each chapter's newest cache record is the prebuild's: had
    myst-nb's key differed, Sphinx would have executed the chapter again and stored a
    newer record of its own (without the prebuild mark)."""
    from jupyter_cache import get_cache

    records = get_cache(str(prebuild.CACHE)).list_cache_records()
    for path in prebuild.chapters():
        mine = [r for r in records if r.uri.endswith(f"/{path.parent.name}/{path.name}")]
        assert mine, f"{path.name} is not in the execution cache"
        newest = max(mine, key=lambda record: record.created)
        assert newest.data.get("prebuild") is True, (path.name, newest.data)
