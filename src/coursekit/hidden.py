"""What students must never see: solution code and hidden tests.

The source notebooks in solutions/ mark them with nbgrader's region markers
(``### BEGIN SOLUTION`` ... ``### END SOLUTION`` and ``### BEGIN HIDDEN TESTS``
... ``### END HIDDEN TESTS``). These helpers pull those regions out so the
tests can check that no released notebook and no page of the book contains
any of it.
"""

from __future__ import annotations

import builtins
import keyword
import re

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


KINDS = ("SOLUTION", "HIDDEN TESTS")


def hidden_regions(source: str, kinds=KINDS) -> list[str]:
    """Return the text of every region of the given kinds in a cell source."""
    return [m.group(2) for m in _REGION.finditer(source) if m.group(1) in kinds]


def hidden_lines(notebook, kinds=KINDS, min_length: int = 16) -> set[str]:
    """Distinctive lines of solution code and/or hidden tests in a source notebook.

    A line counts only if it is in a region of ``kinds`` and nowhere outside
    all regions, not even inside a longer line there: a helper call that the
    visible tests also make, or a message format the instructions spell out,
    is no secret.

    Args:
        notebook: an nbformat notebook read from solutions/.
        kinds: which regions: "SOLUTION", "HIDDEN TESTS" or both.
        min_length: lines shorter than this (after stripping) are skipped, so
            that generic lines such as ``return out`` or ``else:`` do not count
            (the book test uses the default; the release check uses 4).

    Returns:
        set of stripped lines.
    """
    secret, public = set(), []
    for cell in notebook.cells:
        for region in hidden_regions(cell.source, kinds):
            secret.update(_long_lines(region, min_length))
        public.append(_REGION.sub("", cell.source))
    public_text = "\n".join(public)
    return {line for line in secret if line not in public_text}


def _long_lines(text: str, min_length: int) -> set[str]:
    """Stripped lines of ``text`` at least ``min_length`` characters long that say
    something of their own (not only keywords and built-in names, like
    ``raise ValueError(``, which any page may contain)."""
    stripped = (line.strip() for line in text.splitlines())
    return {line for line in stripped if len(line) >= min_length and not _generic(line)}


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_COMMON = set(keyword.kwlist) | set(dir(builtins))


def _generic(line: str) -> bool:
    """True when every word of the line is a Python keyword or built-in name."""
    return all(word in _COMMON for word in _WORD.findall(line))


def find_leaks(text: str, secret_lines: set[str]) -> list[str]:
    """Return the markers, and the secret lines that stand as whole lines, in ``text``.

    Whole lines, not substrings: a short secret line such as
    ``return_sequences=sequences),`` is no leak when it is the tail of a
    longer visible line of another notebook.
    """
    found = [marker for marker in MARKERS if marker in text]
    lines = {line.strip() for line in text.splitlines()}
    found += sorted(line for line in secret_lines if line in lines)
    return found
