"""Judge one submitted notebook: student code runs sandboxed, verdicts are decided outside.

How a notebook is judged (the course's replacement for nbgrader's Execute step):

* The notebook runs top to bottom as Restart & Run All would run it: the
  read-only setup cells (from the course's source notebook, never the
  student's copy) and the student's cells run in a sandboxed kernel
  (:mod:`coursekit.grader.runner`); each test cell is judged **at its place**,
  so the student's functions see the globals they would see at home there.
* A test cell's code (from the source notebook) runs in the grader's process
  next to the reference and the check helpers; the names it takes from the
  student's notebook are proxies (:mod:`coursekit.grader.remote`) whose calls
  run the student's code in the sandbox and bring back plain data. The test
  passes if its code finishes without an error, exactly as at home.
* **Two runs** when the assignment has hidden tests. The *shown* run has the
  test cells as students have them (hidden regions left out): its outputs and
  messages are all the student sees. The *scored* run has the hidden tests
  too; from it a failure contributes only a fixed-wording category
  (:mod:`coursekit.grader.messages`). So nothing a hidden test sent into the
  student's process can come back out, in a message, an output or a later
  verdict's wording. A test cell passes if it passes in both runs.

The judged notebook gets, per test cell, an output that nbgrader's
SaveAutoGrades scores (an error output for a failure, a "passed" line
otherwise) and a report in ``metadata.coursekit.report`` (for the instructor).
"""

from __future__ import annotations

import copy
import functools
import inspect
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from coursekit.grader import messages
from coursekit.grader.kernel import KernelGone, output_size
from coursekit.grader.messages import Crash, TimeLimit
from coursekit.grader.plan import Plan, TestCell, free_names
from coursekit.grader.remote import RemoteObject
from coursekit.grader.runner import Runner, Session
from coursekit.grader.sandbox import Limits, Sandbox

MAX_NOTEBOOK_OUTPUT_CHARS = 4_000_000
"""Most characters of outputs kept in one judged notebook (the rest is replaced by a note)."""

ATTEMPTS = {
    "uses the reference package embref": r"\bembref\b",
    "imports dynamically (importlib / __import__)": r"\bimportlib\b|__import__",
    "edits the module table (sys.modules)": r"sys\.modules",
    "rebinds built-ins": r"\bbuiltins\b|__builtins__",
    "reads globals() or the call stack": r"\bglobals\s*\(|sys\._getframe|inspect\.stack|gc\.get_",
    "hooks into IPython (get_ipython, transformers, exception handlers)":
        r"get_ipython|set_custom_exc|input_transformers|ast_transformers",
    "looks for course files (source/, solutions/, gradebook, submitted/)":
        r"gradebook|\bsource/|solutions/|submitted/|autograded/",
    "ends or signals the process (os._exit, sys.exit, kill, signal)":
        r"os\._exit|sys\.exit|os\.kill|\bsignal\.",
    "opens sockets or subprocesses": r"\bsocket\b|\bsubprocess\b|urllib|http\.client",
    "uses ctypes": r"\bctypes\b",
}


@dataclass(frozen=True)
class Options:
    """Limits and protection for judging one notebook.

    Attributes:
        cell_timeout: seconds one student cell or one test cell may take.
        setup_timeout: seconds the read-only setup cells may take (imports).
        notebook_timeout: seconds the whole notebook may take (each run).
        protected: run in the bubblewrap sandbox (False only when the instructor
            asked for an unprotected run; the report then says so).
        limits: the sandbox's resource limits.
    """

    cell_timeout: float = 30.0
    setup_timeout: float = 120.0
    notebook_timeout: float = 600.0
    protected: bool = True
    limits: Limits = field(default_factory=Limits)


@dataclass
class Outcome:
    """One test cell's result in one run."""

    passed: bool
    category: str = ""
    message: str = "passed"


@dataclass
class Report:
    """What happened while judging one notebook (stored in the judged notebook's metadata)."""

    protected: bool
    flags: list[str] = field(default_factory=list)
    tests: dict[str, dict] = field(default_factory=dict)
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {"protected": self.protected, "flags": self.flags, "tests": self.tests,
                "seconds": round(self.seconds, 3)}


def judge(submission, source_nb, scratch: Path, options: Options = Options()):
    """Judge ``submission`` against ``source_nb``; return (judged notebook, Report).

    The submission is not modified; the judged copy has the student cells'
    outputs of the shown run, one verdict output per test cell, restored test
    and read-only cells where the student deleted them, and the report in
    ``metadata.coursekit.report``.
    """
    start = time.monotonic()
    plan = Plan.from_source(source_nb)
    report = Report(protected=options.protected)
    if not options.protected:
        report.flags.append("UNPROTECTED: graded without the sandbox (--unprotected)")
    nb = copy.deepcopy(submission)
    report.flags.extend(str(f) for f in nb.metadata.get("coursekit", {}).get("flags", []))
    _restore_missing_cells(nb, plan, report)
    report.flags.extend(_attempts(nb, plan))
    two_runs = plan.has_hidden_tests
    shown = Runner(_sandbox(scratch / "shown", plan, options), options, report.flags)
    scored = (Runner(_sandbox(scratch / "scored", plan, options), options, [], start_now=True)
              if two_runs else shown)
    try:
        seen = _run(nb, plan, shown, options, hidden=False, keep_outputs=True)
        if two_runs:
            counted = _run(copy.deepcopy(nb), plan, scored, options, hidden=True,
                           keep_outputs=False)
            report.flags.extend(f"with the hidden tests: {flag}" for flag in scored.flags)
        else:
            counted = seen
    finally:
        shown.close()
        scored.close()
    for grade_id, visible in seen.items():
        full = counted[grade_id]
        test = plan.tests[grade_id]
        if not visible.passed:
            passed, message = False, visible.message
        elif not full.passed:
            passed = False
            message = messages.hidden_failure(full.category, bool(test.hidden_lines))
        else:
            passed, message = True, "passed"
        report.tests[grade_id] = {"passed": passed, "message": message,
                                  "category": visible.category or full.category}
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if cell.cell_type == "code" and grade_id in report.tests:
            verdict = report.tests[grade_id]
            cell.outputs = [_verdict_output(verdict["passed"], verdict["message"])]
    _bound_outputs(nb, report)
    report.seconds = time.monotonic() - start
    nb.metadata.setdefault("coursekit", {})["report"] = report.as_dict()
    return nb, report


def _sandbox(scratch: Path, plan: Plan, options: Options) -> Sandbox:
    return Sandbox(scratch=scratch, allow=plan.allow, forbid=plan.forbid, limits=options.limits,
                   protected=options.protected)


# ---------------------------------------------------------------------- one run


def _run(nb, plan: Plan, runner: Runner, options: Options, hidden: bool,
         keep_outputs: bool) -> dict[str, Outcome]:
    """Run the notebook's cells in order, judging each test cell at its place.

    ``hidden``: test cells with their hidden tests (the scored run) or without
    them (the shown run). Returns {grade_id: Outcome}; with ``keep_outputs``
    the student cells get this run's outputs.
    """
    namespace = _grader_namespace(plan)
    setup_objects = _sandbox_aware_setup(namespace, plan, runner)
    outcomes: dict[str, Outcome] = {}
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if keep_outputs:
            cell.outputs, cell.execution_count = [], None
        if grade_id in plan.tests:
            test = plan.tests[grade_id]
            source = test.source if hidden else test.visible_source
            outcomes[grade_id] = _judge_test(test, source, namespace, runner, setup_objects,
                                             options)
            continue
        if grade_id in plan.test_setup:
            continue
        where = f"cell {index + 1}" + (f" ({grade_id})" if grade_id else "")
        if grade_id in plan.setup:
            run = runner.run(plan.setup[grade_id], options.setup_timeout, where)
            runner.remember_setup(sorted(plan.setup_names))
        else:
            run = runner.run(cell.source, options.cell_timeout, where)
        if run is not None and keep_outputs:
            cell.outputs = run.outputs
    return outcomes


def _grader_namespace(plan: Plan) -> dict:
    """The grader's namespace for the test cells: the setup cells and the test set-up."""
    namespace: dict = {"__name__": "__grader__"}
    for grade_id, cell in plan.order:
        if grade_id in plan.setup or grade_id in plan.test_setup:
            exec(compile(cell.source, f"<{grade_id}>", "exec"), namespace)  # trusted source
    return namespace


def _sandbox_aware_setup(namespace: dict, plan: Plan, runner: Runner) -> dict[int, str]:
    """Let the setup cell's functions run where their arguments live.

    A function of the read-only setup cell (say ``train_one_step(layer, ...)``)
    called by a test with a student's object runs in the sandbox, on the
    sandbox's copy of the setup cell; called with plain data it runs here.
    Returns {id(function): name} so a test can also pass such a function to the
    student's code by name.
    """
    objects = {}
    for name in sorted(plan.setup_names):
        func = namespace.get(name)
        if inspect.isfunction(func) and func.__globals__ is namespace:
            namespace[name] = _either_side(func, name, runner)
        if callable(namespace.get(name)):
            objects[id(namespace[name])] = name
    return objects


def _either_side(func, name: str, runner: Runner):
    """``func`` here, or its sandbox twin when an argument is a student's object."""

    @functools.wraps(func)
    def call(*args, **kwargs):
        if any(isinstance(a, RemoteObject) for a in (*args, *kwargs.values())):
            return runner.link.request({
                "op": "call", "name": name, "args": [runner.link.encode(a) for a in args],
                "kwargs": [[k, runner.link.encode(v)] for k, v in kwargs.items()],
            })
        return func(*args, **kwargs)

    return call


def _judge_test(test: TestCell, source: str, namespace: dict, runner: Runner,
                setup_objects: dict[int, str], options: Options) -> Outcome:
    """Run one test cell's code here, with the student's names as proxies; its Outcome."""
    filename = f"<test {test.grade_id}>"
    borrowed = [n for n in free_names(source) if n not in namespace]
    try:
        with Session(runner, setup_objects, options.cell_timeout) as session:
            for name in borrowed:
                try:
                    namespace[name] = session.request({"op": "get", "name": name})
                except NameError:
                    pass  # not defined in the student's notebook: the test's NameError says so
            exec(compile(source, filename, "exec"), namespace)
    except (TimeLimit, Crash, KernelGone) as stop:
        error = stop if not isinstance(stop, KernelGone) else Crash(stop.reason)
        runner.flag(f"the test cell {test.grade_id}: {error}")
        return Outcome(False, messages.category(error), messages.visible_failure(error))
    except Exception as error:  # a failed check, or anything the student's code caused
        return Outcome(False, messages.category(error), messages.visible_failure(error))
    finally:
        for name in borrowed:
            namespace.pop(name, None)
    return Outcome(True)


def _verdict_output(passed: bool, message: str):
    """The output nbgrader scores: a stdout line when passed, an error otherwise."""
    if passed:
        return nbformat.v4.new_output("stream", name="stdout", text="passed\n")
    return nbformat.v4.new_output("error", ename="TestFailed", evalue=message,
                                  traceback=[f"TestFailed: {message}"])


# ---------------------------------------------------------------------- helpers


def _bound_outputs(nb, report: Report) -> None:
    """Keep at most MAX_NOTEBOOK_OUTPUT_CHARS of student outputs in the judged notebook."""
    used = 0
    cut = False
    for cell in nb.cells:
        if cell.cell_type != "code" or cell.metadata.get("nbgrader", {}).get("grade"):
            continue
        kept = []
        for output in cell.get("outputs", []):
            used += output_size(output)
            if used > MAX_NOTEBOOK_OUTPUT_CHARS:
                cut = True
                continue
            kept.append(output)
        if len(kept) < len(cell.get("outputs", [])):
            kept.append(nbformat.v4.new_output(
                "stream", name="stdout", text="[more output was left out by the grader]\n"))
        cell.outputs = kept
    if cut:
        report.flags.append(f"outputs over {MAX_NOTEBOOK_OUTPUT_CHARS:,} characters in all: "
                            "the rest was left out")


def _restore_missing_cells(nb, plan: Plan, report: Report) -> None:
    """Put back test and read-only cells the student deleted (from the source notebook)."""
    present = {c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells}
    needed = set(plan.tests) | set(plan.setup) | set(plan.test_setup)
    previous = None
    for grade_id, cell in plan.order:
        if grade_id in needed and grade_id not in present:
            position = _index_of(nb, previous) + 1 if previous else 0
            nb.cells.insert(position, copy.deepcopy(cell))
            report.flags.append(f"cell {grade_id} was missing: put back from the assignment")
            present.add(grade_id)
        if grade_id in present:
            previous = grade_id


def _index_of(nb, grade_id: str) -> int:
    """Position of the cell with ``grade_id`` in the notebook."""
    for index, cell in enumerate(nb.cells):
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            return index
    return -1


def _attempts(nb, plan: Plan) -> list[str]:
    """Report, by name, code in the student's cells that reaches for what grading forbids."""
    roles = set(plan.tests) | set(plan.setup) | set(plan.test_setup)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code"
                     and c.metadata.get("nbgrader", {}).get("grade_id") not in roles)
    return [f"attempt: {what}" for what, pattern in ATTEMPTS.items() if re.search(pattern, code)]


def read_notebook(path: Path):
    """Read a notebook for judging (nbformat 4)."""
    return nbformat.read(str(path), as_version=4)
