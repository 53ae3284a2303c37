"""Shared fixtures: real Keras/TensorFlow (imported quietly) as the oracle."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

from coursekit.quiet import import_tensorflow

REPO = Path(__file__).resolve().parents[1]

# Property tests run TensorFlow ops per example: keep them bounded and free of
# wall-clock deadlines (the first TF call of a process is slow). In CI the
# examples are derandomized so that a run fails only because of a change;
# locally each run explores new examples (raise HYPOTHESIS_MAX_EXAMPLES to
# search harder).
settings.register_profile(
    "course",
    max_examples=int(os.environ.get("HYPOTHESIS_MAX_EXAMPLES", "30")),
    derandomize=bool(os.environ.get("CI")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("course")


@pytest.fixture(scope="session")
def keras():
    """The real ``keras`` module (Keras 3 on the TensorFlow backend)."""
    return import_tensorflow()


@pytest.fixture(scope="session")
def tf(keras):
    """The real ``tensorflow`` module."""
    import tensorflow

    return tensorflow


@pytest.fixture
def rng():
    """A NumPy generator with a fixed seed, fresh for each test."""
    return np.random.default_rng(20261120)


@pytest.fixture(scope="session")
def repo() -> Path:
    """The repository root."""
    return REPO


@pytest.fixture(scope="session")
def graded_class(tmp_path_factory):
    """graded_class(assignment): the class of that assignment's samples, graded once."""
    from grading_support import grade_class

    classes = {}

    def get(assignment: str):
        if assignment not in classes:
            classes[assignment] = grade_class(tmp_path_factory.mktemp(assignment), assignment)
        return classes[assignment]

    return get
