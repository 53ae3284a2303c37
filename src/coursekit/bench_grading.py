"""How fast a class is graded: the course's command against plain serial nbgrader.

For a NumPy-only assignment (two_views) and a TensorFlow one (layer), the
same N copies of a correct submission are graded twice in one run:

* **course**: ``coursekit.grading.grade`` with its defaults (Dask local
  cluster, one worker per core; sandboxed kernels; feedback written too);
* **serial nbgrader**: a plain nbgrader course (stock ``Execute``, no
  sandbox, no feedback) running ``nbgrader autograde ASSIGNMENT`` once.

It prints both wall times, their ratio, and the per-submission figures next
to the floor: starting one sandboxed kernel and running the notebook's setup
cell (its imports), averaged over a few starts. ``make bench-grading`` runs
it; figures go to BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import nbformat

from coursekit import grading
from coursekit.grader.kernel import SandboxKernel
from coursekit.grader.plan import Plan
from coursekit.grader.sandbox import Sandbox

ASSIGNMENTS = ("two_views", "layer")
SOLUTION_MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION.*\n?", re.M)


def solved_release(course: Path, assignment: str):
    """The released notebook with every solution cell answered by the source's code."""
    name = f"{assignment}.ipynb"
    source = nbformat.read(course / "source" / assignment / name, as_version=4)
    answers = {c.metadata["nbgrader"]["grade_id"]: SOLUTION_MARKER.sub("", c.source)
               for c in source.cells if c.metadata.get("nbgrader", {}).get("solution")}
    release = nbformat.read(course / "release" / assignment / name, as_version=4)
    for cell in release.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    return release


def make_class(root: Path, assignment: str, copies: int, plain: bool) -> Path:
    """A course with ``copies`` students, each submitting the solved release."""
    course = grading.make_course(root, grading.REPO_ROOT)
    if plain:  # stock nbgrader: the repository's settings and paths only
        settings = (grading.REPO_ROOT / "nbgrader_config.py").read_text()
        (course / "nbgrader_config.py").write_text(
            settings + f'\nc.CourseDirectory.root = {str(course)!r}\n'
            'c.CourseDirectory.source_directory = "source"\n'
            'c.CourseDirectory.release_directory = "release"\n')
    grading.release(course, assignment)
    submission = nbformat.writes(solved_release(course, assignment))
    for number in range(copies):
        target = course / "submitted" / f"student{number:03d}" / assignment
        target.mkdir(parents=True)
        (target / f"{assignment}.ipynb").write_text(submission)
    return course


def floor_seconds(course: Path, assignment: str, starts: int = 3) -> float:
    """Mean seconds to start a sandboxed kernel and run the notebook's setup cell."""
    source = nbformat.read(course / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    plan = Plan.from_source(source)
    times = []
    for _ in range(starts):
        with tempfile.TemporaryDirectory(prefix="coursekit-floor-") as scratch:
            start = time.monotonic()
            with SandboxKernel(Sandbox(Path(scratch), allow=plan.allow,
                                       forbid=plan.forbid)) as kernel:
                for code in plan.setup.values():
                    kernel.execute(code, timeout=120)
            times.append(time.monotonic() - start)
    return statistics.mean(times)


def measure(assignment: str, copies: int, workers: int | None) -> dict:
    """Grade the class both ways; return the figures."""
    with tempfile.TemporaryDirectory(prefix="coursekit-bench-") as root:
        course = make_class(Path(root) / "course", assignment, copies, plain=False)
        plain = make_class(Path(root) / "plain", assignment, copies, plain=True)
        quiet = grading.Progress(copies, stream=open(os.devnull, "w"))  # noqa: SIM115
        start = time.monotonic()
        results = grading.grade(course, assignment, workers=workers, progress=quiet)
        ours = time.monotonic() - start
        scores = {s.score for s in grading.scores(course, assignment).values()}
        start = time.monotonic()
        grading.nbgrader(plain, "autograde", assignment, "--force")
        serial = time.monotonic() - start
        plain_scores = {s.score for s in grading.scores(plain, assignment).values()}
        floor = floor_seconds(course, assignment)
        shutil.rmtree(root, ignore_errors=True)
    graded = sum(r.status == "graded" for r in results)
    used = workers if workers is not None else (os.cpu_count() or 1)
    return {"assignment": assignment, "copies": copies, "graded": graded, "ours": ours,
            "serial": serial, "floor": floor, "workers": used, "scores": scores,
            "plain_scores": plain_scores}


def report(figures: dict) -> str:
    """One block of lines per assignment."""
    f = figures
    per_ours = f["ours"] * f["workers"] / f["copies"]
    return "\n".join([
        f"{f['assignment']}: {f['copies']} submissions ({f['graded']} graded; scores "
        f"{sorted(f['scores'])} here, {sorted(f['plain_scores'])} with plain nbgrader)",
        f"  course command ({f['workers']} workers): {f['ours']:7.1f} s  "
        f"({f['ours'] / f['copies']:.2f} s per submission of wall time)",
        f"  serial nbgrader autograde:     {f['serial']:7.1f} s  "
        f"({f['serial'] / f['copies']:.2f} s per submission)",
        f"  speed-up: {f['serial'] / f['ours']:.2f}x",
        f"  floor (sandboxed kernel start + setup imports): {f['floor']:.2f} s; "
        f"worker time per submission {per_ours:.2f} s = {per_ours / f['floor']:.2f}x the floor",
    ])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=40, help="submissions per assignment")
    parser.add_argument("--workers", type=int, default=None, help="default: one per core")
    parser.add_argument("--assignments", nargs="+", default=list(ASSIGNMENTS))
    args = parser.parse_args(argv)
    print(f"{time.strftime('%Y-%m-%d')}, {platform.machine()} {platform.system()}, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}, load average "
          f"{os.getloadavg()[0]:.2f} at the start")
    for assignment in args.assignments:
        print(report(measure(assignment, args.copies, args.workers)), flush=True)


if __name__ == "__main__":
    main()
