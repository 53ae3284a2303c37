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
# wall-clock deadlines (the first TF call of a process is slow).
settings.register_profile(
    "course",
    max_examples=int(os.environ.get("HYPOTHESIS_MAX_EXAMPLES", "30")),
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
