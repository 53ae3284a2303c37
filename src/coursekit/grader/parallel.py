"""Judging a class in parallel on Dask distributed: a local cluster, or any cluster by address.

Why Dask distributed: the same code runs on a laptop (``LocalCluster``, one
worker process per core) and on a cluster (a scheduler address: dask-jobqueue
for SLURM/PBS/SGE/LSF, dask-kubernetes or the Dask Helm chart, SSH, or cloud
VMs through dask-cloudprovider); it retries a task whose worker died, streams
results as they complete (``as_completed``) so the coordinator can record and
report each one at once, and keeps worker processes alive between tasks, so
the grader side of a TensorFlow assignment imports TensorFlow once per
worker, not once per submission.

The division of labour: a worker runs :func:`judge_job` (the student's code
in a sandboxed kernel on that worker's machine, the verdicts in the worker
process) and returns the judged notebook as JSON. The coordinator alone talks
to nbgrader's gradebook: it sanitises each submission, hands it to the
workers, and writes every result through nbgrader's own autograde pipeline.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import nbformat

from coursekit.grader.judge import Options, judge
from coursekit.grader.sandbox import Limits


def judge_job(notebook_json: str, source_json: str, options: dict) -> str:
    """Judge one sanitised notebook (JSON) against its source; return the judged notebook."""
    options = dict(options)  # the same dict travels with every job: never change it
    limits = Limits(**options.pop("limits"))
    with tempfile.TemporaryDirectory(prefix="coursekit-judge-") as scratch:
        judged, _ = judge(nbformat.reads(notebook_json, as_version=4),
                          nbformat.reads(source_json, as_version=4), Path(scratch),
                          Options(**options, limits=limits))
    return nbformat.writes(judged)


def options_as_dict(options: Options) -> dict:
    """Options in a form that travels to workers."""
    return dataclasses.asdict(options)


class Engine:
    """Where judging runs: in this process (workers=0), a local cluster, or a scheduler."""

    def __init__(self, workers: int | None = None, scheduler: str | None = None):
        self.workers = (os.cpu_count() or 1) if workers is None else workers
        self.scheduler = scheduler
        self.client = None
        self.cluster = None

    def __enter__(self) -> Engine:
        if self.scheduler or self.workers > 0:
            import dask
            from distributed import Client, LocalCluster

            # A task whose worker dies is tried once more on another worker, then reported.
            dask.config.set({"distributed.scheduler.allowed-failures": 1,
                             "distributed.worker.daemon": False,
                             "distributed.logging.distributed": "error"})
            if self.scheduler:
                self.client = Client(self.scheduler)
            else:
                self.cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1,
                                            processes=True, dashboard_address=":0",
                                            silence_logs=logging.ERROR)
                self.client = Client(self.cluster)
        return self

    def __exit__(self, *exc) -> None:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    @property
    def description(self) -> str:
        """A few words for the report."""
        if self.scheduler:
            return f"Dask scheduler {self.scheduler}"
        if self.workers > 0:
            return f"a local Dask cluster of {self.workers} workers"
        return "this process (no workers)"

    def judge_all(self, jobs: Iterable[tuple[str, tuple]],
                  function=judge_job) -> Iterator[tuple[str, object]]:
        """Run ``function(*args)`` (default :func:`judge_job`) for each (key, args); yield
        (key, its result or the exception) as each finishes, in the order they finish."""
        jobs = list(jobs)
        if self.client is None:
            for key, args in jobs:
                try:
                    yield key, function(*args)
                except Exception as error:  # reported per submission, never fatal
                    yield key, error
            return
        from distributed import as_completed

        futures = {self.client.submit(function, *args, key=f"judge-{key}", pure=False,
                                      retries=1): key for key, args in jobs}
        for future in as_completed(futures):
            try:
                yield futures[future], future.result()
            except Exception as error:  # a task that failed twice, or a worker that died twice
                yield futures[future], error
