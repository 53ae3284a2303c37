"""The course package for students: embref + coursekit installed without the repository.

The homework page (book/homework.md, "What you need installed") offers the
wheel that `make dist` builds and a copy of constraints.txt, with one pip
command. This test builds the wheel from a copy of the sources, creates a
fresh virtual environment, runs the page's own pip command there, then
executes a released assignment's set-up cells, a correct answer and its
visible test cells in that environment's Jupyter kernel, as a student would.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
HOMEWORK = REPO / "book" / "homework.md"
ASSIGNMENT = REPO / "exercises" / "two_views" / "two_views.ipynb"

pytestmark = pytest.mark.slow

# A correct one_hot, written for this test (the visible tests judge it).
ONE_HOT = '''
def one_hot(indices, input_dim):
    ids = np.asarray(indices)
    return (ids[..., None] == np.arange(input_dim)).astype(np.float32)
'''
# The last cell: where the course's modules were imported from, and what went wrong.
REPORT = '''
import json, sys
import coursekit, embref, keras
print(json.dumps({"python": sys.executable, "embref": embref.__file__,
                  "coursekit": coursekit.__file__, "keras": keras.__file__,
                  "numpy": np.__version__, "keras_version": keras.__version__}))
'''
VISIBLE_TESTS = ("one_hot_worked_example", "one_hot_keeps_batch_axes", "one_hot_matches_keras")


def install_command() -> list[str]:
    """The `pip install ...` line of the homework page's "What you need installed"."""
    text = HOMEWORK.read_text()
    section = text.split("## What you need installed", 1)[1].split("\n## ", 1)[0]
    lines = [line.strip() for line in section.splitlines()
             if line.strip().startswith("pip install ")]
    assert len(lines) == 1, f"expected one pip install line in the section, found {lines}"
    return shlex.split(lines[0])


def pins(path: Path) -> dict[str, str]:
    """{normalised name: version} of the name==version lines of a requirements file."""
    found = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s;#]+)", line.strip())
        if match:
            found[re.sub(r"[-_.]+", "-", match.group(1)).lower()] = match.group(2)
    return found


def run(command, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True, **kwargs)
    assert done.returncode == 0, (
        f"{shlex.join(map(str, command))} failed ({done.returncode}):\n"
        f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel, built like `make dist` does but from a copy of the sources (the
    repository's tree is left alone: pip builds in the source folder)."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    shutil.copytree(REPO / "src", source / "src",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    started = time.monotonic()
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
         str(source), "-w", str(tmp / "dist")])
    print(f"\nwheel built in {time.monotonic() - started:.1f} s")
    (built,) = (tmp / "dist").glob("*.whl")
    return built


def test_wheel_holds_the_two_packages_and_nothing_of_the_course(wheel):
    """The wheel has embref and coursekit, and no tests, solutions or chapters."""
    import zipfile

    names = zipfile.ZipFile(wheel).namelist()
    distribution, version = wheel.name.split("-")[:2]
    tops = {name.split("/")[0] for name in names}
    assert tops == {"embref", "coursekit", f"{distribution}-{version}.dist-info"}
    assert "embref/__init__.py" in names and "coursekit/quiet.py" in names


def test_homework_page_names_this_wheel_and_the_tested_versions(wheel):
    """The page's pip command installs this wheel, with -c constraints.txt, and pins
    exactly the versions of requirements.txt / constraints.txt."""
    command = install_command()
    assert command[:2] == ["pip", "install"]
    assert wheel.name in command
    assert command[command.index("-c") + 1] == "constraints.txt"
    required, locked = pins(REPO / "requirements.txt"), pins(REPO / "constraints.txt")
    pinned = {}
    for arg in command[2:]:
        if "==" in arg:
            name, version = arg.split("==")
            pinned[re.sub(r"[-_.]+", "-", name).lower()] = version
    assert {"tensorflow-cpu", "keras", "numpy"} <= set(pinned)
    for name, version in pinned.items():
        assert required.get(name, locked.get(name)) == version, (name, version)
    assert "jupyterlab" in command  # the homework is a notebook: students need Jupyter
    assert "jupyterlab" in locked  # ... and constraints.txt pins it


@pytest.fixture(scope="module")
def student_env(tmp_path_factory, wheel) -> Path:
    """A fresh virtual environment with what the homework page's command installs."""
    tmp = tmp_path_factory.mktemp("student")
    downloads = tmp / "downloads"  # the two files the page offers, in one folder
    downloads.mkdir()
    shutil.copy2(wheel, downloads / wheel.name)
    shutil.copy2(REPO / "constraints.txt", downloads / "constraints.txt")
    venv = tmp / "venv"
    base_python = getattr(sys, "_base_executable", None) or shutil.which("python3.11")
    started = time.monotonic()
    run([base_python, "-m", "venv", str(venv)])
    command = install_command()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    run([str(venv / "bin" / "python"), "-m", *command, "-q"], cwd=downloads, env=env)
    print(f"\nfresh environment created and the page's pip command run in "
          f"{time.monotonic() - started:.1f} s")
    return venv


def student_notebook():
    """The released two_views notebook cut to: set-up cells, one_hot (answered) and its
    visible tests, then a report cell."""
    release = nbformat.read(ASSIGNMENT, as_version=4)
    by_id = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in release.cells}
    cells = [by_id["setup"], by_id["test_setup"]]
    answer = nbformat.v4.new_code_cell(ONE_HOT)
    answer.metadata = by_id["one_hot"].metadata
    cells.append(answer)
    cells += [by_id[name] for name in VISIBLE_TESTS]
    cells.append(nbformat.v4.new_code_cell(REPORT))
    notebook = nbformat.v4.new_notebook(metadata=release.metadata, cells=cells)
    for cell in notebook.cells:
        cell.outputs, cell.execution_count = [], None
    return notebook


def test_released_assignment_runs_in_the_fresh_environment(student_env, tmp_path):
    """The release's set-up cells and one_hot's visible tests pass in the fresh
    environment's kernel, with embref and coursekit imported from that environment
    and no stderr (TensorFlow's start-up lines) in any cell."""
    work = tmp_path / "homework"
    work.mkdir()
    nbformat.write(student_notebook(), work / "two_views.ipynb")
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "JUPYTER_PATH", "JUPYTER_CONFIG_DIR")}
    env.update(
        PATH=f"{student_env / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        PYTHONNOUSERSITE="1",
        JUPYTER_DATA_DIR=str(tmp_path / "jupyter-data"),  # no user kernelspecs
        JUPYTER_RUNTIME_DIR=str(tmp_path / "jupyter-runtime"),
    )
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # as on a student's machine: coursekit quiets TF
    started = time.monotonic()
    run([str(student_env / "bin" / "jupyter"), "nbconvert", "--to", "notebook", "--execute",
         "--ExecutePreprocessor.timeout=180", "--output", "executed.ipynb", "two_views.ipynb"],
        cwd=work, env=env, timeout=600)
    print(f"\nset-up and visible tests executed in {time.monotonic() - started:.1f} s")
    executed = nbformat.read(work / "executed.ipynb", as_version=4)
    for cell in executed.cells:
        errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
        assert errors == [], cell.source[:200]
        stderr = [o.text for o in cell.get("outputs", [])
                  if o.output_type == "stream" and o.name == "stderr"]
        assert stderr == [], f"stderr in {cell.source[:80]!r}: {stderr}"
    report = json.loads(executed.cells[-1].outputs[-1].text)
    for name in ("python", "embref", "coursekit", "keras"):
        assert report[name].startswith(f"{student_env}/"), (name, report)
        assert not report[name].startswith(str(REPO)), (name, report)
    locked = pins(REPO / "constraints.txt")
    assert report["numpy"] == locked["numpy"]
    assert report["keras_version"] == locked["keras"]
