"""Pre-trained word vectors from a text file, in the order of a vocabulary.

The file format is the plain-text layout GloVe uses: one word per line,
followed by its D numbers, everything separated by whitespace, no header:

    cat 0.5106 -0.0854 0.4794 -0.6868
    dog 0.3761 -0.0450 0.6094 -0.7676

An ``Embedding(V, D)`` layer wants a (V, D) matrix whose row ``i`` belongs to
the word with id ``i``. The file's order is its own (often by frequency), so
``load_vectors`` reorders the rows to follow the vocabulary. It is strict:
rows of different lengths, a dimension other than the one asked for, a word
listed twice, or a vocabulary word that the file lacks all raise
``ValueError`` with the expected and the received shape or words, instead of
quietly producing a matrix with holes or shifted rows.

Letters used in shapes: N words in the file, V words in the vocabulary,
D numbers per vector.

Example:
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "vectors.txt"
    ...     _ = path.write_text("cat 1 2\\ndog 3 4\\nthe 5 6\\n")
    ...     load_vectors(path, ["dog", "cat"])  # (V, D) = (2, 2), in vocabulary order
    array([[3., 4.],
           [1., 2.]], dtype=float32)
"""

from __future__ import annotations

from collections.abc import Sequence
from os import PathLike

import numpy as np

from embref.checks import check_dim


def read_vectors(path: str | PathLike) -> tuple[list[str], np.ndarray]:
    """Read every word and vector of a vectors file, in file order.

    Args:
        path: text file (UTF-8), one ``word v1 ... vD`` line per word. Blank
            lines are skipped.

    Returns:
        ``(words, matrix)``: a list of N words and a float32 np.ndarray of
        shape (N, D), row ``i`` belonging to ``words[i]``.

    Raises:
        ValueError: if the file holds no vectors, a line has no numbers or a
            value that is not a finite number, two rows have different lengths
            (naming both lines and lengths), or a word appears twice.
    """
    words: list[str] = []
    rows: list[list[float]] = []
    first_line: dict[str, int] = {}  # word -> line number, to name duplicates
    width = None  # D, the length of the first row
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            fields = line.split()
            if not fields:
                continue
            word, values = fields[0], fields[1:]
            if not values:
                raise ValueError(
                    f"Line {number} of {path} holds the word {word!r} but no numbers. "
                    "Expected 'word v1 v2 ... vD'."
                )
            try:
                row = [float(value) for value in values]
            except ValueError:
                bad = next(v for v in values if not _is_number(v))
                raise ValueError(
                    f"Line {number} of {path} ({word!r}): {bad!r} is not a number."
                ) from None
            if not np.all(np.isfinite(row)):
                bad = next(v for v, x in zip(values, row, strict=True) if not np.isfinite(x))
                raise ValueError(
                    f"Line {number} of {path} ({word!r}): {bad!r} is not a finite number."
                )
            if width is None:
                width, width_line = len(row), (number, word)
            elif len(row) != width:
                raise ValueError(
                    f"Every row of {path} must have the same length. Expected "
                    f"{width} numbers, as on line {width_line[0]} ({width_line[1]!r}); "
                    f"received {len(row)} on line {number} ({word!r})."
                )
            if word in first_line:
                raise ValueError(
                    f"The word {word!r} appears twice in {path}: on lines "
                    f"{first_line[word]} and {number}."
                )
            first_line[word] = number
            words.append(word)
            rows.append(row)
    if not rows:
        raise ValueError(f"{path} holds no vectors: expected lines 'word v1 v2 ... vD'.")
    return words, np.array(rows, dtype=np.float32)  # (N, D)


def load_vectors(path: str | PathLike, vocabulary: Sequence[str], dim=None) -> np.ndarray:
    """The (V, D) matrix whose row ``i`` is the file's vector for ``vocabulary[i]``.

    Args:
        path: vectors file, as for ``read_vectors``.
        vocabulary: sequence of V distinct words (strings), in id order: the
            word with id ``i`` at position ``i``. Words of the file that are
            not in it are ignored.
        dim: Optional integer D. If given, the file's vectors must have
            exactly D numbers.

    Returns:
        float32 np.ndarray of shape (V, D), ready for
        ``keras.layers.Embedding(V, D, weights=[matrix])``.

    Raises:
        TypeError: if ``vocabulary`` is a single string or holds a non-string.
        ValueError: for a malformed file (see ``read_vectors``), a dimension
            other than ``dim`` (naming the expected and received shapes), an
            empty ``vocabulary`` or a word listed twice in it, or vocabulary
            words missing from the file (naming them).
    """
    if isinstance(vocabulary, str) or not isinstance(vocabulary, Sequence):
        raise TypeError(
            "`vocabulary` must be a list of words in id order. "
            f"Received: vocabulary={vocabulary!r}"
        )
    for position, word in enumerate(vocabulary):
        if not isinstance(word, str):
            raise TypeError(
                f"Every vocabulary entry must be a string. Received: vocabulary[{position}]="
                f"{word!r} (of type {type(word).__name__})"
            )
    if not vocabulary:
        raise ValueError("`vocabulary` is empty: an Embedding needs at least one word.")
    seen: dict[str, int] = {}
    for position, word in enumerate(vocabulary):
        if word in seen:
            raise ValueError(
                f"The word {word!r} appears twice in `vocabulary`, at positions "
                f"{seen[word]} and {position}: each word needs exactly one id."
            )
        seen[word] = position

    words, matrix = read_vectors(path)  # (N,), (N, D)
    if dim is not None:
        dim = check_dim(dim, "dim")
        if matrix.shape[1] != dim:
            raise ValueError(
                f"Expected vectors of {dim} numbers, i.e. a matrix of shape "
                f"({len(vocabulary)}, {dim}). Received: {path} holds vectors of "
                f"{matrix.shape[1]} numbers (shape {matrix.shape} for its {len(words)} words)."
            )
    row_of = {word: i for i, word in enumerate(words)}
    missing = [word for word in vocabulary if word not in row_of]
    if missing:
        shown = ", ".join(repr(word) for word in missing[:10])
        more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
        raise ValueError(
            f"{len(missing)} of the {len(vocabulary)} vocabulary words have no vector in "
            f"{path}: {shown}{more}. Expected every vocabulary word among the file's "
            f"{len(words)} words."
        )
    return matrix[[row_of[word] for word in vocabulary]]  # (V, D)


def _is_number(text: str) -> bool:
    """Whether ``float(text)`` succeeds."""
    try:
        float(text)
    except ValueError:
        return False
    return True
