"""How a test cell is judged (issue #14): Restart & Run All at the test's place, verdicts
decided outside the student's process, hidden tests kept hidden, everything bounded.

The fast tests judge small notebooks written here with the real judge (a real
sandboxed kernel, NumPy only); the slow ones check the two_views class graded
by the real command (tests/samples/judging.py) against a real Restart & Run All
of the same submission in a plain Jupyter kernel.
"""

from __future__ import annotations

import re

import nbformat
import pytest
from grading_support import (
    SAMPLES,
    feedback_text,
    notebook_name,
    release_of,
    report_of,
    source_of,
)
from nbclient import NotebookClient
from samples.judging import BOUNDS, LEAK_MARKERS, LEAKS

from coursekit.grader import messages, wire
from coursekit.grader.channel import AgentChannel, ChannelClosed, ReplyTooLarge
from coursekit.grader.judge import Options, judge
from coursekit.grader.remote import RemoteObject, remote_error

# ----------------------------------------------------------------- small notebooks


def _cell(role: str, grade_id: str, source: str, points: int = 1):
    flags = {"setup": (False, False, True), "solution": (False, True, False),
             "test": (True, False, True)}[role]
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {"grade": flags[0], "solution": flags[1], "locked": flags[2],
                                 "grade_id": grade_id, "schema_version": 3, "task": False}
    if role == "test":
        cell.metadata["nbgrader"]["points"] = points
    return cell


def _notebook(*cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    nb.metadata["coursekit"] = {"sandbox_allow": ["numpy"]}
    return nb


def _judge(tmp_path, source_nb, submission=None, **options):
    judged, report = judge(submission or source_nb, source_nb, tmp_path,
                           Options(cell_timeout=options.pop("cell_timeout", 5), **options))
    return judged, report


SETUP = _cell("setup", "setup", "import numpy as np\nx0 = np.arange(3.0)")


def test_a_test_sees_the_notebook_at_its_place(tmp_path):
    """A later cell that rebinds a global the answer uses does not change an earlier test;
    a test after it sees the rebinding (both as at home)."""
    nb = _notebook(
        SETUP,
        _cell("solution", "answer", "def helper(v):\n    return v * 2\n\n"
                                    "def double(v):\n    return helper(v)"),
        _cell("test", "before", '"""."""\nassert double(2) == 4'),
        nbformat.v4.new_code_cell("for helper in range(3):\n    pass"),
        _cell("test", "after", '"""."""\nassert double(2) == 4'),
    )
    _, report = _judge(tmp_path, nb)
    assert report.tests["before"]["passed"]
    assert not report.tests["after"]["passed"]
    assert "'int' object is not callable" in report.tests["after"]["message"]


def test_an_argument_changed_in_place_is_changed_in_the_test(tmp_path):
    """An array the student's function changes in place is changed for the rest of the test
    cell, read back by the grader from the memory it shares with the sandbox."""
    nb = _notebook(
        SETUP,
        _cell("solution", "answer", "def bump(v):\n    v[0] += 10\n    return None"),
        _cell("test", "mutation_seen", '"""."""\nx = x0.copy()\nbump(x)\n'
                                       "assert x[0] == 10 and x[1] == 1, x\n"
                                       "y = x0[::-1].copy()[::2]  # a strided view\nbump(y)\n"
                                       "assert y[0] == 12, y"),
        _cell("test", "unchanged", '"""."""\nx = x0.copy()\nbump(x)\n'
                                   'assert (x == x0).all(), "bump changed its input"'),
    )
    _, report = _judge(tmp_path, nb)
    assert report.tests["mutation_seen"]["passed"], report.tests
    assert report.tests["unchanged"] == {"passed": False, "message": "bump changed its input",
                                         "category": "wrong value"}


def test_hidden_failures_say_only_a_category(tmp_path):
    """A hidden test's failure says a fixed sentence: no type name, message or exit code; a
    visible test after it shows nothing recorded during the hidden call."""
    student = ("import os\nSEEN = []\n"
               "def f(v):\n    SEEN.append(v)\n"
               "    if v == 41:\n        raise type('Secret41', (ValueError,), {})('41')\n"
               "    if v == 42:\n        os._exit(42)\n    return v\n"
               "def g():\n    return list(SEEN)")
    source = _notebook(
        SETUP,
        _cell("solution", "answer", student),
        _cell("test", "raises", '"""."""\nassert f(1) == 1\n### BEGIN HIDDEN TESTS\n'
                                "assert f(41) == 41\n### END HIDDEN TESTS"),
        _cell("test", "exits", '"""."""\n### BEGIN HIDDEN TESTS\nassert f(42) == 42\n'
                               "### END HIDDEN TESTS"),
        _cell("test", "later", '"""."""\nassert g() == [1], f"seen: {g()}"'),
    )
    judged, report = _judge(tmp_path, source)
    assert report.tests["raises"]["message"] == messages.hidden_failure("error", True)
    assert report.tests["exits"]["message"] == messages.hidden_failure("crash", True)
    # In the scored run `later` sees what the hidden calls left (and fails), but its
    # message is the fixed one: the recorded 41 never reaches the student.
    assert report.tests["later"]["message"] == messages.hidden_failure("wrong value", False)
    shown = str([cell.get("outputs") for cell in judged.cells])
    assert "Secret41" not in shown and "42" not in shown


def test_objects_inside_answers_go_back_to_the_students_code(tmp_path):
    """A dict that holds one of the student's objects (a config with an initializer, say)
    can be passed back to the student's code, as at home."""
    nb = _notebook(
        SETUP,
        _cell("solution", "answer", "class Part:\n    pass\n\n"
                                    "def config():\n    return {'part': Part(), 'size': 1}\n\n"
                                    "def rebuild(c):\n"
                                    "    return c['size'] + isinstance(c['part'], Part)"),
        _cell("test", "round_trip", '"""."""\nassert rebuild(config()) == 2'),
    )
    _, report = _judge(tmp_path, nb)
    assert report.tests["round_trip"]["passed"], report.tests


def test_time_limit_message_names_the_cell_limit(tmp_path):
    """A test that runs out of time says the limit that applies, and the next test runs."""
    nb = _notebook(
        SETUP,
        _cell("solution", "answer", "def slow():\n    while True:\n        pass"),
        _cell("test", "times_out", '"""."""\nslow()'),
        _cell("test", "next", '"""."""\nassert 1 + 1 == 2'),
    )
    _, report = _judge(tmp_path, nb, cell_timeout=3)
    assert report.tests["times_out"]["message"].startswith(
        "Your code did not finish: it ran past the 3 s limit of a test cell")
    assert report.tests["next"]["passed"]


def test_messages_are_clean_and_bounded():
    """No terminal colour codes, no dangling colon, bounded length, no grader internals."""
    error = remote_error({"type": "ValueError", "builtin": "ValueError",
                          "message": "\x1b[1mbad\x1b[0m value"})
    assert messages.visible_failure(error) == "Your code raised ValueError: bad value"
    empty = remote_error({"type": "KeyError", "builtin": "KeyError", "message": ""})
    assert messages.visible_failure(empty) == "Your code raised KeyError."
    long = messages.visible_failure(AssertionError("x" * 10_000))
    assert len(long) <= messages.MAX_MESSAGE_CHARS + 20
    assert repr(RemoteObject(None, {"id": 1, "type": "MaxNorm"})) == "<MaxNorm object>"


def test_a_reply_over_the_limit_is_never_read(tmp_path):
    """The channel refuses a reply that announces more than MAX_FRAME bytes."""
    import socket
    import struct
    import threading
    import time

    path = tmp_path / "agent.sock"
    channel = AgentChannel(path)

    def agent():
        peer = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        peer.connect(str(path))
        peer.recv(100)
        peer.sendall(struct.pack("!Q", 10 * 2**30))
        time.sleep(0.5)
        peer.close()

    thread = threading.Thread(target=agent)
    thread.start()
    channel.accept(time.monotonic() + 5, lambda: True)
    with pytest.raises(ReplyTooLarge, match="10240 MiB"):
        channel.request({"op": "len"}, time.monotonic() + 5, lambda: True)
    thread.join()
    with pytest.raises(ChannelClosed):
        channel.request({"op": "len"}, time.monotonic() + 5, lambda: True)


def test_wire_bounds_text(monkeypatch):
    """Strings count against a value's budget like array bytes."""
    monkeypatch.setattr(wire, "MAX_BYTES", 1000)
    tree = wire.encode(["y" * 2000], lambda obj: None)
    with pytest.raises(wire.WireError, match="more than 1000 bytes"):
        wire.decode(tree, lambda node: None)


# ----------------------------------------------------------------- the two_views class

ASSIGNMENT = "two_views"


def _home_run(sample) -> nbformat.NotebookNode:
    """Restart & Run All of the sample, as the student has it (the release), in a plain
    kernel: errors are recorded and the run goes on, as in grading."""
    nb = sample.build(release_of(ASSIGNMENT), source_of(ASSIGNMENT))
    NotebookClient(nb, timeout=120, allow_errors=True, kernel_name="python3").execute()
    return nb


def _seen(text: str) -> list[str]:
    return re.findall(r"seen: \[[0-9, ]*\]", text)


@pytest.mark.slow
@pytest.mark.parametrize("sample", LEAKS[:2], ids=lambda s: s.name)
def test_what_a_student_sees_is_restart_and_run_all(graded_class, sample):
    """The outputs and visible messages in the feedback are those of Restart & Run All of
    the release: what one_hot recorded in hidden calls never shows."""
    course = graded_class(ASSIGNMENT)
    home = "\n".join(str(o.get("text", "")) + str(o.get("evalue", ""))
                     for c in _home_run(sample).cells for o in c.get("outputs", []))
    shown = feedback_text(course.dir, ASSIGNMENT, sample.name)
    assert _seen(home), home[-2000:]
    assert set(_seen(shown)) == set(_seen(home))


@pytest.mark.slow
@pytest.mark.parametrize("sample", LEAKS, ids=lambda s: s.name)
def test_hidden_inputs_do_not_reach_the_feedback(graded_class, sample):
    """No type name, exit code or signal from a hidden call is in the student's feedback;
    hidden failures use the fixed wording."""
    course = graded_class(ASSIGNMENT)
    judged = nbformat.read(course.dir / "autograded" / sample.name / ASSIGNMENT /
                           notebook_name(ASSIGNMENT), as_version=4)
    shown = str([cell.get("outputs", []) for cell in judged.cells])  # what feedback renders
    assert not [m for m in LEAK_MARKERS if m in shown]
    report = report_of(course.dir, ASSIGNMENT, sample.name)
    fixed = {messages.hidden_failure(kind, where) for kind in messages.CATEGORIES
             for where in (True, False)}
    for verdict in report["tests"].values():
        if not verdict["passed"] and "hidden" in verdict["message"]:
            assert verdict["message"] in fixed


@pytest.mark.slow
@pytest.mark.parametrize("sample", BOUNDS, ids=lambda s: s.name)
def test_huge_answers_cost_only_their_limits(graded_class, sample):
    """Gigantic answers, prints and messages leave a small judged notebook and feedback."""
    course = graded_class(ASSIGNMENT)
    name = notebook_name(ASSIGNMENT)
    judged = course.dir / "autograded" / sample.name / ASSIGNMENT / name
    feedback = course.dir / "feedback" / sample.name / ASSIGNMENT / name.replace(".ipynb",
                                                                                   ".html")
    limit = 8 * 2**20
    assert judged.stat().st_size < limit and feedback.stat().st_size < limit
    message = report_of(course.dir, ASSIGNMENT, sample.name)["tests"]["one_hot_worked_example"]
    assert "over the grader's" in message["message"], message


def test_every_judging_sample_is_in_the_class():
    """The judging samples are part of the two_views class (graded with the others)."""
    names = {s.name for s in SAMPLES[ASSIGNMENT]}
    assert {s.name for s in LEAKS + BOUNDS} | {"later_rebinding"} <= names
