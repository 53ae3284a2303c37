"""Sample submissions of assignment 3, layer (18 points over 18 test cells).

The student writes one class, MyEmbedding, whose __init__ is Part 1 and whose
other methods hand their work to the functions of Parts 2 to 5. Each wrong
answer must lose exactly the test cells of the behaviour it gets wrong; a
layer built on keras.layers.Embedding (a stand-in that raises in the sandbox)
or on the reference package must lose every test.
"""

from __future__ import annotations

from . import Sample

INIT = ("init_stores_the_settings", "init_sets_supports_masking", "init_rejects_bad_sizes",
        "init_rejects_unknown_names", "init_passes_layer_keywords")
CALL = ("call_returns_rows", "call_casts_other_dtypes", "call_keeps_any_batch_shape")
BUILD = ("build_creates_one_table", "build_uses_the_initializer",
         "build_attaches_regularizer_and_constraint", "build_trains_like_keras")
MASK = ("mask_marks_padding", "mask_reads_raw_ids", "mask_works_downstream")
CONFIG = ("config_matches_keras", "config_round_trip", "keras_file_round_trip")
EVERY_TEST = INIT + CALL + BUILD + MASK + CONFIG

# The class's one-line methods, as released: every Part 1 answer below keeps them.
METHODS = '''
    def build(self, input_shape=None):
        embedding_build(self, input_shape)  # Part 3

    def call(self, inputs):
        return embedding_call(self, inputs)  # Part 2

    def compute_mask(self, inputs, mask=None):
        return embedding_mask(self, inputs)  # Part 4

    def get_config(self):
        return embedding_config(self, super().get_config())  # Part 5
'''

# ------------------------------------------------------------------ honest answers

CORRECT_ALTERNATIVE = {
    "my_embedding_init": '''class MyEmbedding(keras.layers.Layer):
    """My twin of keras.layers.Embedding."""

    @staticmethod
    def _positive(name, value):
        """Keras' rule: a Python int (bool and NumPy ints excluded) greater than 0."""
        if type(value) is not int or value < 1:
            raise ValueError("`%s` must be a positive integer. Received: %s=%s (of type %s)."
                             % (name, name, value, type(value).__name__))
        return value

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 **kwargs):
        """Checks first, then the base class, then the settings."""
        input_dim = self._positive("input_dim", input_dim)
        output_dim = self._positive("output_dim", output_dim)
        super().__init__(**kwargs)
        self.input_dim, self.output_dim, self.mask_zero = input_dim, output_dim, mask_zero
        getters = {"embeddings_initializer": (keras.initializers, embeddings_initializer),
                   "embeddings_regularizer": (keras.regularizers, embeddings_regularizer),
                   "embeddings_constraint": (keras.constraints, embeddings_constraint)}
        for attribute, (module, identifier) in getters.items():
            setattr(self, attribute, module.get(identifier))
        self.supports_masking = self.mask_zero
        self.autocast = False
''' + METHODS,
    "embedding_call": '''def embedding_call(layer, inputs):
    ids = ops.cast(inputs, "int32")  # a no-op for int32 ids; floats are truncated
    return ops.cast(ops.take(layer.embeddings, ids, axis=0), layer.compute_dtype)
''',
    "embedding_build": '''def embedding_build(layer, input_shape=None):
    # add_weight makes trainable weights unless told otherwise
    if not layer.built:
        layer.embeddings = layer.add_weight(
            name="embeddings", shape=(layer.input_dim, layer.output_dim),
            initializer=layer.embeddings_initializer, regularizer=layer.embeddings_regularizer,
            constraint=layer.embeddings_constraint)
''',
    "embedding_mask": '''def embedding_mask(layer, inputs):
    return ops.convert_to_tensor(inputs) != 0 if layer.mask_zero else None
''',
    "embedding_config": '''def embedding_config(layer, config):
    own = {"input_dim": layer.input_dim, "output_dim": layer.output_dim,
           "mask_zero": layer.mask_zero}
    for key, module in (("embeddings_initializer", keras.initializers),
                        ("embeddings_regularizer", keras.regularizers),
                        ("embeddings_constraint", keras.constraints)):
        own[key] = module.serialize(getattr(layer, key))
    return {**config, **own}
''',
}

# Takes `name` itself and drops the other keywords of keras.layers.Layer: trainable=False
# (and dtype) are silently ignored, so a frozen layer would still train.
FORGETS_TRAINABLE = '''class MyEmbedding(keras.layers.Layer):
    """Only the name reaches the base class."""

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 name=None, **kwargs):
        """Checks, then settings."""
        for label, value in (("input_dim", input_dim), ("output_dim", output_dim)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"`{label}` must be a positive integer. "
                                 f"Received: {label}={value} (of type {type(value).__name__}).")
        super().__init__(name=name)
        self.input_dim = input_dim
        self.output_dim = output_dim
        self.embeddings_initializer = keras.initializers.get(embeddings_initializer)
        self.embeddings_regularizer = keras.regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = keras.constraints.get(embeddings_constraint)
        self.mask_zero = mask_zero
        self.supports_masking = mask_zero
        self.autocast = False
''' + METHODS

# Forgets the supports_masking line: Keras then says True for every layer of the class.
NO_SUPPORTS_MASKING = '''class MyEmbedding(keras.layers.Layer):
    """supports_masking is left to Keras."""

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 **kwargs):
        """Checks, then settings."""
        for label, value in (("input_dim", input_dim), ("output_dim", output_dim)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"`{label}` must be a positive integer. "
                                 f"Received: {label}={value} (of type {type(value).__name__}).")
        super().__init__(**kwargs)
        self.input_dim = input_dim
        self.output_dim = output_dim
        self.embeddings_initializer = keras.initializers.get(embeddings_initializer)
        self.embeddings_regularizer = keras.regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = keras.constraints.get(embeddings_constraint)
        self.mask_zero = mask_zero
        self.autocast = False
''' + METHODS

# The matrix the wrong way round: (output_dim, input_dim).
TRANSPOSED_TABLE = '''def embedding_build(layer, input_shape=None):
    if layer.built:
        return
    layer.embeddings = layer.add_weight(
        shape=(layer.output_dim, layer.input_dim), initializer=layer.embeddings_initializer,
        name="embeddings", regularizer=layer.embeddings_regularizer,
        constraint=layer.embeddings_constraint, trainable=True)
'''

# No cast: int32/int64 ids work, float and uint8 ids do not.
NO_CAST_CALL = '''def embedding_call(layer, inputs):
    return ops.take(layer.embeddings, inputs, axis=0)
'''

# The mask the wrong way round: True at the padding.
INVERTED_MASK = '''def embedding_mask(layer, inputs):
    if not layer.mask_zero:
        return None
    return ops.equal(inputs, 0)
'''

# The mask computed from the looked-up rows (the outputs), not from the ids.
MASK_FROM_ROWS = '''def embedding_mask(layer, inputs):
    if not layer.mask_zero:
        return None
    rows = ops.take(layer.embeddings, ops.cast(inputs, "int32"), axis=0)  # (..., D)
    return ops.any(ops.not_equal(rows, 0), axis=-1)
'''

# Casts the ids before comparing: a float 0.7 becomes 0 and is masked.
CAST_BEFORE_MASK = '''def embedding_mask(layer, inputs):
    if not layer.mask_zero:
        return None
    return ops.not_equal(ops.cast(inputs, "int32"), 0)
'''

# Starts a new dict instead of the base class's: name, trainable and dtype are lost, so
# from_config and loading give a layer with another name.
CONFIG_WITHOUT_BASE = '''def embedding_config(layer, config):
    return {
        "input_dim": layer.input_dim,
        "output_dim": layer.output_dim,
        "embeddings_initializer": keras.initializers.serialize(layer.embeddings_initializer),
        "embeddings_regularizer": keras.regularizers.serialize(layer.embeddings_regularizer),
        "embeddings_constraint": keras.constraints.serialize(layer.embeddings_constraint),
        "mask_zero": layer.mask_zero,
    }
'''

# ------------------------------------------------------------------ not the student's own layer

SUBCLASS_KERAS_EMBEDDING = '''class MyEmbedding(keras.layers.Embedding):
    """Keras' own layer under another name."""
'''
WRAP_KERAS_EMBEDDING = '''class MyEmbedding(keras.layers.Layer):
    """Keras' own layer inside a shell."""

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 **kwargs):
        """Everything is delegated."""
        self.inner = keras.layers.Embedding(input_dim, output_dim, embeddings_initializer,
                                            embeddings_regularizer, embeddings_constraint,
                                            mask_zero)
        super().__init__(**kwargs)
        self.input_dim, self.output_dim, self.mask_zero = input_dim, output_dim, mask_zero
        self.embeddings_initializer = self.inner.embeddings_initializer
        self.embeddings_regularizer = self.inner.embeddings_regularizer
        self.embeddings_constraint = self.inner.embeddings_constraint
        self.supports_masking = mask_zero

    def build(self, input_shape=None):
        self.inner.build(input_shape)
        self.embeddings = self.inner.embeddings

    def call(self, inputs):
        return self.inner(inputs)

    def compute_mask(self, inputs, mask=None):
        return self.inner.compute_mask(inputs)

    def get_config(self):
        return {**super().get_config(), **self.inner.get_config()}
'''
USE_REFERENCE = '''from embref.keras_layer import ReferenceEmbedding


class MyEmbedding(ReferenceEmbedding):
    """The course's reference layer under another name."""
'''

SAMPLES = [
    Sample("correct_alternative", "Correct, written differently from the solution (a static "
           "size check, a cast of every id, add_weight's default trainable=True, dict merge).",
           answers=CORRECT_ALTERNATIVE),
    Sample("untouched", "The release as downloaded.", untouched=True, fails=EVERY_TEST),
    Sample("partial", "__init__, call and build right; compute_mask and get_config not "
           "attempted.", answers={"embedding_mask": None, "embedding_config": None},
           fails=MASK + CONFIG),
    Sample("forgets_trainable", "__init__ passes only name to keras.layers.Layer: "
           "trainable=False is ignored.", answers={"my_embedding_init": FORGETS_TRAINABLE},
           fails=("init_passes_layer_keywords", "call_returns_rows")),
    # With supports_masking True, Keras asks the layer for a mask when it is called; at the
    # call tests' place (Restart & Run All) Part 4's compute_mask is not written yet, so the
    # call tests that go through Keras fail too, at home and in grading.
    Sample("no_supports_masking", "__init__ leaves supports_masking to Keras (True even "
           "without mask_zero).", answers={"my_embedding_init": NO_SUPPORTS_MASKING},
           fails=("init_sets_supports_masking", "call_returns_rows", "call_casts_other_dtypes",
                  "call_keeps_any_batch_shape")),
    Sample("no_cast_call", "call takes rows without casting the ids or the output: float and "
           "uint8 ids fail, and so does the hidden float64 layer (rows not in its compute "
           "dtype).", answers={"embedding_call": NO_CAST_CALL},
           fails=("call_casts_other_dtypes", "call_returns_rows")),
    Sample("transposed_table", "build makes the matrix (output_dim, input_dim).",
           answers={"embedding_build": TRANSPOSED_TABLE},
           fails=("build_creates_one_table", "build_uses_the_initializer",
                  "build_attaches_regularizer_and_constraint", "build_trains_like_keras")),
    Sample("inverted_mask", "compute_mask returns inputs == 0.",
           answers={"embedding_mask": INVERTED_MASK}, fails=MASK),
    Sample("mask_from_rows", "compute_mask looks at the looked-up rows instead of the ids.",
           answers={"embedding_mask": MASK_FROM_ROWS}, fails=MASK),
    Sample("cast_before_mask", "compute_mask casts the ids first, so 0.7 counts as padding.",
           answers={"embedding_mask": CAST_BEFORE_MASK}, fails=("mask_reads_raw_ids",)),
    Sample("config_without_base", "get_config drops the base class's keys: from_config and "
           "loading rename the layer.", answers={"embedding_config": CONFIG_WITHOUT_BASE},
           fails=("config_round_trip", "keras_file_round_trip")),
    Sample("subclass_keras_embedding", "MyEmbedding subclasses keras.layers.Embedding.",
           answers={"my_embedding_init": SUBCLASS_KERAS_EMBEDDING}, fails=EVERY_TEST),
    Sample("wrap_keras_embedding", "MyEmbedding holds a keras.layers.Embedding and delegates "
           "to it.", answers={"my_embedding_init": WRAP_KERAS_EMBEDDING}, fails=EVERY_TEST),
    Sample("use_reference", "MyEmbedding subclasses the course's ReferenceEmbedding.",
           answers={"my_embedding_init": USE_REFERENCE}, fails=EVERY_TEST,
           flags=("uses the reference package embref",)),
]

# ------------------------------------------------------------------ other copies of Keras' layer
# Forbidden means unreachable (issue #14, property 6): the sandbox replaces every copy of
# keras.layers.Embedding's code on disk and hides its compiled bytecode, so each of these
# loses every test, as the untouched release does.

# The bytecode cache beside Keras' source, run with the standard library's loader.
BYTECODE_LOADER = '''import importlib.machinery
import importlib.util

import keras.src.layers.core.embedding as _embedding_module

_cached = importlib.util.cache_from_source(_embedding_module.__file__)
_loader = importlib.machinery.SourcelessFileLoader("cached_embedding", _cached)
_module = importlib.util.module_from_spec(importlib.util.spec_from_loader(_loader.name, _loader))
_loader.exec_module(_module)


class MyEmbedding(_module.Embedding):
    """Keras' own layer, from its compiled bytecode."""
'''

# The same bytecode read by hand: no importlib, no import system at all.
BYTECODE_MARSHAL = '''import marshal
import os
import sys

import keras.src.layers.core.embedding as _embedding_module

_folder = os.path.join(os.path.dirname(_embedding_module.__file__), "__pycache__")
_namespace = {"__name__": "keras.src.layers.core.embedding"}
for _name in sorted(os.listdir(_folder)):
    if _name.startswith("embedding.") and sys.implementation.cache_tag in _name:
        with open(os.path.join(_folder, _name), "rb") as _file:
            exec(marshal.loads(_file.read()[16:]), _namespace)  # 16 bytes of header
        break


class MyEmbedding(_namespace.get("Embedding", keras.layers.Embedding)):
    """Keras' own layer, unmarshalled from its compiled bytecode."""
'''

# TensorFlow still ships the old Keras 2 (tensorflow.python.keras), Embedding included:
# Part 1's checks and settings are left to its layer.
TENSORFLOW_COPY = '''from tensorflow.python.keras.layers import embeddings as keras2


class MyEmbedding(keras.layers.Layer):
    """Part 1 done by TensorFlow's bundled copy of the Keras layer."""

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 **kwargs):
        """The old layer checks the sizes and keeps the settings."""
        twin = keras2.Embedding(input_dim, output_dim, mask_zero=mask_zero)
        super().__init__(**kwargs)
        self.input_dim, self.output_dim = twin.input_dim, twin.output_dim
        self.mask_zero = self.supports_masking = twin.mask_zero
        self.embeddings_initializer = keras.initializers.get(embeddings_initializer)
        self.embeddings_regularizer = keras.regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = keras.constraints.get(embeddings_constraint)
        self.autocast = False
''' + METHODS

SAMPLES += [
    Sample("bytecode_loader", "MyEmbedding subclasses keras.layers.Embedding loaded from "
           "its __pycache__ .pyc with importlib's SourcelessFileLoader.",
           answers={"my_embedding_init": BYTECODE_LOADER}, fails=EVERY_TEST,
           flags=("imports dynamically",)),
    Sample("bytecode_marshal", "MyEmbedding subclasses keras.layers.Embedding unmarshalled "
           "by hand from its __pycache__ .pyc (no importlib).",
           answers={"my_embedding_init": BYTECODE_MARSHAL}, fails=EVERY_TEST),
    Sample("tensorflow_copy", "MyEmbedding's __init__ leaves the checks and settings to the "
           "Embedding layer TensorFlow bundles (tensorflow.python.keras).",
           answers={"my_embedding_init": TENSORFLOW_COPY}, fails=EVERY_TEST),
]

# How a test cell is judged (issue #14): see tests/samples/judging.py.
from .judging import later_rebinding  # noqa: E402

SAMPLES += [later_rebinding("layer")]
