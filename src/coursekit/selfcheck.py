"""Self-check questions and the word-vector explorer, as HTML outputs of chapter cells.

A chapter ends with a code cell (tagged ``remove-input``) such as::

    from coursekit.selfcheck import choice, numeric, quiz

    quiz(
        choice("Which rows does plain SGD change?",
               ["Every row", ("Only the rows the batch read", True)],
               explain="The gradient is a scatter-add: other rows get zero."),
        numeric("How many parameters has `Embedding(V, D)` here?", V * D),
    )

Numeric answers are Python values computed by the chapter's own code, never
typed. ``quiz`` displays plain HTML (form controls with labels, the answer in
``data-`` attributes); ``book/_static/selfcheck.js`` gives the instant feedback
in the book, offline, with no other library. ``word_vector_explorer`` does the
same for the interactive figure of ``book/end_to_end.md``
(``book/_static/wordvectors.js`` draws it as SVG).

Why not jupyterquiz: it installs, but every quiz cell carries its ~40 kB of
JavaScript inline, the choices are clickable ``div``s (no keyboard, no labels
for a screen reader, which the book's axe audit refuses) and its numeric
questions read answers from JSON typed by hand.
"""

from __future__ import annotations

import hashlib
import html
import json
import math
import re
from dataclasses import dataclass, field

__all__ = ["choice", "numeric", "quiz", "word_vector_explorer"]


def _inline(text: str) -> str:
    """Escape ``text`` for HTML and turn `code` spans into <code> elements."""
    parts = re.split(r"`([^`]+)`", text)
    return "".join(f"<code>{html.escape(p)}</code>" if i % 2 else html.escape(p)
                   for i, p in enumerate(parts))


def _key(*parts) -> str:
    """A short stable id for a question (same text, same id, on every build)."""
    return "sc-" + hashlib.sha1(repr(parts).encode()).hexdigest()[:10]


@dataclass(frozen=True)
class Choice:
    """A multiple-choice question: exactly one option is right."""

    question: str
    options: tuple  # ((text, correct, hint), ...)
    explain: str = ""

    def html(self) -> str:
        key = _key(self.question, self.options)
        items = "".join(
            f'<li><label><input type="radio" name="{key}" value="{i}" data-correct="{int(ok)}"'
            f' data-hint="{html.escape(_inline(hint), quote=True)}"> {_inline(text)}</label></li>'
            for i, (text, ok, hint) in enumerate(self.options)
        )
        return (f'<fieldset class="sc-question sc-choice" id="{key}"'
                f' data-explain="{html.escape(_inline(self.explain), quote=True)}">'
                f'<legend>{_inline(self.question)}</legend><ul>{items}</ul>'
                f'<p class="sc-feedback" role="status" aria-live="polite"></p></fieldset>')


@dataclass(frozen=True)
class Numeric:
    """A question answered with a number; right when within ``tolerance`` (relative)."""

    question: str
    answer: float
    tolerance: float = 1e-3
    explain: str = ""
    shown: str = field(default="")

    def html(self) -> str:
        key = _key(self.question, self.answer)
        return (f'<div class="sc-question sc-numeric" id="{key}" data-answer="{self.answer!r}"'
                f' data-tolerance="{self.tolerance!r}" data-shown="{html.escape(self.shown)}"'
                f' data-explain="{html.escape(_inline(self.explain), quote=True)}">'
                f'<label for="{key}-in">{_inline(self.question)}</label>'
                f'<span class="sc-entry"><input id="{key}-in" type="text" inputmode="decimal"'
                f' autocomplete="off"> <button type="button">Check</button></span>'
                f'<p class="sc-feedback" role="status" aria-live="polite"></p></div>')


def choice(question: str, options, explain: str = "") -> Choice:
    """A multiple-choice question.

    Args:
        question: String. The question; `backticks` mark code.
        options: List. Each option is a string (wrong), ``(text, True)`` (the
            right one) or ``(text, False, hint)`` (wrong, with a hint shown when chosen).
        explain: String. Why the right answer is right, shown once it is chosen.
    """
    parsed = []
    for option in options:
        text, ok, hint = (option, False, "") if isinstance(option, str) else (*option, "")[:3]
        parsed.append((str(text), bool(ok), str(hint)))
    if sum(ok for _, ok, _ in parsed) != 1:
        raise ValueError(f"a choice needs exactly one right option. Received: {parsed!r}")
    # Written with the right option first; shown in an order fixed by the text
    # (the same on every build), so the right answer is not always in one place.
    parsed.sort(key=lambda option: _key(question, option[0]))
    return Choice(question, tuple(parsed), explain)


def numeric(question: str, answer, tolerance: float = 1e-3, explain: str = "") -> Numeric:
    """A question answered with a number computed by the chapter's code.

    Args:
        question: String. The question; `backticks` mark code.
        answer: Number. The right answer (a NumPy scalar is fine).
        tolerance: Float. Relative tolerance; an answer of 0 needs ``|x| <= tolerance``.
        explain: String. Shown once the answer is right.
    """
    value = float(answer)
    if not math.isfinite(value) or tolerance < 0:
        raise ValueError(f"answer must be finite and tolerance >= 0. "
                         f"Received: answer={answer!r}, tolerance={tolerance!r}")
    return Numeric(question, value, float(tolerance), explain, shown=f"{value:.6g}")


class _HTML:
    """What a cell displays: text/html for the book, plain text elsewhere."""

    def __init__(self, markup: str, text: str):
        self._markup, self._text = markup, text

    def _repr_html_(self) -> str:
        return self._markup

    def __repr__(self) -> str:
        return self._text


def quiz(*questions) -> _HTML:
    """The chapter's self-check: the questions as one HTML block with instant feedback."""
    if not 1 <= len(questions) <= 10:
        raise ValueError(f"a self-check holds 1 to 10 questions. Received: {len(questions)}")
    body = "".join(f"<li>{q.html()}</li>" for q in questions)
    markup = (f'<div class="selfcheck"><ol class="sc-list">{body}</ol>'
              '<noscript><p>The answers are checked by JavaScript, which is off.</p></noscript>'
              '</div>')
    return _HTML(markup, f"<self-check of {len(questions)} questions>")


def word_vector_explorer(words, kinds, frames, kernels, *, label: str) -> _HTML:
    """An interactive scatter of 2-D word vectors over the epochs of training.

    Args:
        words: List of strings. The words, one per row of each frame.
        kinds: List of strings. ``"pos"``, ``"neg"`` or ``"both"`` per word.
        frames: Array-like of shape (epochs + 1, len(words), 2): the vectors at
            the start and after each epoch.
        kernels: Array-like of shape (epochs + 1, 2): the Dense kernel w at the same times.
        label: String. The accessible name of the figure.
    """
    frames = [[[round(float(x), 4) for x in point] for point in frame] for frame in frames]
    kernels = [[round(float(x), 4) for x in k] for k in kernels]
    if len(frames) != len(kernels) or any(len(f) != len(words) for f in frames):
        raise ValueError(f"frames need one row per word and one kernel each. Received: "
                         f"{len(frames)} frames, {len(kernels)} kernels, {len(words)} words")
    data = json.dumps({"words": list(map(str, words)), "kinds": list(kinds),
                       "frames": frames, "kernels": kernels}, separators=(",", ":"))
    data = data.replace("</", "<\\/")  # no "</script>" inside the script element
    key = _key(label, len(words), len(frames))
    markup = (f'<figure class="wordvec" id="{key}" aria-label="{html.escape(label, quote=True)}">'
              f'<script type="application/json" class="wordvec-data">{data}'
              '</script><p class="wordvec-nojs">The interactive version of this figure needs'
              ' JavaScript; the static figure above shows the same vectors.</p></figure>')
    return _HTML(markup, f"<word-vector explorer: {len(words)} words, {len(frames)} frames>")
