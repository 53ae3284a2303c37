"""The pieces of trustworthy grading on their own: the wire format and the sandbox.

The wire format is what crosses from the student's process to the grader:
it must carry NumPy data faithfully and refuse anything else. The sandbox is
checked by running small programs in it (bubblewrap, as grading does) and
reading what they could see and do.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from coursekit.grader import wire
from coursekit.grader.judge import _free_names, _hidden_lines
from coursekit.grader.sandbox import Sandbox


def no_refs(obj):
    raise AssertionError(f"unexpected reference to {obj!r}")


def round_trip(value):
    return wire.decode(wire.encode(value, no_refs), no_refs)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int8", "int64", "uint16", "bool",
                                   "complex64", "<U3"])
def test_arrays_cross_the_wire_unchanged(dtype):
    """Arrays of every plain dtype, any shape (0-d included), keep dtype, shape and values."""
    for shape in [(), (0,), (3,), (2, 3, 4)]:
        array = np.arange(int(np.prod(shape)), dtype="int64").reshape(shape).astype(dtype)
        back = round_trip(array)
        assert isinstance(back, np.ndarray) and back.dtype == array.dtype
        assert back.shape == array.shape and np.array_equal(back, array)


def test_plain_values_cross_the_wire_unchanged():
    """Scalars, NumPy scalars, non-finite floats and nested containers come back equal."""
    value = {"a": [1, 2.5, None, True, "x"], "b": (np.float32(1.5), np.int64(7)),
             "c": {"inf": float("inf")}}
    back = round_trip(value)
    assert back["a"] == [1, 2.5, None, True, "x"]
    assert back["b"] == (1.5, 7) and type(back["b"][0]) is np.float32
    assert back["c"]["inf"] == float("inf")
    assert np.isnan(round_trip(float("nan")))


def test_objects_travel_only_as_references():
    """Functions, object arrays and dicts with non-string keys are not data."""
    refs = []
    node = wire.encode([len, {1: "x"}], lambda obj: refs.append(obj) or {"t": "ref", "id": 1})
    assert refs == [len, {1: "x"}] and node["v"][0] == {"t": "ref", "id": 1}
    with pytest.raises(TypeError, match="dtype object"):
        wire.encode(np.array([None]), no_refs)


@pytest.mark.parametrize("tree, words", [
    ({"t": "nd", "dtype": "<f4", "shape": [3], "b64": "AAAA"}, "do not match"),
    ({"t": "nd", "dtype": "|O", "shape": [1], "b64": ""}, "bad array"),
    ({"t": "pickle", "v": "gASV"}, "unknown kind"),
    ({"t": "py", "v": [1, 2]}, "bad plain value"),
    ({"t": "dict", "v": [[1, {"t": "py", "v": 1}]]}, "not [str, value] pairs"),
    ("just a string", "not a wire value"),
])
def test_malformed_replies_are_refused(tree, words):
    """Anything that is not well-formed wire data raises WireError naming the problem."""
    with pytest.raises(wire.WireError, match=words.replace("[", r"\[").replace("]", r"\]")):
        wire.decode(tree, no_refs)


def test_replies_over_the_limits_are_refused(monkeypatch):
    """A reply with too many items or too many array bytes is refused, not read."""
    monkeypatch.setattr(wire, "MAX_ITEMS", 10)
    with pytest.raises(wire.WireError, match="more than 10 items"):
        round_trip(list(range(20)))
    monkeypatch.setattr(wire, "MAX_BYTES", 100)
    with pytest.raises(wire.WireError, match="more than 100 bytes"):
        round_trip(np.zeros(50))


def test_hidden_lines_and_free_names_of_a_test_cell():
    """The judge knows which lines are hidden and which names a test borrows."""
    source = ('"""doc."""\ncheck(f(x), 1)\n### BEGIN HIDDEN TESTS\ny = g(2)\n'
              "### END HIDDEN TESTS\nprint([h(i) for i in range(y)])")
    assert _hidden_lines(source) == frozenset({3, 4, 5})
    assert _free_names(source) == {"check", "f", "x", "g", "h"}


# ----------------------------------------------------------------- the sandbox itself

PROBE = r'''
import json, os, socket, sys
seen = {}
for module in ("numpy", "embref", "keras", "tensorflow", "nbgrader", "coursekit.testing"):
    try:
        __import__(module)
        seen[module] = True
    except ImportError:
        seen[module] = False
for path in sys.argv[1:]:
    seen[path] = os.path.exists(path)
seen["listing"] = sorted(os.listdir(sys.argv[1])) if os.path.isdir(sys.argv[1]) else []
try:
    open(sys.argv[1] + "/written-by-the-sandbox", "w")
    seen["write repo"] = True
except OSError:
    seen["write repo"] = False
try:
    open(os.path.expanduser("~/notes.txt"), "w").write("ok")
    seen["write home"] = True
except OSError:
    seen["write home"] = False
try:
    socket.create_connection(("127.0.0.1", 9), timeout=1)
    seen["network"] = True
except OSError as error:
    seen["network"] = str(error)
for place in ("/", "/usr"):
    try:
        open(place + "/x", "w")
        seen["write " + place] = True
    except OSError:
        seen["write " + place] = False
seen["uid"] = os.getuid()
print(json.dumps(seen))
'''


def run_in_sandbox(sandbox: Sandbox, code: str, *args: str) -> dict:
    import json

    process = sandbox.popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])


def test_sandbox_sees_only_what_grading_allows(tmp_path, repo):
    """A NumPy-only sandbox imports NumPy and coursekit but not embref, Keras, TensorFlow or
    nbgrader; it cannot see the repository or /root's files, cannot write to the repository,
    / or /usr, has no network and runs as nobody."""
    seen = run_in_sandbox(Sandbox(scratch=tmp_path / "s"), PROBE, str(repo),
                          str(repo / "solutions"), "/root/.bashrc", "/etc/passwd")
    assert seen["numpy"] and seen["coursekit.testing"]
    assert not (seen["embref"] or seen["keras"] or seen["tensorflow"] or seen["nbgrader"])
    # The repository's path exists only as the way to the virtual environment's interpreter.
    assert seen["listing"] in ([], [".venv"]), seen["listing"]
    assert not (seen[str(repo / "solutions")] or seen["/root/.bashrc"])
    assert not seen["/etc/passwd"]
    assert seen["write home"]
    # A write to the repository's path lands, at most, in the sandbox's private /tmp
    # (when the repository lives under /tmp, as a CI clone may): never in the repository.
    assert not (seen["write /"] or seen["write /usr"]), seen
    assert seen["network"] is not True
    assert seen["uid"] == 65534
    assert not (repo / "written-by-the-sandbox").exists()


def test_forbidden_embedding_is_a_stand_in_even_after_reload(tmp_path):
    """With keras allowed and keras.layers.Embedding forbidden, the real class cannot be
    reached, not even by reloading its module; the rest of Keras works."""
    code = r'''
import importlib, json, os
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import keras
import keras.src.layers.core.embedding as module
importlib.reload(module)
result = {}
for make in (lambda: keras.layers.Embedding(3, 2), lambda: module.Embedding(3, 2)):
    try:
        make()
        result.setdefault("made", []).append(True)
    except RuntimeError as error:
        result.setdefault("made", []).append(str(error))
result["dense"] = keras.layers.Dense(2)(keras.ops.ones((1, 3))).shape[-1]
print(json.dumps(result))
'''
    sandbox = Sandbox(scratch=tmp_path, allow=("numpy", "keras", "tensorflow-cpu"),
                      forbid=("keras.layers.Embedding",))
    seen = run_in_sandbox(sandbox, code)
    assert all("not available in this assignment" in m for m in seen["made"]), seen
    assert seen["dense"] == 2
