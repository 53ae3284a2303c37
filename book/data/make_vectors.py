"""Make the course's tiny pre-trained word vectors: ``tiny_vectors.txt``.

Nothing is downloaded. The vectors are computed from ``tiny_corpus.txt``, a
40-sentence corpus written for the course (34 distinct words about animals,
food and places), in four deterministic steps:

1. **Count.** For every word, count the words that occur at most ``WINDOW``
   (= 2) positions before or after it, within a sentence. This gives a
   symmetric (N, N) co-occurrence matrix C for the N = 34 words.
2. **Weight.** Replace each count by its positive pointwise mutual
   information, ``PPMI = max(0, log(p(w, c) / (p(w) p(c))))``, which rewards
   pairs that occur together more often than chance.
3. **Compress.** Take the singular value decomposition ``PPMI = U S V^T`` and
   keep the first ``DIM`` (= 4) components: vector(word) = ``U[:, :4] *
   sqrt(S[:4])``. The sign of each component is fixed so that its entry of
   largest magnitude is positive (an SVD may return either sign).
4. **Write.** One line per word, most frequent first (ties alphabetical), in
   the text format GloVe uses: the word, then its 4 numbers with 4 decimals,
   separated by single spaces. No header line.

Run from the repository root to regenerate the file (the course's tests check
that the output equals the shipped file)::

    python book/data/make_vectors.py

Only NumPy is needed. The result is a toy: 34 words and 4 numbers each, small
enough to read in full, with the layout of a real vectors file.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "tiny_corpus.txt"
VECTORS = HERE / "tiny_vectors.txt"
WINDOW = 2  # neighbours counted on each side of a word
DIM = 4  # numbers per word vector
DECIMALS = 4  # digits written after the decimal point


def read_sentences(path: Path = CORPUS) -> list[list[str]]:
    """The corpus as a list of sentences, each a list of lower-case words."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.lower().split() for line in lines if line.strip()]


def vocabulary(sentences: list[list[str]]) -> list[str]:
    """Every distinct word, most frequent first, ties in alphabetical order."""
    counts = Counter(word for sentence in sentences for word in sentence)
    return sorted(counts, key=lambda word: (-counts[word], word))


def cooccurrence(sentences: list[list[str]], words: list[str], window: int = WINDOW):
    """Symmetric (N, N) matrix: how often word j occurs within ``window`` of word i."""
    index = {word: i for i, word in enumerate(words)}
    counts = np.zeros((len(words), len(words)))  # (N, N)
    for sentence in sentences:
        ids = [index[word] for word in sentence]
        for position, i in enumerate(ids):
            for j in ids[max(0, position - window) : position]:  # the words before
                counts[i, j] += 1
                counts[j, i] += 1
    return counts


def ppmi(counts: np.ndarray) -> np.ndarray:
    """Positive pointwise mutual information of a co-occurrence matrix, same shape."""
    total = counts.sum()
    p_word = counts.sum(axis=1, keepdims=True) / total  # (N, 1)
    p_context = counts.sum(axis=0, keepdims=True) / total  # (1, N)
    with np.errstate(divide="ignore"):
        pmi = np.log((counts / total) / (p_word * p_context))  # -inf where never together
    return np.maximum(pmi, 0.0)


def svd_vectors(matrix: np.ndarray, dim: int = DIM) -> np.ndarray:
    """(N, dim) vectors ``U[:, :dim] * sqrt(S[:dim])`` with a fixed sign per component."""
    u, s, _ = np.linalg.svd(matrix)
    vectors = u[:, :dim] * np.sqrt(s[:dim])  # (N, dim)
    largest = np.argmax(np.abs(vectors), axis=0)  # (dim,) row of the largest entry
    signs = np.sign(vectors[largest, np.arange(dim)])  # (dim,)
    return vectors * signs


def make_vectors() -> tuple[list[str], np.ndarray]:
    """The words and their (N, DIM) vectors, rounded to DECIMALS as written."""
    sentences = read_sentences()
    words = vocabulary(sentences)
    vectors = svd_vectors(ppmi(cooccurrence(sentences, words)))
    return words, np.round(vectors, DECIMALS)


def format_vectors(words: list[str], vectors: np.ndarray) -> str:
    """The text of the vectors file: 'word v1 v2 ...' per line."""
    lines = []
    for word, row in zip(words, vectors, strict=True):
        numbers = " ".join(f"{value:.{DECIMALS}f}" for value in row + 0.0)  # no "-0.0000"
        lines.append(f"{word} {numbers}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    VECTORS.write_text(format_vectors(*make_vectors()), encoding="utf-8")
    print(f"wrote {VECTORS}")
