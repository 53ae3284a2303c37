"""nbgrader plug-ins (preprocessors) that make its autograde and feedback trustworthy.

Configured in the course's ``nbgrader_config.py`` by :mod:`coursekit.grading`:

* :class:`JudgeInSandbox` replaces nbgrader's ``Execute`` step of
  ``nbgrader autograde``: the notebook is judged by :func:`coursekit.grader.judge.judge`
  (student code sandboxed, verdicts decided in the grader's process). The rest
  of nbgrader's autograde pipeline (sanitising, LimitOutput, SaveAutoGrades,
  late penalties) is unchanged, so scores land in nbgrader's own gradebook.
* :class:`NormaliseFromSource` comes first in nbgrader's sanitising step of
  ``nbgrader autograde``: it rebuilds the notebook's grading structure from the
  course's source notebook (edited grading metadata, copied or added test
  cells, deleted cells), so that every notebook nbgrader can read is graded,
  and flags each change (``metadata.coursekit.flags``).
  :class:`ReportNormaliserFlags`, right after the judge, copies those flags
  into the judge's report.
* :class:`ClearHiddenTestsOfTests` replaces ``ClearHiddenTests`` in
  ``nbgrader generate_feedback``: it removes the hidden-test regions from the
  test cells only. nbgrader's own step scans every cell and fails the
  student's feedback when a student cell merely contains the marker text.
"""

from __future__ import annotations

import copy
import hashlib
import json
import tempfile
from pathlib import Path

import nbformat
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


# ------------------------------------------------------------------ sanitising


class NormaliseFromSource(NbGraderPreprocessor):
    """Rebuild the submission's grading structure from the course's source notebook.

    Runs first among ``Autograde.sanitize_preprocessors`` (nbgrader's own
    OverwriteCells and CheckCellMetadata come after it and then always pass), so
    that a notebook with edited grading metadata, copied, duplicated or added
    test cells, or deleted cells is graded from the source's cells instead of
    failing nbgrader's validation. See :func:`normalise` for the rules.
    """

    source_root = Unicode("", help="The course's source/ directory (trusted notebooks).").tag(
        config=True)
    release_root = Unicode("", help="The course's release/ directory (what students got).").tag(
        config=True)

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        name = f"{info['notebook']}.ipynb"
        source_nb = nbformat.read(str(Path(self.source_root) / info["assignment"] / name),
                                  as_version=4)
        released = Path(self.release_root) / info["assignment"] / name
        release_nb = nbformat.read(str(released), as_version=4) if released.is_file() else None
        flags = normalise(nb, source_nb, release_nb)
        for flag in flags:
            self.log.warning("%s: %s", info.get("student"), flag)
        return nb, resources


class ReportNormaliserFlags(NbGraderPreprocessor):
    """After the judge: put the sanitiser's flags (``metadata.coursekit.flags``) first in
    the judge's report (``metadata.coursekit.report.flags``), each once."""

    def preprocess(self, nb, resources):
        meta = nb.metadata.get("coursekit", {})
        report = meta.get("report")
        if isinstance(report, dict):
            judged = list(report.get("flags", []))
            report["flags"] = [f for f in meta.get("flags", []) if f not in judged] + judged
        return nb, resources


_ROLE_KEYS = ("grade", "solution", "locked", "task")
_COMPARED = ("grade", "solution", "locked", "task", "points", "checksum", "schema_version",
             "cell_type")


def _info(cell) -> dict:
    info = cell.get("metadata", {}).get("nbgrader")
    return info if isinstance(info, dict) else {}


def _claims_role(info: dict) -> bool:
    return any(bool(info.get(key)) for key in _ROLE_KEYS)


def normalise(nb, source_nb, release_nb=None) -> list[str]:
    """Make ``nb``'s grading structure the source's, in place; return what changed, in words.

    * A cell whose grade_id is a cell of the source gets the source's nbgrader
      metadata (role, points, schema; nbgrader's OverwriteCells then sets the
      gradebook's checksum) and the source's cell type; a test or read-only cell
      also gets the source's text. A solution cell keeps the student's text.
    * When a grade_id appears more than once, one cell keeps the role (a
      read-only cell: the first; a test or solution cell: the last, as
      nbgrader's own DeduplicateIds does) and the others become plain student
      cells.
    * A cell claiming a role (graded, solution, read-only) with a grade_id the
      source does not have becomes a plain student cell; nbgrader metadata
      without a role is dropped silently.
    * A test or read-only cell the student deleted is put back from the source
      after the cell that precedes it there.
    * The notebook's ``metadata.coursekit`` becomes the source's plus
      ``flags``: the list returned (anything the student put there is dropped).

    Differences from what the student was given (``release_nb``: metadata and
    text of test and read-only cells) are flagged too.
    """
    flags: list[str] = []
    source_cells = {}
    order = []
    for cell in source_nb.cells:
        grade_id = _info(cell).get("grade_id")
        if grade_id and _claims_role(_info(cell)) and grade_id not in source_cells:
            source_cells[grade_id] = cell
            order.append(grade_id)
    released = {}
    if release_nb is not None:
        released = {_info(c).get("grade_id"): c for c in release_nb.cells if _info(c)}

    positions: dict[str, list[int]] = {}
    for index, cell in enumerate(nb.cells):
        info = _info(cell)
        if "nbgrader" in cell.get("metadata", {}) and not info:
            del cell.metadata["nbgrader"]  # not even a dict: no role
            flags.append(f"cell {index + 1}: its grading metadata is malformed: "
                         "graded as your own code")
            continue
        grade_id = info.get("grade_id")
        if grade_id in source_cells and _claims_role(info):
            positions.setdefault(grade_id, []).append(index)
        elif info:
            del cell.metadata["nbgrader"]
            if _claims_role(info):
                flags.append(f"cell {index + 1}: marked as a grading cell "
                             f"({grade_id or 'no id'}) the assignment does not have: "
                             "graded as your own code")

    keep = {}
    for grade_id, found in positions.items():
        locked_only = not _info(source_cells[grade_id]).get("grade") and not _info(
            source_cells[grade_id]).get("solution")
        keep[grade_id] = found[0] if locked_only else found[-1]
        if len(found) > 1:
            for index in found:
                if index != keep[grade_id]:
                    del nb.cells[index].metadata["nbgrader"]
            flags.append(f"cell {grade_id} appears {len(found)} times: the copies are graded "
                         "as your own code")

    metadata_changes: dict[str, list[str]] = {}
    text_changes: list[str] = []
    for grade_id, index in keep.items():
        cell, source = nb.cells[index], source_cells[grade_id]
        info, wanted = _info(cell), _info(source)
        given = _info(released.get(grade_id, source))
        changed = [key for key in _COMPARED if info.get(key) != given.get(key)]
        if cell.cell_type != source.cell_type:
            changed.append("cell type")
        if changed:
            metadata_changes.setdefault(", ".join(changed), []).append(grade_id)
        locked = wanted.get("locked") and not wanted.get("solution")
        if locked:
            if cell.source != released.get(grade_id, source).source:
                text_changes.append(grade_id)
            nb.cells[index] = _fresh_copy(source, cell.get("id"))
        else:
            if cell.cell_type != source.cell_type:
                nb.cells[index] = _with_type(cell, source.cell_type)
            nb.cells[index].metadata["nbgrader"] = nbformat.from_dict(copy.deepcopy(dict(wanted)))
    for keys, grade_ids in metadata_changes.items():
        flags.append(f"{_cells(grade_ids)}: grading metadata ({keys}) differs from the "
                     "assignment's (edited, or an earlier release): graded as the assignment says")
    if text_changes:
        flags.append(f"{_cells(text_changes)}: text differs from the assignment's (edited, or an "
                     "earlier release): graded with the assignment's")

    present = set(keep)
    previous = None
    for grade_id in order:
        wanted = _info(source_cells[grade_id])
        needed = wanted.get("locked") and not wanted.get("solution")
        if needed and grade_id not in present:
            position = _index_of(nb, previous) + 1 if previous else 0
            nb.cells.insert(position, _fresh_copy(source_cells[grade_id]))
            flags.append(f"cell {grade_id} was missing: put back from the assignment")
            present.add(grade_id)
        if grade_id in present:
            previous = grade_id

    trusted = copy.deepcopy(dict(source_nb.metadata.get("coursekit", {})))
    nb.metadata["coursekit"] = {**trusted, "flags": flags}
    return flags


def _cells(grade_ids: list[str], shown: int = 4) -> str:
    """'cell a' / 'cells a, b, c and 9 more'."""
    if len(grade_ids) == 1:
        return f"cell {grade_ids[0]}"
    more = len(grade_ids) - shown
    names = ", ".join(grade_ids[:shown]) + (f" and {more} more" if more > 0 else "")
    return f"{len(grade_ids)} cells ({names})"


def _fresh_copy(source_cell, cell_id: str | None = None):
    """The source's cell as a new cell of the submission: no outputs, and a cell id that
    is the same in every run (``cell_id``, or one made from the grade_id)."""
    if source_cell.cell_type == "code":
        cell = nbformat.v4.new_code_cell(source_cell.source)
    elif source_cell.cell_type == "markdown":
        cell = nbformat.v4.new_markdown_cell(source_cell.source)
    else:
        cell = nbformat.v4.new_raw_cell(source_cell.source)
    cell.metadata = copy.deepcopy(source_cell.metadata)
    cell["id"] = cell_id or f"restored-{_info(source_cell).get('grade_id', '')}"[:64]
    return cell


def _with_type(cell, cell_type: str):
    """``cell``'s text and metadata in a new cell of ``cell_type``."""
    make = {"code": nbformat.v4.new_code_cell, "markdown": nbformat.v4.new_markdown_cell,
            "raw": nbformat.v4.new_raw_cell}[cell_type]
    new = make(cell.source)
    new.metadata = copy.deepcopy(cell.metadata)
    if "id" in cell:
        new["id"] = cell["id"]
    return new


def _index_of(nb, grade_id: str) -> int:
    """Position of the cell with ``grade_id`` in the notebook (-1 if none)."""
    for index, cell in enumerate(nb.cells):
        if _info(cell).get("grade_id") == grade_id:
            return index
    return -1
