"""Import TensorFlow without its start-up log lines.

TensorFlow 2.21 writes absl/oneDNN/cpu-feature lines straight to file
descriptor 2 when it is imported and when it runs its first op, whatever
``TF_CPP_MIN_LOG_LEVEL`` says. A Jupyter kernel forwards that descriptor to
the cell's stderr, which (a) clutters every rendered page of the book and
(b) makes nbgrader score a graded cell 0. ``import_tensorflow`` points
descriptor 2 at /dev/null for exactly those two moments, then restores it,
so later warnings (the ones the course wants to show) still appear.
"""

from __future__ import annotations

import contextlib
import os
import sys


@contextlib.contextmanager
def _stderr_fd_silenced():
    """Send everything written to file descriptor 2 to /dev/null inside the block."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def import_tensorflow():
    """Import TensorFlow and Keras quietly and return the ``keras`` module.

    Also runs one tiny op so that the first-op log lines are swallowed too.
    Safe to call more than once.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    if "keras" in sys.modules and getattr(import_tensorflow, "_done", False):
        return sys.modules["keras"]
    with _stderr_fd_silenced():
        import keras
        import tensorflow as tf

        tf.gather(tf.zeros((2, 1)), [1]).numpy()
        keras.layers.Dense(1)(keras.ops.take(tf.zeros((2, 1)), tf.constant([1]), axis=0))
    import_tensorflow._done = True
    return keras
