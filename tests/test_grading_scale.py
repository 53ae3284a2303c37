"""Grading a class at scale: parallel workers, interruption, worker deaths, PostgreSQL.

The judging engine (coursekit.grader.parallel, Dask distributed) is checked with
tasks that kill their worker; the instructor's command is killed mid-class
and run again; and a small class is graded into a real PostgreSQL server
started for the test from Debian's packages.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from grading_support import SAMPLES, expected_score, graded, run_main, source_of, submit_sample

from coursekit import grading
from coursekit.grader.parallel import Engine

ASSIGNMENT = "two_views"
POINTS = graded(source_of(ASSIGNMENT))
HONEST = [s for s in SAMPLES[ASSIGNMENT] if s.name in (
    "correct_alternative", "untouched", "partial", "one_hot_gather", "float64_dense_view",
    "casting_check_indices", "noisy_correct", "float_only_check_indices")]


def die_once(marker: str, value: int) -> int:
    """A task that kills its worker the first time it runs, and answers the second time."""
    if not os.path.exists(marker):
        Path(marker).write_text("died")
        os._exit(1)
    return value * 2


def die_always(value: int) -> int:
    """A task that kills every worker it runs on."""
    os._exit(1)


@pytest.mark.slow
def test_a_dead_worker_loses_no_job(tmp_path):
    """A job whose worker dies is run again on another worker; a job that kills every
    worker is reported as an error after its retry, and the other jobs still finish."""
    marker = str(tmp_path / "died-once")
    jobs = [("once", (marker, 21))]
    with Engine(workers=2) as engine:
        results = dict(engine.judge_all(jobs, function=die_once))
        assert results == {"once": 42}
        results = dict(engine.judge_all([("always", (1,))], function=die_always))
    assert isinstance(results["always"], Exception), results


@pytest.mark.slow
def test_killing_the_command_mid_class_resumes_to_the_same_gradebook(tmp_path, repo):
    """`make grade` killed (SIGKILL) after some students were recorded: the next run grades
    only those missing, and every student ends with the score of an uninterrupted run."""
    course = grading.make_course(tmp_path / "course", repo)
    grading.release(course, ASSIGNMENT)
    with open(course / "nbgrader_config.py", "a") as config:
        config.write("\nc.JudgeInSandbox.cell_timeout = 10\n")
    for sample in HONEST:
        submit_sample(course, ASSIGNMENT, sample)
    state = course / ".coursekit" / f"{ASSIGNMENT}.json"
    command = [sys.executable, "-m", "coursekit.grading", "--course", str(course),
               "--assignment", ASSIGNMENT, "--workers", "2"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        if state.is_file() and len(json.loads(state.read_text() or "{}")) >= 2:
            break
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    recorded = set(json.loads(state.read_text()))
    assert 2 <= len(recorded) < len(HONEST), recorded
    again = run_main(course, ASSIGNMENT, "--workers", "2")
    assert again.code == 0, again.err
    regraded = set(re.findall(r"\] (\w+): graded", again.out))
    assert regraded == {s.name for s in HONEST} - recorded, again.out
    scores = grading.scores(course, ASSIGNMENT)
    assert {s: v.score for s, v in scores.items()} == {
        s.name: expected_score(s, POINTS) for s in HONEST}


def _postgres_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not found:
        pytest.fail("PostgreSQL is not installed: `make postgres` installs Debian's package")
    return found[-1].parent


@pytest.fixture(scope="module")
def postgres_url():
    """A PostgreSQL server of its own (Unix socket only, no TCP), with a database `gradebook`."""
    bindir = _postgres_bin()
    data = Path(tempfile.mkdtemp(prefix="coursekit-pg-"))
    prefix = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root: use Debian's postgres user
        shutil.chown(data, "postgres")
        prefix = ["runuser", "-u", "postgres", "--"]

    def run(*args):
        subprocess.run([*prefix, *args], check=True, capture_output=True, text=True)

    run(str(bindir / "initdb"), "-D", str(data / "db"), "-A", "trust", "-U", "grader")
    run(str(bindir / "pg_ctl"), "-D", str(data / "db"), "-l", str(data / "log"), "-w",
        "-o", f"-k {data} -c listen_addresses=''", "start")
    try:
        run(str(bindir / "createdb"), "-h", str(data), "-U", "grader", "gradebook")
        yield f"postgresql+psycopg://grader@/gradebook?host={data}"
    finally:
        run(str(bindir / "pg_ctl"), "-D", str(data / "db"), "-m", "immediate", "stop")
        shutil.rmtree(data, ignore_errors=True)


@pytest.mark.slow
def test_a_class_graded_into_postgresql(tmp_path, postgres_url):
    """With --db-url the gradebook is a PostgreSQL database: the class is graded into it
    and the same scores are read back (and exported to CSV)."""
    course = tmp_path / "course"
    first = run_main(course, ASSIGNMENT, "--db-url", postgres_url)
    assert first.code == 2 and "No submissions" in first.err, first.err
    assert not (course / "gradebook.db").exists()
    chosen = HONEST[:3]
    for sample in chosen:
        submit_sample(course, ASSIGNMENT, sample)
    second = run_main(course, ASSIGNMENT)
    assert second.code == 0, second.err
    from nbgrader.api import Gradebook

    with Gradebook(postgres_url, course_id="embedding-course") as gradebook:
        stored = {s.student.id: s.score for s in gradebook.find_assignment(ASSIGNMENT).submissions}
    assert stored == {s.name: expected_score(s, POINTS) for s in chosen}
    assert not (course / "gradebook.db").exists()
    assert "grades.csv" in second.out
