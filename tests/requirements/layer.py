# ruff: noqa: E501 - the tables quote the instructions and the solutions line by line
"""Assignment 3, layer: its stated requirements and the mutants that break each one."""

from requirements import Requirement as R

INIT, CALL, BUILD, MASK, CONFIG = ("my_embedding_init", "embedding_call", "embedding_build",
                                   "embedding_mask", "embedding_config")
SIZE_CHECK = "if not isinstance(value, int) or isinstance(value, bool) or value <= 0:"

TABLE = [
    # Part 1: __init__
    R("init_checks_sizes", "Each\n   must be a Python `int`, not a `bool`, and greater than 0",
      {INIT: ((SIZE_CHECK, "if False:"),)},
      {"init_rejects_bad_sizes"}),
    R("init_input_dim_first", "`input_dim` first, then `output_dim`",
      {INIT: (('(("input_dim", input_dim), ("output_dim", output_dim))',
               '(("output_dim", output_dim), ("input_dim", input_dim))'),)},
      {"init_rejects_bad_sizes"}),
    R("init_bool_is_not_a_size", "not a `bool`",
      {INIT: ((SIZE_CHECK, "if not isinstance(value, int) or value <= 0:"),)},
      {"init_rejects_bad_sizes"}),
    R("init_numpy_int_is_not_a_size", "`np.int64(3)`",
      {INIT: ((SIZE_CHECK, "if not isinstance(value, (int, np.integer)) or isinstance(value, bool) "
                           "or value <= 0:"),)},
      {"init_rejects_bad_sizes"}),
    R("init_keras_message", "raises `ValueError` with Keras'\n   message, built exactly like this",
      {INIT: (('f"Received: {name}={value} (of type {type(value).__name__})."',
               'f"Received: {name}={value!r}."'),)},
      {"init_rejects_bad_sizes"}),
    R("init_passes_kwargs", "hands the keywords of every Keras layer",
      {INIT: (("super().__init__(**kwargs)", "super().__init__(name=kwargs.get('name'))"),)},
      {"init_passes_layer_keywords", "call_returns_rows"}),
    R("init_keeps_objects", "as objects, made\n   with `keras.initializers.get`",
      {INIT: (("self.embeddings_initializer = keras.initializers.get(embeddings_initializer)",
               "self.embeddings_initializer = embeddings_initializer"),)},
      {"init_stores_the_settings", "init_rejects_unknown_names", "config_matches_keras"}),
    R("init_unknown_name_raises_here", "an unknown name raises\n   `ValueError` right here",
      {INIT: (("self.embeddings_constraint = keras.constraints.get(embeddings_constraint)",
               "try:\n            self.embeddings_constraint = keras.constraints.get("
               "embeddings_constraint)\n        except ValueError:\n"
               "            self.embeddings_constraint = None"),)},
      {"init_rejects_unknown_names"}),
    R("init_keeps_mask_zero", "keeps the settings",
      {INIT: (("self.mask_zero = mask_zero", "self.mask_zero = bool(mask_zero) and False"),)},
      {"init_stores_the_settings", "mask_marks_padding", "mask_reads_raw_ids",
       "mask_works_downstream", "config_matches_keras"}),
    R("init_supports_masking", "`self.supports_masking = mask_zero`",
      {INIT: (("self.supports_masking = mask_zero", "pass"),)},
      # the call tests come before Part 4: Keras asks for a mask that is not written yet
      {"init_sets_supports_masking", "call_returns_rows", "call_casts_other_dtypes",
       "call_keeps_any_batch_shape"}),
    R("init_autocast_off", "`self.autocast = False`",
      {INIT: (("self.autocast = False", "pass"),)},
      {"init_sets_supports_masking"}),
    R("init_no_weight", "Create no weight here",
      {INIT: (("self.autocast = False",
               "self.autocast = False\n        self.table = self.add_weight(shape=(1,), name='t')"),)},
      {"init_stores_the_settings", "build_creates_one_table", "build_uses_the_initializer",
       "build_attaches_regularizer_and_constraint", "build_trains_like_keras"}),
    # Part 2: call
    R("call_casts_ids", "cast ids whose dtype is neither `\"int32\"` nor `\"int64\"` to `\"int32\"`",
      {CALL: (('    if inputs.dtype not in ("int32", "int64"):\n'
               '        inputs = ops.cast(inputs, "int32")  # floats are truncated: 1.7 -> 1\n', ""),)},
      {"call_casts_other_dtypes"}),
    R("call_truncates", "floats are truncated towards 0",
      {CALL: (('inputs = ops.cast(inputs, "int32")', 'inputs = ops.cast(ops.round(inputs), "int32")'),)},
      {"call_casts_other_dtypes"}),
    R("call_takes_rows", "take the rows with `ops.take(..., axis=0)`",
      {CALL: (("axis=0)", "axis=1)"),)},
      {"call_returns_rows", "call_casts_other_dtypes", "call_keeps_any_batch_shape"}),
    R("call_compute_dtype", "cast the result to `layer.compute_dtype`",
      {CALL: (("return ops.cast(rows, layer.compute_dtype)", "return rows"),)},
      {"call_returns_rows"}),
    R("call_symbolic", "the tests also call your layer on a symbolic `keras.Input`",
      {CALL: "def embedding_call(layer, inputs):\n"
             "    table = ops.convert_to_numpy(layer.embeddings)\n"
             "    rows = table[np.trunc(ops.convert_to_numpy(inputs)).astype(np.int32)]\n"
             "    return rows.astype(layer.compute_dtype)\n"},
      {"call_keeps_any_batch_shape"}),
    # Part 3: build
    R("build_once", "If `layer.built` is already `True`, return at once",
      {BUILD: (("    if layer.built:\n        return\n", ""),)},
      {"build_creates_one_table"}),
    R("build_shape", "shape\n  (V, D), that is `(layer.input_dim, layer.output_dim)`",
      {BUILD: (("shape=(layer.input_dim, layer.output_dim)", "shape=(layer.output_dim, layer.input_dim)"),)},
      {"build_creates_one_table", "build_uses_the_initializer",
       "build_attaches_regularizer_and_constraint", "build_trains_like_keras"}),
    R("build_name", 'named `"embeddings"`',
      {BUILD: (('name="embeddings"', 'name="table"'),)},
      {"build_creates_one_table"}),
    R("build_initializer", "filled by the layer's initializer",
      {BUILD: (("initializer=layer.embeddings_initializer", 'initializer="zeros"'),)},
      {"build_uses_the_initializer"}),
    R("build_regularizer", "with the layer's regularizer and\n  constraint attached",
      {BUILD: (("regularizer=layer.embeddings_regularizer,", ""),)},
      {"build_attaches_regularizer_and_constraint", "build_trains_like_keras"}),
    R("build_constraint", "with the layer's regularizer and\n  constraint attached",
      {BUILD: (("constraint=layer.embeddings_constraint,", ""),)},
      {"build_attaches_regularizer_and_constraint", "build_trains_like_keras"}),
    R("build_trainable", "and trainable",
      {BUILD: (("trainable=True", "trainable=False"),)},
      # Keras collects no penalty of a frozen weight
      {"build_creates_one_table", "build_attaches_regularizer_and_constraint",
       "build_trains_like_keras"}),
    # Part 4: the mask
    R("mask_none_without_mask_zero", "`None` when `layer.mask_zero` is `False`",
      {MASK: (("    if not layer.mask_zero:\n        return None\n", ""),)},
      {"mask_marks_padding"}),
    R("mask_marks_zero", "`True` at real ids and\n  `False` at the padding id 0",
      {MASK: (("return ops.not_equal(inputs, 0)", "return ops.equal(inputs, 0)"),)},
      {"mask_marks_padding", "mask_reads_raw_ids", "mask_works_downstream"}),
    R("mask_boolean", "a boolean mask of the ids' shape",
      {MASK: (("return ops.not_equal(inputs, 0)", 'return ops.cast(ops.not_equal(inputs, 0), "int32")'),)},
      {"mask_marks_padding", "mask_reads_raw_ids"}),
    R("mask_raw_ids", "Compute it on the **raw ids**, before any cast",
      {MASK: (("return ops.not_equal(inputs, 0)", 'return ops.not_equal(ops.cast(inputs, "int32"), 0)'),)},
      {"mask_reads_raw_ids"}),
    R("mask_before_build", "so it works before the layer is built",
      {MASK: (("return ops.not_equal(inputs, 0)",
               "return ops.not_equal(inputs, 0) | ops.zeros_like(layer.embeddings[0, 0], 'bool')"),)},
      {"mask_marks_padding", "mask_reads_raw_ids", "mask_works_downstream"}),
    # Part 5: the configuration
    R("config_adds_settings", "Return that dict with the constructor's\nsix settings added",
      {CONFIG: (("        mask_zero=layer.mask_zero,\n", ""),)},
      {"config_matches_keras", "config_round_trip"}),
    R("config_serializes", "turned back into dicts with the `serialize` function",
      {CONFIG: (("keras.initializers.serialize(layer.embeddings_initializer)",
                 "layer.embeddings_initializer"),)},
      {"config_matches_keras", "keras_file_round_trip"}),
    R("config_keeps_base", "the name included",
      {CONFIG: (("    config.update(", "    config = {}\n    config.update("),)},
      {"config_round_trip", "keras_file_round_trip"}),
]

# Parts graded separately: a mistake in one part costs nothing in the others' tests.
SEPARATE = [
    R("mask_with_tf_not_equal", "This way each part is graded on its own",
      {MASK: (("return ops.not_equal(inputs, 0)",
               "import tensorflow as tf\n    return tf.not_equal(inputs, 0)"),)},
      set()),
    R("numpy_call", "This way each part is graded on its own",
      {CALL: "def embedding_call(layer, inputs):\n"
             "    table = ops.convert_to_numpy(layer.embeddings)\n"
             "    rows = table[np.trunc(ops.convert_to_numpy(inputs)).astype(np.int32)]\n"
             "    return rows.astype(layer.compute_dtype)\n"},
      {"call_keeps_any_batch_shape"}),
    R("mask_missing", "This way each part is graded on its own",
      {MASK: "def embedding_mask(layer, inputs):\n    raise NotImplementedError()\n"},
      {"mask_marks_padding", "mask_reads_raw_ids", "mask_works_downstream"}),
    R("call_missing", "This way each part is graded on its own",
      {CALL: "def embedding_call(layer, inputs):\n    raise NotImplementedError()\n"},
      {"call_returns_rows", "call_casts_other_dtypes", "call_keeps_any_batch_shape"}),
]

# Enforced by the grader's sandbox (keras.layers.Embedding is a stand-in that raises), not by
# a test cell; the graded samples subclass_keras_embedding and wrap_keras_embedding check it.
SANDBOX_ENFORCED = {
    "no_keras_embedding": "Do **not** use `keras.layers.Embedding` in any way",
}

STATED = [r.id for r in TABLE]
