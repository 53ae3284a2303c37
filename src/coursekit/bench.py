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
``time(gather_view) <= 2 * time(copy)``.

Second table, the backward pass dL/dW of an (N, D) float32 output gradient,
a scatter-add into a (V, D) table (``BACKWARD`` lists the variants):
``np.add.at`` on rows (what ``embref.embedding_backward`` runs), the reference
with its checks, NumPy-only alternatives (``np.add.at`` on the flattened
table, ``np.bincount`` with weights, sort + ``np.add.reduceat``), the dense
``one_hot.T @ G`` (the product only: the forward pass already built the
one-hot matrix), and ``tf.math.unsorted_segment_sum`` (what TensorFlow does
to densify the ``IndexedSlices`` gradient) for comparison. Every variant is
checked against ``np.add.at`` before it is timed, and the buffered
``dW[ids] += G`` is shown to fail that check. It prints figures; it is not a
test.
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
BACKWARD_TOLERANCE = 1e-5  # relative to max |dW|: float32 sums in another order


# --- The backward pass: scatter-add of G (N, D) into a (V, D) table. -------------
# Every variant takes ids (N,) int64 in 0..V-1, G (N, D) float32 and V, and
# returns dW (V, D) float32 with dW[v] = sum of G[i] over all i with ids[i] == v.


def scatter_add_at(ids, grad, V):
    """``np.add.at`` on rows: the unbuffered scatter-add embref uses."""
    out = np.zeros((V, grad.shape[1]), dtype=grad.dtype)  # (V, D)
    np.add.at(out, ids, grad)
    return out


def scatter_add_at_flat(ids, grad, V):
    """``np.add.at`` on the flattened table: one scalar index per element.

    Same additions in the same order as ``scatter_add_at`` (bit-identical),
    but a 1-D ``ufunc.at`` over N*D scalars instead of N rows. The positions
    are computed in np.intp, so int32 ids cannot overflow when V*D >= 2**31.
    """
    D = grad.shape[1]
    flat = (ids.astype(np.intp)[:, None] * D + np.arange(D)).ravel()  # (N*D,) in dW.ravel()
    out = np.zeros(V * D, dtype=grad.dtype)  # (V*D,)
    np.add.at(out, flat, grad.ravel())
    return out.reshape(V, D)


def scatter_bincount_flat(ids, grad, V):
    """One ``np.bincount`` with weights over the flattened table.

    bincount sums in float64, so the result is rounded once (not
    bit-identical to float32 ``np.add.at``, and slightly more accurate).
    """
    D = grad.shape[1]
    flat = (ids.astype(np.intp)[:, None] * D + np.arange(D)).ravel()  # (N*D,)
    sums = np.bincount(flat, weights=grad.ravel(), minlength=V * D)  # (V*D,) float64
    return sums.astype(grad.dtype).reshape(V, D)


def scatter_bincount_columns(ids, grad, V):
    """``np.bincount`` with weights, once per column d (D calls of length V)."""
    columns = [np.bincount(ids, weights=grad[:, d], minlength=V) for d in range(grad.shape[1])]
    return np.stack(columns, axis=1).astype(grad.dtype)  # (V, D)


def scatter_sort_reduceat(ids, grad, V):
    """Sort the ids, sum each run of equal ids with ``np.add.reduceat``, write once."""
    order = np.argsort(ids, kind="stable")  # (N,)
    sorted_ids = ids[order]
    starts = np.flatnonzero(np.r_[True, sorted_ids[1:] != sorted_ids[:-1]])  # first of each run
    out = np.zeros((V, grad.shape[1]), dtype=grad.dtype)  # (V, D)
    out[sorted_ids[starts]] = np.add.reduceat(grad[order], starts, axis=0)  # unique rows
    return out


def scatter_one_hot_matmul(ids, grad, V):
    """The dense route: ``one_hot(ids, V).T @ G`` (an (N, V) matrix, N*V*D multiply-adds)."""
    encoded = np.zeros((ids.size, V), dtype=grad.dtype)  # (N, V)
    encoded[np.arange(ids.size), ids] = 1
    return encoded.T @ grad  # (V, N) @ (N, D) -> (V, D)


def scatter_buffered(ids, grad, V):
    """WRONG on purpose: ``dW[ids] += G`` keeps one contribution per repeated id."""
    out = np.zeros((V, grad.shape[1]), dtype=grad.dtype)
    out[ids] += grad
    return out


BACKWARD = {  # name -> function; the first is the reference every other is checked against
    "np.add.at": scatter_add_at,
    "embedding_backward": lambda ids, grad, V: embref.embedding_backward(ids, grad, V),
    "add.at flat": scatter_add_at_flat,
    "bincount flat": scatter_bincount_flat,
    "bincount cols": scatter_bincount_columns,
    "sort+reduceat": scatter_sort_reduceat,
    "one_hot.T @ G": scatter_one_hot_matmul,
}
NUMPY_SCATTER_ADDS = ("np.add.at", "add.at flat", "bincount flat", "bincount cols", "sort+reduceat")


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


def same_as_reference(result, reference) -> bool:
    """Whether a scatter-add result matches np.add.at up to float32 summation order."""
    scale = float(np.abs(reference).max(initial=0.0)) or 1.0
    return result.shape == reference.shape and bool(
        np.all(np.abs(result - reference) <= BACKWARD_TOLERANCE * scale)
    )


def measure_backward(V: int, tf, rng) -> tuple[dict, dict]:
    """Check, then time every backward variant for one V.

    Returns (seconds per call, bit-identical to np.add.at) per variant name.
    Raises AssertionError if a variant disagrees with np.add.at, or if the
    deliberately wrong buffered version does not (the check must have teeth).
    """
    ids = rng.integers(0, V, size=N)  # (N,) int64, with repeats at every V here
    grad = rng.standard_normal((N, D), dtype=np.float32)  # (N, D) = dL/dY
    reference = scatter_add_at(ids, grad, V)  # (V, D)
    assert np.unique(ids).size < N, "the ids must repeat for the check to mean anything"
    assert not same_as_reference(scatter_buffered(ids, grad, V), reference), (
        "the buffered dW[ids] += G passed the check: the check is too loose"
    )
    tf_ids, tf_grad = tf.constant(ids), tf.constant(grad)
    variants = dict(BACKWARD)
    variants["tf segment_sum"] = lambda ids, grad, V: tf.math.unsorted_segment_sum(
        tf_grad, tf_ids, V
    ).numpy()
    times, identical = {}, {}
    for name, fn in variants.items():
        result = fn(ids, grad, V)
        assert same_as_reference(result, reference), f"{name} differs from np.add.at at V={V}"
        identical[name] = bool(np.array_equal(result, reference))
        if name == "one_hot.T @ G":  # the forward pass built the one-hot matrix: time the product
            encoded = np.zeros((N, V), dtype=grad.dtype)  # (N, V)
            encoded[np.arange(N), ids] = 1
            repeats = 7 if V <= 1_000 else 3 if V <= 10_000 else 2
            times[name] = best_time(
                lambda x=encoded: x.T @ grad, repeats=repeats, warmup=V < 100_000
            )
            del encoded
        else:
            times[name] = best_time(lambda f=fn: f(ids, grad, V), repeats=7)
    return times, identical


def format_backward_table(results: dict) -> str:
    """A Markdown table of the backward variants: microseconds, and the fastest NumPy one."""
    names = list(results[next(iter(results))][0])
    header = "| V | " + " | ".join(
        f"{n} ms" if n == "one_hot.T @ G" else f"{n} us" for n in names
    ) + " | fastest NumPy scatter-add | np.add.at / fastest |"
    lines = [header, "|" + "---:|" * (len(names) + 1) + ":---|---:|"]
    for V, (t, _) in results.items():
        cells = [
            f"{t[n] * 1e3:,.2f}" if n == "one_hot.T @ G" else f"{t[n] * 1e6:,.0f}" for n in names
        ]
        fastest = min(NUMPY_SCATTER_ADDS, key=t.get)
        lines.append(
            f"| {V:,} | " + " | ".join(cells)
            + f" | {fastest} | {t['np.add.at'] / t[fastest]:.1f}x |"
        )
    identical = sorted(
        n for n in names if all(same[n] for _, same in results.values())
    )
    lines.append("")
    lines.append(
        "All variants match np.add.at (max |difference| <= "
        f"{BACKWARD_TOLERANCE:g} x max |dW|); bit-identical at every V: {', '.join(identical)}."
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
    parser.add_argument(
        "--part", choices=("all", "forward", "backward"), default="all",
        help="forward (gather vs one-hot), backward (scatter-add variants) or both",
    )
    args = parser.parse_args(argv)
    from coursekit.quiet import import_tensorflow

    keras = import_tensorflow()
    import tensorflow as tf

    rng = np.random.default_rng(0)
    print(f"N={N} ids, D={D}, float32; best of several runs (time.perf_counter).")
    print(describe_machine(keras, tf))
    if args.part in ("all", "forward"):
        start = time.perf_counter()
        results = {V: measure(V, keras, tf, rng) for V in args.vocab}
        print(format_table(results))
        print(
            f"target: gather_view <= {TARGET:g} x copy floor (copy/gather >= {1 / TARGET:g}); "
            f"whole run {time.perf_counter() - start:.0f} s"
        )
    if args.part in ("all", "backward"):
        start = time.perf_counter()
        backward = {V: measure_backward(V, tf, rng) for V in args.vocab}
        print()
        print(f"Backward pass dL/dW: scatter-add of an ({N}, {D}) float32 gradient into (V, {D}).")
        print(format_backward_table(backward))
        print(f"backward run {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
