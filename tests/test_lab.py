"""`make lab`: JupyterLab in the course environment, headless.

Each test starts the real command (`make lab`, with ARGS for a loopback port
and a token, and COURSE for an instructor's course), waits for the server's
/api/status, asks its REST API what a browser would load, and always stops the
whole process group afterwards.

- Without COURSE the server's root is the repository and jupytext's contents
  manager serves the chapters (MyST Markdown) as notebooks; the course
  environment's JupyterLab setting opens Markdown files as notebooks on a
  double click.
- With COURSE (a directory made by coursekit.grading, as `make grade` does)
  the server runs in the course, so nbgrader's formgrader reads the course's
  nbgrader_config.py and shows its assignments, submissions and scores.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

from coursekit import grading

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Lab:
    """A `make lab` server on a loopback port: url, a session with the token, its log."""

    def __init__(self, tmp: Path, course: Path | None = None):
        self.port, self.token = free_port(), secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"token {self.token}"
        args = (
            f"--no-browser --ip=127.0.0.1 --port={self.port} --ServerApp.token={self.token}"
            " --ServerApp.port_retries=0"
        )
        command = ["make", "-s", "--no-print-directory", "lab", f"ARGS={args}"]
        if course is not None:
            command.append(f"COURSE={course}")
        # The user's own Jupyter settings and runtime files stay out of the test.
        env = {
            **os.environ,
            "JUPYTER_CONFIG_DIR": str(tmp / "config"),
            "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
            "JUPYTERLAB_SETTINGS_DIR": str(tmp / "lab-user-settings"),
            "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "lab-workspaces"),
        }
        self.log = tmp / "lab.log"
        self._log = self.log.open("wb")
        self.process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True,  # make and jupyter in one process group, stopped together
        )

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"`make lab` exited with {self.process.returncode}:\n{self.tail()}")
            try:
                if self.http.get(f"{self.url}/api/status", timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.5)
        pytest.fail(f"JupyterLab did not answer /api/status within {timeout} s:\n{self.tail()}")

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.http.get(f"{self.url}{path}", timeout=30, **kwargs)

    def tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self._log.close()
        self.http.close()


def running_lab(tmp: Path, course: Path | None = None):
    lab = Lab(tmp, course)
    try:
        lab.wait_ready()
        yield lab
    finally:
        lab.stop()


@pytest.fixture(scope="module")
def repo_lab(tmp_path_factory):
    """`make lab`: the course environment on the repository."""
    yield from running_lab(tmp_path_factory.mktemp("lab"))


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course as `make grade` leaves it: made from the repository, two_views released,
    one correct submission graded in the sandbox."""
    from grading_support import SAMPLES, submit_sample

    course = grading.make_course(tmp_path_factory.mktemp("course") / "course")
    grading.release(course, "two_views")
    (sample,) = [s for s in SAMPLES["two_views"] if s.name == "correct_alternative"]
    submit_sample(course, "two_views", sample)
    (result,) = grading.grade(course, "two_views", workers=0)
    assert result.status == "graded", result
    return course


@pytest.fixture(scope="module")
def course_lab(tmp_path_factory, course):
    """`make lab COURSE=...`: an instructor's JupyterLab on a course."""
    yield from running_lab(tmp_path_factory.mktemp("course-lab"), course)


def test_chapters_open_as_notebooks(repo_lab):
    """jupytext's contents manager serves a MyST chapter as a notebook with code cells."""
    response = repo_lab.get("/api/contents/book/two_views.md", params={"type": "notebook",
                                                                       "content": 1})
    assert response.status_code == 200, response.text[:500]
    model = response.json()
    assert model["type"] == "notebook"
    cells = model["content"]["cells"]
    code = [cell["source"] for cell in cells if cell["cell_type"] == "code"]
    assert len(code) >= 3
    assert any("import_tensorflow" in source for source in code)
    assert model["content"]["metadata"]["kernelspec"]["name"] == "python3"


def test_markdown_opens_as_a_notebook_on_double_click(repo_lab):
    """The course environment's JupyterLab default viewer of .md files is jupytext's notebook."""
    response = repo_lab.get("/lab/api/settings/@jupyterlab/docmanager-extension:plugin")
    assert response.status_code == 200
    viewers = response.json()["schema"]["properties"]["defaultViewers"]["default"]
    assert viewers.get("markdown") == "Jupytext Notebook"


def test_lab_has_the_course_extensions(repo_lab):
    """JupyterLab's page loads and the server runs jupytext and nbgrader's extensions."""
    assert repo_lab.get("/lab").status_code == 200
    log = repo_lab.log.read_text(errors="replace")
    for extension in ("jupyterlab_jupytext", "nbgrader.server_extensions.formgrader"):
        assert f"{extension} | extension was successfully loaded" in log, repo_lab.tail()


def test_formgrader_shows_the_course(course_lab, course):
    """With COURSE, the formgrader answers; its API lists the course's assignment (paths
    relative to the course: the server runs there), the submission and its score."""
    page = course_lab.get("/formgrader")  # redirects to its assignment list
    assert page.status_code == 200, page.text[:500]
    assert "nbgrader" in page.text.lower()
    assert "not a subdirectory" not in page.text  # nbgrader's 'bad setup' page
    response = course_lab.get("/formgrader/api/assignments")
    assert response.status_code == 200, response.text[:500]
    assignments = {a["name"]: a for a in response.json()}
    assert "two_views" in assignments, assignments
    two_views = assignments["two_views"]
    assert two_views["source_path"] == "source/two_views"
    assert two_views["release_path"] == "release/two_views"
    assert two_views["max_score"] > 0  # points recorded in the course's gradebook
    assert two_views["num_submissions"] == 1
    response = course_lab.get("/formgrader/api/submissions/two_views")
    assert response.status_code == 200, response.text[:500]
    scores = {s["student"]: (s["score"], s["max_score"]) for s in response.json()}
    assert scores == {"correct_alternative": (two_views["max_score"], two_views["max_score"])}
    students = course_lab.get("/formgrader/api/students").json()
    assert [s["id"] for s in students] == ["correct_alternative"]


def test_lab_refuses_a_folder_that_is_not_a_course(tmp_path):
    """`make lab COURSE=...` on a folder without nbgrader_config.py says so and stops."""
    done = subprocess.run(
        ["make", "-s", "--no-print-directory", "lab", f"COURSE={tmp_path}"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode != 0
    assert "no nbgrader_config.py" in done.stdout + done.stderr
