"""nbgrader plug-ins (preprocessors) that make its autograde and feedback trustworthy.

Configured in the course's ``nbgrader_config.py`` by :mod:`coursekit.grading`:

* :class:`JudgeInSandbox` replaces nbgrader's ``Execute`` step of
  ``nbgrader autograde``: the notebook is judged by :func:`coursekit.grader.judge.judge`
  (student code sandboxed, verdicts decided in the grader's process). The rest
  of nbgrader's autograde pipeline (sanitising, LimitOutput, SaveAutoGrades,
  late penalties) is unchanged, so scores land in nbgrader's own gradebook.
* :class:`ClearHiddenTestsOfTests` replaces ``ClearHiddenTests`` in
  ``nbgrader generate_feedback``: it removes the hidden-test regions from the
  test cells only. nbgrader's own step scans every cell and fails the
  student's feedback when a student cell merely contains the marker text.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path

from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool, Float, Int, Unicode

from coursekit.grader.judge import Options, judge, read_notebook
from coursekit.grader.sandbox import Limits

_HIDDEN = ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS")

PRECOMPUTED: dict[str, object] = {}
"""Judged notebooks computed elsewhere (by a Dask worker), keyed by :func:`notebook_key`
of the sanitised notebook they judged. JudgeInSandbox takes its result from here
when present and judges by itself otherwise."""


def notebook_key(nb) -> str:
    """A fingerprint of what judging reads from a sanitised notebook: cells and metadata."""
    cells = [(c.cell_type, c.source, c.metadata.get("nbgrader", {})) for c in nb.cells]
    return hashlib.sha256(json.dumps(cells, sort_keys=True).encode()).hexdigest()


class JudgeInSandbox(NbGraderPreprocessor):
    """Judge the notebook: student code in the sandbox, test cells in this process."""

    source_root = Unicode("", help="The course's source/ directory (trusted notebooks).").tag(
        config=True)
    protected = Bool(True, help="Run student code in the bubblewrap sandbox.").tag(config=True)
    cell_timeout = Float(30.0, help="Seconds per student cell or test cell.").tag(config=True)
    setup_timeout = Float(120.0, help="Seconds for the read-only setup cells.").tag(config=True)
    notebook_timeout = Float(600.0, help="Seconds for the whole notebook.").tag(config=True)
    memory_mb = Int(4096, help="Address-space limit of the sandboxed kernel (MiB).").tag(
        config=True)

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        judged = PRECOMPUTED.pop(notebook_key(nb), None)
        if judged is not None:
            return judged, resources
        with tempfile.TemporaryDirectory(prefix="coursekit-judge-") as scratch:
            judged, report = judge(nb, read_notebook(self.source_path(info)), Path(scratch),
                                   self.options())
        for flag in report.flags:
            self.log.warning("%s: %s", info["student"], flag)
        return judged, resources


    def options(self) -> Options:
        """The judge's options as configured."""
        return Options(
            cell_timeout=self.cell_timeout, setup_timeout=self.setup_timeout,
            notebook_timeout=self.notebook_timeout, protected=self.protected,
            limits=Limits(memory_bytes=self.memory_mb * 2**20),
        )

    def source_path(self, info: dict) -> Path:
        """The trusted source notebook of ``info`` (nbgrader's assignment/notebook ids)."""
        return Path(self.source_root) / info["assignment"] / f"{info['notebook']}.ipynb"


class ClearHiddenTestsOfTests(NbGraderPreprocessor):
    """Remove hidden-test regions from test cells (and only from them)."""

    def preprocess_cell(self, cell, resources, index):
        info = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and info.get("grade") and not info.get("solution"):
            kept, inside = [], False
            for line in cell.source.splitlines():
                if _HIDDEN[0] in line:
                    inside = True
                elif _HIDDEN[1] in line:
                    inside = False
                elif not inside:
                    kept.append(line)
            cell.source = "\n".join(kept).rstrip()
        return cell, resources
