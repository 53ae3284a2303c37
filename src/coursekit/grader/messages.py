"""What the feedback tells a student about a test cell, in the course's words.

Visible tests get a message that says what went wrong and how to fix it. A
hidden test gets fixed wording with at most a category (:data:`CATEGORIES`):
nothing in it depends on the hidden test's inputs, values, timing or on what
the student's code chose to raise or print. Every message is bounded, free of
terminal colour codes and of the grader's internal names.
"""

from __future__ import annotations

import re

from coursekit.grader import wire
from coursekit.grader.channel import ReplyTooLarge
from coursekit.grader.remote import RemoteError

MAX_MESSAGE_CHARS = 1_500
"""Most characters of one test's message."""

CATEGORIES = {
    "wrong value": "a check found a wrong value",
    "error": "your code raised an error",
    "time limit": "your code ran past the time limit",
    "crash": "your code stopped the kernel",
}
"""The only things a hidden test's failure may say, by category."""

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-_]")


class Stop(BaseException):
    """A test cannot go on: not an Exception, so a test's ``except Exception`` lets it pass."""


class TimeLimit(Stop):
    """A call into the student's code ran past the test cell's time limit."""

    def __init__(self, limit: float):
        super().__init__(f"it ran past the {limit:g} s limit of a test cell")
        self.limit = limit


class Crash(Stop):
    """The student's kernel died, or stopped answering, during a test."""


def category(error: BaseException) -> str:
    """The category of a test's failure (see CATEGORIES)."""
    if isinstance(error, TimeLimit):
        return "time limit"
    if isinstance(error, Crash):
        return "crash"
    if isinstance(error, AssertionError) and not isinstance(error, RemoteError):
        return "wrong value"
    return "error"


def hidden_failure(kind: str, in_cell: bool) -> str:
    """The fixed words for a failure seen only when the hidden tests ran."""
    what = CATEGORIES[kind]
    if in_cell:
        return f"A hidden test of this cell failed: {what}. Hidden tests show no details."
    return (f"This test failed when the notebook ran with the hidden tests of earlier cells: "
            f"{what}. Hidden tests show no details.")


def visible_failure(error: BaseException) -> str:
    """What the feedback says about a visible test's failure."""
    if isinstance(error, TimeLimit):
        return f"Your code did not finish: {error}. Make it faster, or look for an endless loop."
    if isinstance(error, Crash):
        return (f"Your code stopped the kernel ({error}): it crashed, exited, or used more "
                "memory than allowed.")
    if isinstance(error, RemoteError):
        text = str(error.args[0]) if error.args else ""  # (str() of a KeyError quotes it)
        return _said("Your code raised " + error.kind, text)
    if isinstance(error, AssertionError):
        return clean(str(error)) or "A check of this cell failed."
    if isinstance(error, ReplyTooLarge):
        return f"Your code returned {error}."
    if isinstance(error, wire.WireError):
        return _said("Your code's answer could not be read by the grader", str(error))
    if isinstance(error, NameError):
        return _said(clean(str(error)),
                     "keep the function names of the assignment and run their cells")
    return _said(type(error).__name__, str(error))


def clean(text: str) -> str:
    """``text`` without terminal escape codes, its length bounded."""
    text = _ANSI.sub("", text).strip()
    if len(text) > MAX_MESSAGE_CHARS:
        text = text[:MAX_MESSAGE_CHARS] + " [... cut]"
    return text


def _said(head: str, detail: str) -> str:
    """``head: detail``, or ``head.`` when there is no detail (no dangling colon)."""
    detail = clean(detail)
    return f"{head}: {detail}" if detail else f"{head}."
