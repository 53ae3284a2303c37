"""Kept for courses created before the engine moved: their nbgrader_config.py imports here."""

from coursekit.grader.plugins import (  # noqa: F401
    PRECOMPUTED,
    ClearHiddenTestsOfTests,
    JudgeInSandbox,
    notebook_key,
)
