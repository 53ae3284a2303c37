"""Run a student's code in a bubblewrap sandbox that sees only what grading allows.

The mechanism is `bubblewrap <https://github.com/containers/bubblewrap>`_
(Debian package ``bubblewrap``, command ``bwrap``): it builds the sandbox's
file system from an explicit list of read-only binds, so everything not named
here simply does not exist inside. Chosen over a dedicated Unix user because
it needs no account set-up, works unprivileged where user namespaces are
enabled (Debian's default) and as root, and denies by listing what is
allowed rather than by hoping every secret file has the right mode.

Inside the sandbox a process has:

* the operating system's ``/usr`` (libraries, fonts) read-only, its own
  ``/proc`` and ``/dev``; no ``/home``, ``/root``, ``/work``...; the root
  of its file system is read-only;
* the Python interpreter's standard library read-only, but none of its
  global site-packages;
* from the course's virtual environment only the *allowed distributions* and
  what they require (for example ``ipykernel`` + ``numpy``; ``keras`` and
  ``tensorflow-cpu`` only for assignments that use them), read-only; code an
  assignment forbids (:data:`FORBIDDEN`) replaced, in every copy on disk, by a
  stand-in, and its compiled bytecode gone;
* ``coursekit`` (not ``embref``) read-only under ``/opt/course``;
* a private, size-limited HOME (``/home/student``, a tmpfs) that is also its
  IPython and matplotlib profile, a private size-limited ``/tmp``, and the
  directory of the kernel's sockets; nothing else is writable;
* no network (its own empty network namespace), its own PID, IPC and UTS
  namespaces, no capabilities, user id 65534 ("nobody");
* limits, set with util-linux's ``prlimit``: address space (``RLIMIT_AS``),
  CPU seconds (``RLIMIT_CPU``), file size (``RLIMIT_FSIZE``) and open files.

:func:`command` returns the ``bwrap`` command line; :func:`check_available`
says clearly when the mechanism is missing.
"""

from __future__ import annotations

import functools
import importlib.metadata as metadata
import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import Requirement

KERNEL_DISTRIBUTIONS = ("ipykernel", "matplotlib")
"""What every sandboxed kernel may import, with their requirements."""

COURSEKIT = Path(__file__).resolve().parents[1]
"""This package's directory: bound read-only at ``/opt/course/coursekit``."""

_KERAS_STAND_IN = '''\
"""Stand-in for keras.layers.Embedding while an assignment asks for your own layer."""

from keras.src.api_export import keras_export
from keras.src.layers.layer import Layer


@keras_export("keras.layers.Embedding")
class Embedding(Layer):
    """Not available while this assignment is graded: write the layer yourself."""

    def __init__(self, *args, **kwargs):
        raise RuntimeError(
            "keras.layers.Embedding is not available in this assignment: the exercise is to "
            "write the layer yourself (subclass keras.layers.Layer)."
        )
'''

_TF_KERAS_STAND_IN = '''\
"""Stand-in for TensorFlow's bundled old copy of the Keras Embedding layer."""

from tensorflow.python.keras.engine.base_layer import Layer


class Embedding(Layer):
    """Not available while this assignment is graded: write the layer yourself."""

    def __init__(self, *args, **kwargs):
        raise RuntimeError(
            "keras.layers.Embedding (and TensorFlow's old copy of it) is not available in this "
            "assignment: the exercise is to write the layer yourself (subclass "
            "keras.layers.Layer)."
        )
'''

FORBIDDEN = {
    "keras.layers.Embedding": (
        # Keras' own layer: keras.layers.Embedding, keras.src.layers.Embedding, the
        # registry entry "keras.layers.Embedding" (so keras.layers.deserialize and
        # keras.saving) and every subclass (ReversibleEmbedding) resolve to this module.
        ("keras/src/layers/core/embedding.py", _KERAS_STAND_IN),
        # The legacy Keras 2 that tensorflow-cpu still ships (tensorflow.python.keras,
        # imported by `import tensorflow` itself): a complete, working Embedding layer.
        ("tensorflow/python/keras/layers/embeddings.py", _TF_KERAS_STAND_IN),
    ),
}
"""What an assignment can take away from the sandbox: name -> every copy of its code on disk.

Each copy is (site-packages file, stand-in text); the first is the code's home
and must exist whenever its distribution is in the sandbox, the others are
replaced where they exist. Forbidden means unreachable, so for each copy the
sandbox rebuilds the file's directory (read-only) from the real one with:

* the stand-in in place of the file (importing or reloading the module, or
  reading its source, gives the stand-in);
* none of the file's compiled bytecode: not ``__pycache__/<stem>.*.pyc`` of
  any interpreter or optimisation level (the names
  :func:`importlib.util.cache_from_source` gives included), nor a legacy
  ``<stem>.pyc`` or any other ``<stem>.*`` file beside it, all of which
  ``importlib.machinery.SourcelessFileLoader`` or ``marshal`` would run;
* nothing the host adds to the directory later (a grading process that
  imports the real module and writes its bytecode cache while the sandbox
  runs).

A new copy (a package in an allowed closure that ships one) must be added
here; ``tests/test_sandbox.py`` searches the sandbox's site-packages for
copies this list does not know.
"""

INSTALL_HINT = (
    "Grading runs every submission inside bubblewrap, which is missing or not usable here. "
    "Install Debian's package with `apt-get install bubblewrap` (the Makefile's `make sandbox` "
    "does it), or pass --unprotected to grade WITHOUT a sandbox (every report will say so)."
)


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create a sandbox on this machine."""


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandboxed process (and its children)."""

    memory_bytes: int = 4 * 2**30
    cpu_seconds: int = 600
    file_bytes: int = 256 * 2**20
    open_files: int = 256
    home_bytes: int = 256 * 2**20

    def prlimit(self) -> list[str]:
        """util-linux's ``prlimit`` prefix that sets the limits, then runs the command.

        (Not a ``preexec_fn``: that is unsafe in a process with threads, such
        as a grading worker that has imported TensorFlow.)
        """
        limits = {"as": self.memory_bytes, "cpu": self.cpu_seconds, "fsize": self.file_bytes,
                  "nofile": self.open_files, "core": 0}
        return ["prlimit", *(f"--{name}={value}" for name, value in limits.items()), "--"]


@dataclass(frozen=True)
class Sandbox:
    """What one sandboxed process may see and use.

    Attributes:
        scratch: the only writable directory (created if missing); HOME.
        allow: distribution names the code may import, besides the kernel's.
        limits: resource limits.
        protected: False runs the command as is, without bubblewrap (only with
            the instructor's explicit --unprotected; reports say so).
        forbid: names of FORBIDDEN whose stand-ins replace the real code.
    """

    scratch: Path
    allow: tuple[str, ...] = ("numpy",)
    forbid: tuple[str, ...] = ()
    limits: Limits = field(default_factory=Limits)
    protected: bool = True

    def environment(self) -> dict[str, str]:
        """The whole environment of the sandboxed process (nothing is inherited)."""
        # Inside the sandbox HOME is a size-limited tmpfs; unprotected, the scratch directory.
        home = Path("/home/student") if self.protected else self.scratch
        return {
            "HOME": str(home),
            "IPYTHONDIR": str(home / ".ipython"),
            "MPLCONFIGDIR": str(home / ".config" / "matplotlib"),
            "MPLBACKEND": "agg",
            "PYTHONPATH": "/opt/course" if self.protected else str(COURSEKIT.parent),
            "PYTHONNOUSERSITE": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "KERAS_BACKEND": "tensorflow",
            "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            # Large arrays always get their own mapping and go back to the system when
            # freed, so the grader's outside measure of peak memory sees every one.
            "MALLOC_MMAP_THRESHOLD_": "65536",
            "MALLOC_TRIM_THRESHOLD_": "131072",
        }

    def command(self, argv: list[str]) -> list[str]:
        """The command line that runs ``argv`` inside this sandbox (``argv`` if unprotected)."""
        self.scratch.mkdir(parents=True, exist_ok=True)
        if not self.protected:
            return list(argv)
        home = Path(self.environment()["HOME"])
        args = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session",
                "--cap-drop", "ALL", "--uid", "65534", "--gid", "65534", "--clearenv"]
        args += _system_binds()
        # Private, size-limited writable places first, so that what is bound next (the
        # interpreter, the virtual environment, the socket directory: any of them may
        # live under /tmp on the host, a CI clone for one) stays visible on top of them.
        for writable in (home, Path("/tmp"), Path("/dev/shm")):
            args += ["--size", str(self.limits.home_bytes), "--tmpfs", str(writable)]
        args += _python_binds(_closure((*KERNEL_DISTRIBUTIONS, *self.allow)))
        args += self._stand_ins()
        args += ["--ro-bind", str(COURSEKIT), "/opt/course/coursekit"]
        args += ["--bind", str(self.scratch), str(self.scratch)]
        if self.forbid:
            # The stand-ins live in the scratch directory: read-only there too.
            args += ["--ro-bind", str(self._stand_in_folder), str(self._stand_in_folder)]
        for sub in (".ipython", ".config/matplotlib"):
            args += ["--dir", str(home / sub)]
        args += ["--remount-ro", "/", "--chdir", str(home)]
        for key, value in self.environment().items():
            args += ["--setenv", key, value]
        return [*args, "--", *argv]

    @property
    def _stand_in_folder(self) -> Path:
        return self.scratch / "stand-ins"

    def _stand_ins(self) -> list[str]:
        """Binds that replace every copy of the forbidden code (see FORBIDDEN)."""
        site = Path(sysconfig.get_paths()["purelib"])
        bound = _site_entries(tuple(sorted(_closure((*KERNEL_DISTRIBUTIONS, *self.allow)))))
        replaced: dict[Path, dict[str, Path]] = {}  # directory -> {file name: stand-in}
        for name in self.forbid:
            if name not in FORBIDDEN:
                raise SandboxUnavailable(
                    f"Unknown forbidden name {name!r}: known {sorted(FORBIDDEN)}")
            for index, (relative, text) in enumerate(FORBIDDEN[name]):
                target = site / relative
                if Path(relative).parts[0] not in bound:
                    continue  # not in this sandbox at all
                if not target.is_file():
                    if index == 0:
                        raise SandboxUnavailable(
                            f"{name} cannot be forbidden: its code is no longer at {target} "
                            "(update coursekit.grader.sandbox.FORBIDDEN for this version).")
                    continue
                stand_in = self._stand_in_folder / relative
                stand_in.parent.mkdir(parents=True, exist_ok=True)
                stand_in.write_text(text)
                replaced.setdefault(target.parent, {})[target.name] = stand_in
        args = []
        for directory, files in sorted(replaced.items()):
            args += _rebuilt(directory, files)
        return args

    def popen(self, argv: list[str], **kwargs) -> subprocess.Popen:
        """Start ``argv`` in the sandbox, with the limits applied."""
        return subprocess.Popen([*self.limits.prlimit(), *self.command(argv)],
                                env=self.environment(), cwd=self.scratch,
                                start_new_session=True, **kwargs)


def check_available() -> None:
    """Raise SandboxUnavailable (saying how to fix it) unless bwrap can run a sandbox here."""
    if shutil.which("bwrap") is None:
        raise SandboxUnavailable(INSTALL_HINT)
    probe = Sandbox(scratch=Path(os.environ.get("TMPDIR", "/tmp")) / "coursekit-probe", allow=())
    probe.scratch.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(probe.command([sys.executable, "-c", "print('ok')"]),
                          env=probe.environment(), capture_output=True, text=True, timeout=60)
    if done.returncode != 0 or done.stdout.strip() != "ok":
        raise SandboxUnavailable(f"{INSTALL_HINT}\nbwrap said: {done.stderr.strip()[-500:]}")


def _system_binds() -> list[str]:
    """/usr and the merged-/usr links, a minimal /etc, private /tmp, /proc, /dev."""
    args = ["--ro-bind", "/usr", "/usr", "--proc", "/proc", "--dev", "/dev"]
    for name in ("bin", "lib", "lib64", "sbin"):
        path = Path("/") / name
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    for name in ("ld.so.cache", "localtime", "fonts", "ssl/certs"):
        args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    return args


def _python_binds(distributions: Iterable[str]) -> list[str]:
    """The interpreter, its standard library, and the allowed site-packages entries only."""
    base = Path(sys.base_prefix)
    venv = Path(sys.prefix)
    site = Path(sysconfig.get_paths()["purelib"])
    args = ["--ro-bind", str(base), str(base)]
    base_site = base / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    args += ["--tmpfs", str(base_site / "site-packages")]
    if venv != base:
        args += ["--ro-bind", str(venv / "pyvenv.cfg"), str(venv / "pyvenv.cfg")]
        args += ["--ro-bind", str(venv / "bin"), str(venv / "bin")]
        args += ["--tmpfs", str(site)]
    for entry in sorted(_site_entries(tuple(sorted(distributions)))):
        args += ["--ro-bind", str(site / entry), str(site / entry)]
    return args


@functools.cache
def _closure(names: tuple[str, ...]) -> frozenset[str]:
    """The distributions ``names`` and everything they require (markers evaluated)."""
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = _canonical(todo.pop())
        if name in seen:
            continue
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            raise SandboxUnavailable(f"Distribution {name!r} is not installed.") from None
        seen.add(name)
        for line in requires:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return frozenset(seen)


@functools.cache
def _site_entries(distributions: tuple[str, ...]) -> frozenset[str]:
    """Top-level site-packages entries (packages, modules, .libs, dist-info) of distributions."""
    entries = set()
    for name in distributions:
        for file in metadata.distribution(name).files or []:
            top = Path(str(file)).parts[0]
            if top not in ("..", "__pycache__") and not top.endswith(".pth"):
                entries.add(top)
    site = Path(sysconfig.get_paths()["purelib"])
    return frozenset(e for e in entries if (site / e).exists())


def _canonical(name: str) -> str:
    """PEP 503 normalised distribution name."""
    return name.lower().replace("_", "-").replace(".", "-")


def bytecode_names(source: Path) -> frozenset[str]:
    """Names of the compiled bytecode files that belong to the module file ``source``.

    Every ``<stem>.<tag>[.opt-N].pyc`` of the ``__pycache__`` beside it, for any
    interpreter (the names :func:`importlib.util.cache_from_source` gives this
    one, at every optimisation level, are among them), and the legacy sourceless
    ``<stem>.pyc`` / ``<stem>.pyo`` beside the source.
    """
    ours = {Path(importlib.util.cache_from_source(str(source), optimization=level)).name
            for level in ("", 1, 2)}
    found = set()
    for folder in (source.parent / "__pycache__", source.parent):
        if folder.is_dir():
            found.update(entry for entry in os.listdir(folder)
                         if entry.startswith(source.stem + ".") and entry != source.name)
    return frozenset(ours | found)


def _rebuilt(directory: Path, stand_ins: dict[str, Path]) -> list[str]:
    """Binds that rebuild ``directory`` read-only with ``stand_ins`` (file name -> stand-in)
    in place of its files, and without their bytecode or any other ``<stem>.*`` beside them.

    The rebuilt directory is a fresh tmpfs holding binds of the other entries as they
    are now, so nothing the host adds to the real one later shows through.
    """
    stems = tuple(Path(name).stem + "." for name in stand_ins)
    hidden = set().union(*(bytecode_names(directory / name) for name in stand_ins))

    def kept(name: str) -> bool:
        return name not in hidden and not name.startswith(stems)

    args = ["--tmpfs", str(directory)]
    for entry in sorted(os.listdir(directory)):
        path = directory / entry
        if entry in stand_ins:
            args += ["--ro-bind", str(stand_ins[entry]), str(path)]
        elif entry == "__pycache__" and path.is_dir() and not path.is_symlink():
            args += ["--dir", str(path)]
            for cached in sorted(os.listdir(path)):
                if kept(cached):
                    args += _bind_as_is(path / cached)
        elif kept(entry):
            args += _bind_as_is(path)
    return [*args, "--remount-ro", str(directory)]


def _bind_as_is(path: Path) -> list[str]:
    """A read-only bind of ``path`` onto itself (a symbolic link stays one)."""
    if path.is_symlink():
        return ["--symlink", os.readlink(path), str(path)]
    if path.is_dir() or path.is_file():
        return ["--ro-bind", str(path), str(path)]
    return []  # sockets, FIFOs and the like have no place in site-packages
