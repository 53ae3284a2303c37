"""The pieces of trustworthy grading on their own: the wire format and the sandbox.

The wire format is what crosses from the student's process to the grader:
it must carry NumPy data faithfully and refuse anything else. The sandbox is
checked by running small programs in it (bubblewrap, as grading does) and
reading what they could see and do.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from coursekit.grader import wire
from coursekit.grader.plan import free_names as _free_names
from coursekit.grader.plan import hidden_lines as _hidden_lines
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
    with pytest.raises(wire.WireError, match="more than 100 bytes"):
        round_trip(["a long answer" * 10])


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


# ------------------------------------------- forbidden means unreachable (issue #14, 6)

LAYER_ALLOW = ("numpy", "keras", "tensorflow-cpu")
"""The layer assignment's sandbox_allow (its source notebook's metadata)."""


def layer_sandbox(scratch) -> Sandbox:
    return Sandbox(scratch=scratch, allow=LAYER_ALLOW, forbid=("keras.layers.Embedding",))


def site_packages() -> Path:
    import sysconfig

    return Path(sysconfig.get_paths()["purelib"])


def forbidden_copies():
    """Host paths of every copy of keras.layers.Embedding's code that FORBIDDEN names."""
    from coursekit.grader.sandbox import FORBIDDEN

    return [site_packages() / relative for relative, _ in FORBIDDEN["keras.layers.Embedding"]]


def test_forbidden_knows_every_copy_in_the_layer_sandbox():
    """Every module file in the layer sandbox's site-packages that defines a class Embedding
    is one FORBIDDEN replaces; no sourceless or orphaned bytecode (which no source file
    would betray) lies there. A new copy (tf_keras, a keras_hub...) fails this test until
    it is added to FORBIDDEN."""
    import os
    import re

    from coursekit.grader.sandbox import KERNEL_DISTRIBUTIONS, _closure, _site_entries

    site = site_packages()
    entries = _site_entries(tuple(sorted(_closure((*KERNEL_DISTRIBUTIONS, *LAYER_ALLOW)))))
    assert {"keras", "tensorflow"} <= entries
    definition = re.compile(rb"^\s*class\s+Embedding\s*\(", re.MULTILINE)
    defining, stray = set(), []
    for entry in entries:
        root = site / entry
        if not root.is_dir():
            continue
        for folder, _, files in os.walk(root):
            folder = Path(folder)
            for name in files:
                path = folder / name
                if name.endswith(".py") and definition.search(path.read_bytes()):
                    defining.add(path)
                elif name.endswith((".pyc", ".pyo")) and (
                        folder.name != "__pycache__"
                        or not (folder.parent / (name.split(".")[0] + ".py")).exists()):
                    stray.append(path)
    assert defining <= set(forbidden_copies()), defining - set(forbidden_copies())
    assert forbidden_copies()[0] in defining
    assert not stray, stray


def test_no_copy_of_embedding_outside_site_packages():
    """The sandbox binds /usr and the base interpreter whole (less its site-packages): no
    Python there (Debian's dist-packages, /usr/local) may define a class Embedding, which
    a student could load by its path."""
    import glob
    import os
    import re

    places = {*glob.glob("/usr/lib/python3*"), *glob.glob("/usr/local/lib/python3*"),
              *glob.glob(f"{sys.base_prefix}/lib/python3*")}
    skip = {f"{sys.base_prefix}/lib/python{sys.version_info.major}.{sys.version_info.minor}"
            "/site-packages"}  # a tmpfs in the sandbox
    definition = re.compile(rb"^\s*class\s+Embedding\s*\(", re.MULTILINE)
    found = []
    for place in sorted(places):
        for folder, folders, files in os.walk(place):
            folders[:] = [f for f in folders if os.path.join(folder, f) not in skip]
            for name in files:
                path = os.path.join(folder, name)
                if name.endswith(".py") and os.path.isfile(path):
                    with open(path, "rb") as file:
                        if definition.search(file.read()):
                            found.append(path)
    assert not found, found


def test_bytecode_names_cover_every_interpreter(tmp_path):
    """The bytecode hidden with a module file is every ``__pycache__/<stem>.*.pyc`` (any
    interpreter, any optimisation level), what cache_from_source names for this one, and a
    legacy ``<stem>.pyc`` beside it; never another module's."""
    import importlib.util

    from coursekit.grader.sandbox import bytecode_names

    (tmp_path / "__pycache__").mkdir()
    names = ["mod.cpython-39.pyc", "mod.cpython-313.opt-2.pyc", "mod.pypy310.pyc",
             "mod_test.cpython-311.pyc", "model.cpython-311.pyc"]
    for name in names:
        (tmp_path / "__pycache__" / name).write_bytes(b"")
    (tmp_path / "mod.pyc").write_bytes(b"")
    source = tmp_path / "mod.py"
    hidden = bytecode_names(source)
    for level in ("", 1, 2):
        assert Path(importlib.util.cache_from_source(str(source), optimization=level)).name \
            in hidden
    assert {"mod.cpython-39.pyc", "mod.cpython-313.opt-2.pyc", "mod.pypy310.pyc",
            "mod.pyc"} <= hidden
    assert not hidden & {"mod_test.cpython-311.pyc", "model.cpython-311.pyc", "mod.py"}


REBUILT_PROBE = r'''
import json, os, sys
folder = sys.argv[1]
def look():
    return {"top": sorted(os.listdir(folder)),
            "cache": sorted(os.listdir(folder + "/__pycache__")),
            "text": open(folder + "/mod.py").read()}
first = look()
sys.stdin.readline()  # the host adds files to the real directory meanwhile
second = look()
try:
    open(folder + "/mod.py", "w")
    writable = True
except OSError:
    writable = False
print(json.dumps({"first": first, "second": second, "writable": writable}))
'''


def test_rebuilt_directory_hides_bytecode_now_and_later(tmp_path):
    """A directory rebuilt around a stand-in shows the stand-in, the other modules and their
    bytecode, none of the replaced module's bytecode, nothing the host adds afterwards (a
    grading process writing the real module's cache while the sandbox runs), and cannot be
    written."""
    import json
    import time

    from coursekit.grader.sandbox import _rebuilt

    sandbox = Sandbox(scratch=tmp_path / "s", allow=())
    real = sandbox.scratch / "pkg"
    (real / "__pycache__").mkdir(parents=True)
    (real / "mod.py").write_text("SECRET = 1\n")
    (real / "other.py").write_text("")
    (real / "mod.pyc").write_bytes(b"secret")
    for name in ("mod.cpython-311.pyc", "mod.cpython-312.opt-1.pyc", "other.cpython-311.pyc"):
        (real / "__pycache__" / name).write_bytes(b"secret")
    stand_in = tmp_path / "stand-in.py"
    stand_in.write_text("STAND_IN = 1\n")
    command = sandbox.command([sys.executable, "-c", REBUILT_PROBE, str(real)])
    end = command.index("--")
    command[end:end] = _rebuilt(real, {"mod.py": stand_in})
    process = subprocess.Popen(command, env=sandbox.environment(), stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)
    (real / "__pycache__" / "mod.cpython-399.pyc").write_bytes(b"late")
    (real / "mod.cpython-399.pyc").write_bytes(b"late")
    out, err = process.communicate("go\n", timeout=60)
    assert process.returncode == 0, err
    seen = json.loads(out.strip().splitlines()[-1])
    for look in (seen["first"], seen["second"]):
        assert look["top"] == ["__pycache__", "mod.py", "other.py"], look
        assert look["cache"] == ["other.cpython-311.pyc"], look
        assert look["text"] == "STAND_IN = 1\n"
    assert not seen["writable"]


ROUTES_PROBE = r'''
import importlib, importlib.machinery, importlib.util, json, marshal, os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np
import keras
import tensorflow as tf

def works(make):
    """'works' if make() gives an Embedding layer that looks rows up, else the error."""
    try:
        layer = make()
        if isinstance(layer, type):
            layer = layer(5, 3)
        rows = np.asarray(layer(np.array([[1, 2]])))
        return "works" if rows.shape == (1, 2, 3) else f"shape {rows.shape}"
    except BaseException as error:
        return f"{type(error).__name__}: {error}"[:200]

def sourceless(path):
    loader = importlib.machinery.SourcelessFileLoader("copy_of_embedding", path)
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
    loader.exec_module(module)
    return module.Embedding

def unmarshal(path):
    namespace = {"__name__": "copy_of_embedding"}
    exec(marshal.loads(open(path, "rb").read()[16:]), namespace)
    return namespace["Embedding"]

def in_source_dir(source):
    folder = os.path.dirname(source)
    return sorted(n for n in os.listdir(folder) + os.listdir(folder + "/__pycache__")
                  if n.split(".")[0] == os.path.basename(source)[:-3])

seen = {"routes": {}, "listing": {}, "stand-in writable": []}
routes = seen["routes"]
for source, *pycs in json.loads(sys.argv[1]):
    seen["listing"][source] = in_source_dir(source)
    for pyc in pycs:
        routes["SourcelessFileLoader " + pyc] = works(lambda: sourceless(pyc))
        routes["marshal " + pyc] = works(lambda: unmarshal(pyc))
routes["keras.layers.Embedding"] = works(lambda: keras.layers.Embedding)
routes["keras.src.layers.Embedding"] = works(lambda: keras.src.layers.Embedding)
routes["reload"] = works(lambda: importlib.reload(
    importlib.import_module("keras.src.layers.core.embedding")).Embedding)
routes["tf.keras.layers.Embedding"] = works(lambda: tf.keras.layers.Embedding)
routes["tf.compat.v1.keras.layers.Embedding"] = works(lambda: tf.compat.v1.keras.layers.Embedding)
routes["tensorflow.python.keras"] = works(
    lambda: importlib.import_module("tensorflow.python.keras.layers.embeddings").Embedding)
routes["tensorflow.python.keras.layers"] = works(
    lambda: importlib.import_module("tensorflow.python.keras.layers").Embedding)
routes["keras.layers.ReversibleEmbedding"] = works(lambda: keras.layers.ReversibleEmbedding)
config = {"input_dim": 5, "output_dim": 3}
routes["keras.layers.deserialize"] = works(
    lambda: keras.layers.deserialize({"class_name": "Embedding", "config": config}))
routes["keras.saving.deserialize_keras_object"] = works(
    lambda: keras.saving.deserialize_keras_object(
        {"module": "keras.layers", "class_name": "Embedding", "config": config,
         "registered_name": None}))
routes["keras.saving.get_registered_object"] = works(
    lambda: keras.saving.get_registered_object("keras.layers.Embedding")
    or keras.saving.get_registered_object("Embedding"))
routes["keras.layers.Layer.from_config"] = works(
    lambda: keras.src.api_export.REGISTERED_NAMES_TO_OBJS["keras.layers.Embedding"]
    .from_config(config))
routes["legacy tf serialization"] = works(
    lambda: importlib.import_module("tensorflow.python.keras.layers.serialization")
    .deserialize({"class_name": "Embedding", "config": config}))
routes["keras.saving.load_model"] = works(
    lambda: keras.saving.load_model(sys.argv[2]).layers[-1])
for stand_in in sys.argv[3:]:
    try:
        open(stand_in, "a")
        seen["stand-in writable"].append(stand_in)
    except OSError:
        pass
seen["dense"] = int(keras.layers.Dense(2)(keras.ops.ones((1, 3))).shape[-1])
seen["take"] = np.asarray(keras.ops.take(np.eye(3), np.array([2]), axis=0)).tolist()
print(json.dumps(seen))
'''


def test_forbidden_embedding_is_unreachable_by_every_route(tmp_path, keras):
    """In the layer assignment's sandbox no route on disk gives a working Embedding layer:
    not the bytecode beside either copy of its code (SourcelessFileLoader, marshal), not
    TensorFlow's bundled legacy Keras, not the serialization registry (deserialize, a
    .keras file), not an alias or a subclass. Everything else works: Keras' other layers,
    ops.take, and the stand-ins cannot be rewritten."""
    import importlib.util
    import json

    sandbox = layer_sandbox(tmp_path / "s")
    # A model file with a real Embedding in it, made outside (a student could paste one in).
    model_file = sandbox.scratch / "with_embedding.keras"
    model_file.parent.mkdir(parents=True)
    keras.Sequential([keras.Input((2,), dtype="int32"), keras.layers.Embedding(5, 3)]).save(
        model_file)
    # Every bytecode path a student could name: what exists on the host, and what
    # cache_from_source says this interpreter would use (whether or not it exists).
    copies = []
    for source in forbidden_copies():
        pycs = {importlib.util.cache_from_source(str(source), optimization=level)
                for level in ("", 1, 2)}
        pycs |= {str(p) for p in (source.parent / "__pycache__").glob(source.stem + ".*.pyc")}
        copies.append([str(source), *sorted(pycs)])
    on_host = [p for _, *pycs in copies for p in pycs if Path(p).exists()]
    assert on_host, "no bytecode on the host: the bytecode routes are not tested here"
    stand_ins = [str(sandbox.scratch / "stand-ins" / relative)
                 for relative in ("keras/src/layers/core/embedding.py",
                                  "tensorflow/python/keras/layers/embeddings.py")]
    seen = run_in_sandbox(sandbox, ROUTES_PROBE, json.dumps(copies), str(model_file),
                          *stand_ins)
    working = {route: result for route, result in seen["routes"].items() if result == "works"}
    assert not working, working
    for route, result in seen["routes"].items():
        if route.startswith(("SourcelessFileLoader", "marshal")):
            assert result.startswith("FileNotFoundError"), (route, result)
    for route in ("keras.layers.Embedding", "keras.src.layers.Embedding", "reload",
                  "tf.keras.layers.Embedding", "tensorflow.python.keras",
                  "tensorflow.python.keras.layers", "keras.layers.ReversibleEmbedding",
                  "keras.layers.Layer.from_config", "legacy tf serialization"):
        assert "not available in this assignment" in seen["routes"][route], route
    assert len(seen["routes"]) >= 16 + 2 * len(on_host)
    for source, listing in seen["listing"].items():
        assert listing == [Path(source).name], (source, listing)
    assert seen["stand-in writable"] == []
    assert seen["dense"] == 2 and seen["take"] == [[0.0, 0.0, 1.0]]
