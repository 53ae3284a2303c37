"""Speed of the embref reference against TensorFlow: ``python -m coursekit.bench``.

Prints, for N=4096 ids, D=64 and V = 1e2 .. 1e5, the best-of-several time of

* ``copy``:        ``np.copyto`` of an (N, D) float32 array into a preallocated
                   one, the physical floor for producing the output;
* ``gather_view``: the reference (input checks + ``np.take``);
* ``np.take`` and ``W[ids]``: the bare NumPy gathers, to see what the checks cost;
* ``dense_view``:  the reference one-hot @ W (few repeats: 1.56 GiB at V=1e5);
* ``tf.gather`` and the eager call of a ``keras.layers.Embedding``;

then the ratios dense/gather and copy/gather (the fraction of memory-copy
throughput the reference gather reaches) and PASS/MISS against the target
``time(gather_view) <= 2 * time(copy)``. It prints figures; it is not a test.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import time

import numpy as np

import embref

N, D = 4096, 64
VOCABS = (100, 1_000, 10_000, 100_000)
TARGET = 2.0  # gather_view may take at most this many times the copy floor


def best_time(fn, repeats: int = 11, min_seconds: float = 2e-3, warmup: bool = True) -> float:
    """Best-of-``repeats`` seconds per call of ``fn``.

    Each repeat times a loop of ``number`` calls, with ``number`` doubled until
    one loop lasts ``min_seconds`` (so microsecond calls are not timer noise).
    """
    if warmup:
        fn()
    number = 1
    while True:
        start = time.perf_counter()
        for _ in range(number):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds or number >= 1 << 14:
            break
        number *= 2
    best = elapsed / number
    for _ in range(repeats - 1):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def measure(V: int, keras, tf, rng) -> dict:
    """Time every method for one vocabulary size V; returns seconds per call."""
    table = rng.standard_normal((V, D), dtype=np.float32)  # (V, D)
    ids = rng.integers(0, V, size=N)  # (N,) int64
    source = np.ascontiguousarray(table[ids])  # (N, D), the bytes the copy moves
    out = np.empty_like(source)  # (N, D), preallocated
    tf_table, tf_ids = tf.constant(table), tf.constant(ids)
    layer = keras.layers.Embedding(V, D, weights=[table])
    dense_repeats = 7 if V <= 1_000 else 3 if V <= 10_000 else 2
    return {
        "copy": best_time(lambda: np.copyto(out, source)),
        "gather_view": best_time(lambda: embref.gather_view(ids, table)),
        "np.take": best_time(lambda: np.take(table, ids, axis=0)),
        "W[ids]": best_time(lambda: table[ids]),
        "dense_view": best_time(
            lambda: embref.dense_view(ids, table),
            repeats=dense_repeats,
            warmup=V < 100_000,  # at V=1e5 the best of 2 runs is warm enough
        ),
        "tf.gather": best_time(lambda: tf.gather(tf_table, tf_ids)),
        "keras call": best_time(lambda: layer(tf_ids)),
    }


def format_table(results: dict) -> str:
    """A Markdown table: times in microseconds, ratios, and the PASS/MISS verdict."""
    header = (
        "| V | one-hot MiB | copy floor us | gather_view us | np.take us | W[ids] us "
        "| dense_view ms | tf.gather us | Keras call us | dense/gather | copy/gather | target |"
    )
    lines = [header, "|" + "---:|" * 11 + ":---:|"]
    for V, t in results.items():
        one_hot_mib = embref.view_costs(N, V, D)["one_hot_bytes"] / 2**20
        fraction = t["copy"] / t["gather_view"]
        verdict = "PASS" if t["gather_view"] <= TARGET * t["copy"] else "MISS"
        lines.append(
            f"| {V:,} | {one_hot_mib:,.1f} | {t['copy'] * 1e6:.1f} | {t['gather_view'] * 1e6:.1f} "
            f"| {t['np.take'] * 1e6:.1f} | {t['W[ids]'] * 1e6:.1f} | {t['dense_view'] * 1e3:,.2f} "
            f"| {t['tf.gather'] * 1e6:.1f} | {t['keras call'] * 1e6:.1f} "
            f"| {t['dense_view'] / t['gather_view']:,.0f}x | {fraction:.2f} | {verdict} |"
        )
    return "\n".join(lines)


def describe_machine(keras, tf) -> str:
    """One line with the date, CPU count and the library versions."""
    return (
        f"{datetime.date.today().isoformat()}, {platform.machine()} {platform.system()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, NumPy {np.__version__}, "
        f"TensorFlow {tf.__version__}, Keras {keras.__version__}"
    )


def main(argv=None) -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--vocab", type=int, nargs="+", default=list(VOCABS),
        help="vocabulary sizes V to measure (default: 100 1000 10000 100000)",
    )
    args = parser.parse_args(argv)
    from coursekit.quiet import import_tensorflow

    keras = import_tensorflow()
    import tensorflow as tf

    rng = np.random.default_rng(0)
    print(f"N={N} ids, D={D}, float32; best of several runs (time.perf_counter).")
    print(describe_machine(keras, tf))
    start = time.perf_counter()
    results = {V: measure(V, keras, tf, rng) for V in args.vocab}
    print(format_table(results))
    print(
        f"target: gather_view <= {TARGET:g} x copy floor (copy/gather >= {1 / TARGET:g}); "
        f"whole run {time.perf_counter() - start:.0f} s"
    )


if __name__ == "__main__":
    main()
