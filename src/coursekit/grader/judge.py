"""Judge one submitted notebook: student code runs sandboxed, verdicts are decided outside.

How a notebook is judged (the course's replacement for nbgrader's Execute step):

1. **In the sandbox** (:mod:`coursekit.grader.sandbox`, a real Jupyter kernel), the
   notebook's cells run in order: the read-only setup cells (from the course's
   source notebook, not the student's copy) and the student's own cells. Test
   cells and the read-only ``test_setup`` cell do not run there. At each test
   cell's place the kernel only notes which objects the test's names are bound
   to at that moment (a snapshot), so a later cell cannot change what an
   earlier test sees. A cell that raises is recorded and the run goes on; a
   cell that runs past its limit is interrupted; a kernel that dies or ignores
   the interrupt is replaced by a fresh one that replays the cells before it.
2. **In the grader's process**, each test cell's code (from the source
   notebook, hidden tests included) runs next to the reference (``embref``,
   Keras) and the check helpers (:mod:`coursekit.testing`). The names the
   test takes from the student's notebook are proxies
   (:mod:`coursekit.grader.remote`): calling one runs the student's code in the
   sandbox with the test's inputs and brings back plain data. The test passes
   if its code finishes without an error, exactly as at home.

Nothing the student's code does in its process can reach the expected values,
the checks or the verdict: they never enter the sandbox. The judged notebook
gets, per test cell, an output that nbgrader's SaveAutoGrades scores (an
error output for a failure, a "passed" line otherwise) whose message never
quotes hidden tests, and a report in ``metadata.coursekit.report``.
"""

from __future__ import annotations

import ast
import builtins
import copy
import functools
import inspect
import re
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from coursekit.grader import wire
from coursekit.grader.kernel import AGENT, KernelGone, SandboxKernel
from coursekit.grader.remote import RemoteError, RemoteObject, decode_reply
from coursekit.grader.sandbox import Limits, Sandbox

TEST_SETUP_ID = "test_setup"
"""grade_id of the read-only cell that sets up the tests (runs in the grader only)."""

SETUP_KEY = "__setup__"
MAX_RESTARTS = 8
HIDDEN_BEGIN = re.compile(r"^\s*#+\s*BEGIN HIDDEN TESTS")
HIDDEN_END = re.compile(r"^\s*#+\s*END HIDDEN TESTS")

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
        notebook_timeout: seconds the whole notebook may take.
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
class TestCell:
    """A test cell of the source notebook."""

    grade_id: str
    source: str
    hidden_lines: frozenset[int]

    @property
    def title(self) -> str:
        """The docstring on the cell's first line (what the test checks)."""
        first = self.source.strip().splitlines()[0] if self.source.strip() else ""
        return first.strip().strip('"').strip()


@dataclass
class Plan:
    """What the source notebook says about judging: which cells are what, and the options."""

    setup: dict[str, str]
    test_setup: dict[str, str]
    tests: dict[str, TestCell]
    order: list[tuple[str, nbformat.NotebookNode]]
    allow: tuple[str, ...]
    forbid: tuple[str, ...]

    @classmethod
    def from_source(cls, source_nb) -> Plan:
        """Read the roles of the source notebook's cells (by nbgrader grade_id)."""
        setup, test_setup, tests, order = {}, {}, {}, []
        for cell in source_nb.cells:
            info = cell.metadata.get("nbgrader", {})
            grade_id = info.get("grade_id")
            if not grade_id:
                continue
            order.append((grade_id, cell))
            if cell.cell_type != "code":
                continue
            if info.get("grade") and not info.get("solution"):
                tests[grade_id] = TestCell(grade_id, cell.source, _hidden_lines(cell.source))
            elif grade_id == TEST_SETUP_ID:
                test_setup[grade_id] = cell.source
            elif info.get("locked") and not info.get("solution"):
                setup[grade_id] = cell.source
        options = source_nb.metadata.get("coursekit", {})
        return cls(setup, test_setup, tests, order,
                   tuple(options.get("sandbox_allow", ["numpy"])),
                   tuple(options.get("sandbox_forbid", [])))


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


class Runner:
    """The sandboxed kernel of one submission, replaced and replayed when it dies."""

    def __init__(self, scratch: Path, plan: Plan, options: Options, report: Report):
        self.sandbox = Sandbox(scratch=scratch, allow=plan.allow, forbid=plan.forbid,
                               limits=options.limits, protected=options.protected)
        self.options = options
        self.report = report
        self.steps: list[tuple] = []  # ("code", source, timeout) or ("snapshot", key, names)
        self.kernel: SandboxKernel | None = None
        self.restarts = 0
        self.deadline = time.monotonic() + options.notebook_timeout

    def close(self) -> None:
        if self.kernel is not None:
            self.kernel.kill()

    def time_left(self) -> float:
        return self.deadline - time.monotonic()

    def run(self, source: str, timeout: float, where: str):
        """Run a cell in the sandbox; return its CellRun (or None when it cannot run)."""
        if not self._ready(where):
            return None
        timeout = min(timeout, max(self.time_left(), 0.1))
        try:
            run = self.kernel.execute(source, timeout=timeout)
        except KernelGone as gone:
            self.report.flags.append(f"{where}: not run ({gone.reason})")
            return None
        if run.status == "timeout":
            self.report.flags.append(f"{where} ran past its {timeout:.0f} s limit and was stopped")
        if run.status == "died" or not self.kernel.alive:
            self.report.flags.append(f"{where} stopped the kernel ({self.kernel.dead_reason})")
        else:
            self.steps.append(("code", source, timeout))
        return run

    def snapshot(self, key: str, names: list[str]) -> None:
        """Note what ``names`` are bound to now, for the test ``key``."""
        step = ("snapshot", key, names)
        if self._ready(f"the test cell {key}"):
            self._do(step)
            self.steps.append(step)

    def request(self, message: dict, timeout: float) -> dict:
        """An agent request; a kernel that dies on it is replaced before the next one."""
        if not self._ready("a test"):
            raise KernelGone(self.kernel.dead_reason if self.kernel else "no kernel")
        return self.kernel.request(message, timeout=max(0.1, min(timeout, self.time_left())))

    def _ready(self, where: str) -> bool:
        """A live kernel with the notebook's state, or False (flagged) when none can be had."""
        if self.kernel is not None and self.kernel.alive:
            return True
        if self.time_left() <= 0:
            self._flag_once(f"the notebook's {self.options.notebook_timeout:g} s limit was "
                            f"reached; {where} and what follows were not run")
            return False
        if self.kernel is not None:
            self.restarts += 1
            if self.restarts > MAX_RESTARTS:
                self._flag_once(f"the kernel died {MAX_RESTARTS + 1} times; "
                                f"{where} and what follows were not run")
                return False
        try:
            self.kernel = SandboxKernel(self.sandbox)
            for step in self.steps:
                self._do(step)
        except KernelGone as gone:
            self._flag_once(f"the sandboxed kernel could not be (re)started: {gone.reason}")
            if self.kernel is not None:
                self.kernel.kill()
            return False
        return True

    def _do(self, step: tuple) -> None:
        """Replay one recorded step (its outputs were kept the first time)."""
        if step[0] == "code":
            self.kernel.execute(step[1], timeout=step[2])
        else:
            names = repr(list(step[2]))
            self.kernel.execute(f"{AGENT}.snapshot({step[1]!r}, {names})", timeout=30,
                                silent=True)

    def _flag_once(self, text: str) -> None:
        if text not in self.report.flags:
            self.report.flags.append(text)


class Session:
    """The grader's link to one test's view of the sandbox (used by RemoteObject)."""

    def __init__(self, runner: Runner, setup_objects: dict[int, str], timeout: float):
        self.runner = runner
        self.setup_objects = setup_objects
        self.deadline = time.monotonic() + timeout

    def request(self, message: dict):
        reply = self.runner.request(message, timeout=self.deadline - time.monotonic())
        return decode_reply(self, reply)

    def encode(self, value) -> dict:
        """Trusted test inputs to wire form; student objects by reference."""
        if isinstance(value, RemoteObject):
            return {"t": "ref", "id": value._ref}
        if id(value) in self.setup_objects:
            return {"t": "name", "v": self.setup_objects[id(value)]}

        def refuse(obj):
            raise TypeError(f"a {type(obj).__name__} cannot be sent to the student's code")

        return wire.encode(value, refuse)

    def peak_bytes(self, target: RemoteObject, args) -> int:
        kernel = self.runner.kernel
        if kernel is None or not kernel.alive:
            raise KernelGone("the kernel is not running")
        _, peak = kernel.rss_peak_since_reset(lambda: target(*args))
        return peak


def judge(submission, source_nb, scratch: Path, options: Options = Options()):
    """Judge ``submission`` against ``source_nb``; return (judged notebook, Report).

    The submission is not modified; the judged copy has the student cells'
    sandbox outputs, one verdict output per test cell, restored test and
    read-only cells where the student deleted them, and the report in
    ``metadata.coursekit.report``.
    """
    start = time.monotonic()
    plan = Plan.from_source(source_nb)
    report = Report(protected=options.protected)
    if not options.protected:
        report.flags.append("UNPROTECTED: graded without the sandbox (--unprotected)")
    nb = copy.deepcopy(submission)
    _restore_missing_cells(nb, plan, report)
    report.flags.extend(_attempts(nb, plan))
    runner = Runner(scratch, plan, options, report)
    try:
        _run_in_sandbox(nb, plan, runner)
        _judge_tests(nb, plan, runner, options, report)
    finally:
        runner.close()
    report.seconds = time.monotonic() - start
    nb.metadata.setdefault("coursekit", {})["report"] = report.as_dict()
    return nb, report


# ---------------------------------------------------------------------- phase 1: the sandbox


def _run_in_sandbox(nb, plan: Plan, runner: Runner) -> None:
    """Run the setup and student cells in order; snapshot at each test cell."""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        cell.outputs, cell.execution_count = [], None
        if grade_id in plan.tests:
            runner.snapshot(grade_id, sorted(_free_names(plan.tests[grade_id].source)))
            continue
        if grade_id in plan.test_setup:
            continue
        where = f"cell {index + 1}" + (f" ({grade_id})" if grade_id else "")
        if grade_id in plan.setup:
            run = runner.run(plan.setup[grade_id], runner.options.setup_timeout, where)
            runner.snapshot(SETUP_KEY, sorted(_stored_names("\n".join(plan.setup.values()))))
        else:
            run = runner.run(cell.source, runner.options.cell_timeout, where)
        if run is not None:
            cell.outputs = run.outputs


# ---------------------------------------------------------------------- phase 2: the verdicts


def _judge_tests(nb, plan: Plan, runner: Runner, options: Options, report: Report) -> None:
    """Run each test cell's code in the grader, with the student's names as proxies."""
    namespace: dict = {"__name__": "__grader__"}
    for grade_id, cell in plan.order:
        if grade_id in plan.setup or grade_id in plan.test_setup:
            exec(compile(cell.source, f"<{grade_id}>", "exec"), namespace)  # trusted source
    current: dict = {}
    setup_objects = _sandbox_aware_setup(namespace, plan, current)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if cell.cell_type != "code" or grade_id not in plan.tests:
            continue
        test = plan.tests[grade_id]
        session = current["session"] = Session(runner, setup_objects, options.cell_timeout)
        passed, message = _run_test(test, namespace, session)
        report.tests[grade_id] = {"passed": passed, "message": message}
        cell.outputs = [_verdict_output(passed, message)]


def _sandbox_aware_setup(namespace: dict, plan: Plan, current: dict) -> dict[int, str]:
    """Let the setup cell's functions run where their arguments live.

    A function of the read-only setup cell (say ``train_one_step(layer, ...)``)
    called by a test with a student's object runs in the sandbox, on the
    sandbox's copy of the setup cell; called with plain data it runs here.
    Returns {id(function): name} so a test can also pass such a function to the
    student's code by name.
    """
    setup_names = _stored_names("\n".join(plan.setup.values()))
    objects = {}
    for name in sorted(setup_names):
        func = namespace.get(name)
        if inspect.isfunction(func) and func.__globals__ is namespace:
            namespace[name] = _either_side(func, name, current)
        if callable(namespace.get(name)):
            objects[id(namespace[name])] = name
    return objects


def _either_side(func, name: str, current: dict):
    """``func`` here, or its sandbox twin when an argument is a student's object."""

    @functools.wraps(func)
    def call(*args, **kwargs):
        if any(isinstance(a, RemoteObject) for a in (*args, *kwargs.values())):
            session = current["session"]
            return session.request({
                "op": "call", "name": name, "args": [session.encode(a) for a in args],
                "kwargs": [[k, session.encode(v)] for k, v in kwargs.items()],
            })
        return func(*args, **kwargs)

    return call


def _run_test(test: TestCell, namespace: dict, session: Session) -> tuple[bool, str]:
    """Run one test cell's code; return (passed, message for the student)."""
    filename = f"<test {test.grade_id}>"
    borrowed = [n for n in _free_names(test.source) if n not in namespace]
    try:
        for name in borrowed:
            try:
                namespace[name] = session.request({"op": "get", "key": test.grade_id,
                                                   "name": name})
            except NameError:
                pass  # not defined in the student's notebook: the test's NameError says so
        exec(compile(test.source, filename, "exec"), namespace)
    except KernelGone as gone:
        return False, f"Your code did not finish: {gone.reason}."
    except Exception as error:  # a failed check, or anything the student's code caused
        hidden = _failing_line(error, filename) in test.hidden_lines
        return False, _student_message(error, hidden)
    finally:
        for name in borrowed:
            namespace.pop(name, None)
    return True, "passed"


def _student_message(error: Exception, hidden: bool) -> str:
    """What the feedback says about a failure; nothing of a hidden test's code or values."""
    if hidden:
        if isinstance(error, RemoteError):
            return f"A hidden test of this cell failed: your code raised {error.kind}."
        return "A hidden test of this cell failed (hidden tests show no details)."
    if isinstance(error, AssertionError):
        return str(error) or "A check of this cell failed."
    if isinstance(error, RemoteError):
        return f"Your code raised {error.kind}: {error}"
    if isinstance(error, wire.WireError):
        return f"Your code's answer could not be read by the grader: {error}"
    if isinstance(error, NameError):
        return f"{error}: keep the function names of the assignment and run their cells."
    return f"{type(error).__name__}: {error}"


def _verdict_output(passed: bool, message: str):
    """The output nbgrader scores: a stdout line when passed, an error otherwise."""
    if passed:
        return nbformat.v4.new_output("stream", name="stdout", text="passed\n")
    return nbformat.v4.new_output("error", ename="TestFailed", evalue=message,
                                  traceback=[f"TestFailed: {message}"])


# ---------------------------------------------------------------------- helpers


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


def _hidden_lines(source: str) -> frozenset[int]:
    """1-based line numbers inside BEGIN/END HIDDEN TESTS regions (markers included)."""
    lines, inside = set(), False
    for number, line in enumerate(source.splitlines(), start=1):
        if HIDDEN_BEGIN.match(line):
            inside = True
        if inside:
            lines.add(number)
        if HIDDEN_END.match(line):
            inside = False
    return frozenset(lines)


def _free_names(source: str) -> set[str]:
    """Names the code reads but never binds itself (and that are not built-ins)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    loads = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)
             and isinstance(n.ctx, ast.Load)}
    return loads - _stored_names(source) - set(dir(builtins))


def _stored_names(source: str) -> set[str]:
    """Names the code binds (assignments, defs, classes, imports, loop targets...)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
    return names


def _failing_line(error: BaseException, filename: str) -> int:
    """The line of the test cell where ``error`` surfaced (0 if not in the cell)."""
    line = 0
    for frame in traceback.extract_tb(error.__traceback__):
        if frame.filename == filename:
            line = frame.lineno or 0
    return line


def read_notebook(path: Path):
    """Read a notebook for judging (nbformat 4)."""
    return nbformat.read(str(path), as_version=4)
