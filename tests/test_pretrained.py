"""embref.pretrained: reading a vectors file, and the shipped tiny vectors, checked with Keras."""

from __future__ import annotations

import importlib.util
import re

import numpy as np
import pytest

from embref.pretrained import load_vectors, read_vectors

TEXT = "the 0.5 0.25 -1\ncat 1 2 3\n\ndog -4 5.5 6e-1\n"  # N=3 words, D=3, a blank line
ROWS = {"the": [0.5, 0.25, -1.0], "cat": [1.0, 2.0, 3.0], "dog": [-4.0, 5.5, 0.6]}


@pytest.fixture
def vectors_file(tmp_path):
    """A small well-formed vectors file (3 words, D=3), blank line included."""
    path = tmp_path / "vectors.txt"
    path.write_text(TEXT, encoding="utf-8")
    return path


def write(tmp_path, text):
    """Write ``text`` to a fresh vectors file and return its path."""
    path = tmp_path / "bad.txt"
    path.write_text(text, encoding="utf-8")
    return path


def test_read_vectors_keeps_file_order(vectors_file):
    """read_vectors returns the N words in file order and an (N, D) float32 matrix."""
    words, matrix = read_vectors(vectors_file)
    assert words == ["the", "cat", "dog"]
    assert matrix.shape == (3, 3) and matrix.dtype == np.float32
    np.testing.assert_array_equal(matrix, np.array(list(ROWS.values()), dtype=np.float32))


def test_load_vectors_follows_the_vocabulary_order(vectors_file):
    """Row i of the result is the file's vector of vocabulary[i]; other words are ignored."""
    vocabulary = ["dog", "the"]
    matrix = load_vectors(vectors_file, vocabulary, dim=3)
    assert matrix.shape == (2, 3) and matrix.dtype == np.float32
    for i, word in enumerate(vocabulary):
        np.testing.assert_array_equal(matrix[i], np.float32(ROWS[word]))


def test_loaded_matrix_in_keras_embedding_gives_the_file_rows(keras, vectors_file):
    """weights=[load_vectors(...)] makes keras.layers.Embedding return the file's rows by id."""
    vocabulary = ["cat", "dog", "the"]
    matrix = load_vectors(vectors_file, vocabulary)
    layer = keras.layers.Embedding(len(vocabulary), matrix.shape[1], weights=[matrix])
    ids = np.array([[2, 0, 1, 0]])  # "the cat dog cat"
    out = keras.ops.convert_to_numpy(layer(ids))  # (1, 4, D)
    expected = np.float32([ROWS[vocabulary[i]] for i in ids[0]])
    np.testing.assert_array_equal(out[0], expected)


def test_rows_of_different_lengths_raise(tmp_path):
    """A row shorter than the first raises ValueError naming both lengths and lines."""
    path = write(tmp_path, "the 1 2 3\ncat 1 2\n")
    with pytest.raises(ValueError, match=r"Expected 3 numbers.*line 1 \('the'\).*received 2 on "
                                         r"line 2 \('cat'\)"):
        read_vectors(path)


def test_wrong_dimension_raises_with_both_shapes(vectors_file):
    """dim=8 against a D=3 file raises ValueError naming (V, 8) and the file's (N, 3)."""
    with pytest.raises(ValueError, match=re.escape("shape (2, 8)")) as info:
        load_vectors(vectors_file, ["cat", "dog"], dim=8)
    assert "vectors of 3 numbers (shape (3, 3)" in str(info.value)


def test_missing_vocabulary_words_are_named(vectors_file):
    """Vocabulary words absent from the file raise ValueError listing each of them."""
    with pytest.raises(ValueError, match=r"2 of the 4 vocabulary words .*'zebra', 'yak'"):
        load_vectors(vectors_file, ["cat", "zebra", "dog", "yak"])


def test_duplicates_raise(tmp_path, vectors_file):
    """A word twice in the file or in the vocabulary raises ValueError naming it."""
    with pytest.raises(ValueError, match=r"'cat' appears twice .* lines 1 and 3"):
        read_vectors(write(tmp_path, "cat 1 2\ndog 3 4\ncat 5 6\n"))
    with pytest.raises(ValueError, match=r"'cat' appears twice in `vocabulary`, at positions 0 "
                                         r"and 2"):
        load_vectors(vectors_file, ["cat", "dog", "cat"])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "holds no vectors"),
        ("\n\n", "holds no vectors"),
        ("cat\n", "'cat' but no numbers"),
        ("cat 1 two\n", "'two' is not a number"),
        ("cat 1 nan\n", "'nan' is not a finite number"),
        ("cat 1 inf\n", "'inf' is not a finite number"),
    ],
    ids=["empty", "blank", "no-numbers", "not-a-number", "nan", "inf"],
)
def test_malformed_files_raise(tmp_path, text, message):
    """Empty files, a word without numbers and non-numeric or non-finite values raise."""
    with pytest.raises(ValueError, match=re.escape(message)):
        read_vectors(write(tmp_path, text))


@pytest.mark.parametrize(
    ("vocabulary", "error", "message"),
    [
        ("cat dog", TypeError, "list of words"),
        (["cat", 3], TypeError, "vocabulary[1]=3 (of type int)"),
        ([], ValueError, "`vocabulary` is empty"),
    ],
    ids=["a-string", "a-number", "empty"],
)
def test_bad_vocabularies_raise(vectors_file, vocabulary, error, message):
    """A bare string, a non-string entry or an empty vocabulary is refused."""
    with pytest.raises(error, match=re.escape(message)):
        load_vectors(vectors_file, vocabulary)


@pytest.mark.parametrize("dim", [0, -1, 2.0, True], ids=repr)
def test_bad_dim_raises(vectors_file, dim):
    """dim must be a positive integer; the error names it."""
    with pytest.raises(ValueError, match="dim"):
        load_vectors(vectors_file, ["cat"], dim=dim)


def _load_maker(repo):
    """Import book/data/make_vectors.py as a module."""
    script = repo / "book" / "data" / "make_vectors.py"
    spec = importlib.util.spec_from_file_location("make_vectors", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_shipped_vectors_are_what_the_script_makes(repo):
    """book/data/tiny_vectors.txt equals a fresh run of make_vectors.py (to the printed digits)."""
    maker = _load_maker(repo)
    words, vectors = maker.make_vectors()
    shipped_words, shipped = read_vectors(repo / "book/data/tiny_vectors.txt")
    assert shipped_words == words
    assert shipped.shape == (len(words), maker.DIM)
    np.testing.assert_allclose(shipped, vectors, rtol=0, atol=1.5 * 10.0**-maker.DECIMALS)


def test_shipped_vectors_load_into_keras(keras, repo):
    """Every word of the shipped file loads, in any order, and Keras returns its row."""
    path = repo / "book/data/tiny_vectors.txt"
    words, matrix = read_vectors(path)
    vocabulary = sorted(words)
    table = load_vectors(path, vocabulary, dim=4)
    layer = keras.layers.Embedding(len(vocabulary), 4, weights=[table])
    out = keras.ops.convert_to_numpy(layer(np.arange(len(vocabulary))))  # (V, D)
    np.testing.assert_array_equal(out, matrix[[words.index(w) for w in vocabulary]])
