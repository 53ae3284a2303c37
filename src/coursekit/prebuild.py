"""Execute the book's chapters in parallel into the execution cache, before Sphinx runs.

Jupyter Book 1 executes the chapters one after the other while Sphinx reads
them (``execute_notebooks: cache``). Each chapter spends most of its time
starting a kernel and importing TensorFlow, so on a machine with several
cores the book builds much faster when the chapters that are not cached yet
run side by side first. This module reads each chapter exactly as myst-nb
does (so the cache keys match), executes the missing ones in a process pool
with myst-nb's settings (working directory = the chapter's folder, no errors
allowed, the configured time limit), and stores them in ``_build/.jupyter_cache``;
the Sphinx build then finds every chapter cached. A chapter that fails is left
out of the cache: Sphinx executes it again and reports its error as usual.

    python -m coursekit.prebuild [--jobs N]      (make book does this)
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / "_build" / ".jupyter_cache"


def chapters(root: Path = ROOT) -> list[Path]:
    """The Markdown notebooks (jupytext header) listed in _toc.yml."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    files = [toc["root"]]
    stack = list(toc.get("parts", [])) + list(toc.get("chapters", []))
    while stack:
        entry = stack.pop(0)
        if "file" in entry:
            files.append(entry["file"])
        stack[:0] = entry.get("chapters", []) + entry.get("sections", [])
    paths = [root / f"{name}.md" for name in files]
    return [p for p in paths if p.is_file() and p.read_text().startswith("---\njupytext:")]


def read_like_myst_nb(path: Path):
    """The notebook myst-nb makes of a chapter (same cells, metadata and so cache key)."""
    from myst_nb.core.read import read_myst_markdown_notebook
    from myst_parser.config.main import MdParserConfig

    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    extensions = set(config.get("parse", {}).get("myst_enable_extensions", []))
    md_config = MdParserConfig(enable_extensions=extensions)
    return read_myst_markdown_notebook(path.read_text(), config=md_config,
                                       add_source_map=True, path=str(path))


def _execute(path_text: str, timeout: int) -> tuple[str, str, float, str]:
    """Execute one chapter; return (path, executed notebook JSON, seconds, error)."""
    from jupyter_cache.executors.utils import single_nb_execution

    path = Path(path_text)
    notebook = read_like_myst_nb(path)
    result = single_nb_execution(notebook, cwd=str(path.parent), allow_errors=False,
                                 timeout=timeout, meta_override=True)
    error = "" if result.err is None else f"{type(result.err).__name__}: {result.err}"
    return path_text, nbformat.writes(notebook), result.time, error


def prebuild(jobs: int, timeout: int) -> int:
    """Execute the chapters missing from the cache, ``jobs`` at a time; return how many."""
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    cache = get_cache(str(CACHE))
    missing = []
    for path in chapters():
        try:
            cache.match_cache_notebook(read_like_myst_nb(path))
        except KeyError:
            missing.append(path)
    if not missing:
        return 0
    start = time.monotonic()
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(_execute, str(p), timeout) for p in missing]
        for future in futures:
            path, text, seconds, error = future.result()
            name = Path(path).relative_to(ROOT)
            if error:
                print(f"prebuild: {name} failed ({error[:200]}); Sphinx will run it again")
                continue
            cache.cache_notebook_bundle(
                CacheBundleIn(nbformat.reads(text, as_version=4), path,
                              data={"execution_seconds": seconds, "prebuild": True}),
                check_validity=False, overwrite=True)
            print(f"prebuild: {name} executed in {seconds:.1f} s")
    print(f"prebuild: {len(missing)} chapters in {time.monotonic() - start:.1f} s "
          f"on {jobs} processes")
    return len(missing)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    timeout = int(config.get("execute", {}).get("timeout", 300))
    prebuild(args.jobs, timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
