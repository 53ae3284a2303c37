"""Checks that the homework's test cells use, the same at home and in grading.

At home the student's functions are ordinary Python functions. In grading
they are :class:`coursekit.grader.remote.RemoteObject` proxies into the sandbox and
these checks run in the grader's own process, next to the reference values
computed there; every helper here works with both. A failed check raises
:class:`CheckFailure` (an AssertionError) with a message written for the
student; the grader shows it for visible tests only.
"""

from __future__ import annotations

import inspect
import tracemalloc

import numpy as np

NOT_ALLOWED = {"embref", "keras", "tensorflow", "tf", "torch"}


class CheckFailure(AssertionError):
    """A test found a wrong answer; the message says what and how to fix it."""


def _is_remote(func) -> bool:
    """True for the grader's proxy of a student's object."""
    from coursekit.grader.remote import RemoteObject

    return isinstance(func, RemoteObject)


def assert_numpy_only(func) -> None:
    """Fail if ``func`` refers to the reference or a deep-learning library.

    At home this reads the names the function's code mentions. In grading the
    function runs in a sandbox where only NumPy can be imported, so any other
    use fails when it is called; here it only checks that it is a function.
    """
    if _is_remote(func):
        if not func.is_callable:
            raise CheckFailure(f"{func!r} is not a function")
        return
    names, codes = set(), [func.__code__]
    while codes:
        code = codes.pop()
        names.update(code.co_names)
        codes.extend(c for c in code.co_consts if inspect.iscode(c))
    used = sorted(names & NOT_ALLOWED)
    if used:
        raise CheckFailure(f"{func.__name__} uses {', '.join(used)}: write it with NumPy only "
                           "(see the rules at the top)")


def check_array(result, expected, call, dtype=None, rtol=1e-6, atol=1e-6) -> None:
    """Fail with a helpful message unless ``result`` is an array equal to ``expected``.

    ``call`` describes the call in the message, e.g. "one_hot([0, 2, 1, 2], 3)".
    """
    if not isinstance(result, np.ndarray):
        raise CheckFailure(f"{call} returned a {type(result).__name__}; "
                           "expected a NumPy array (np.ndarray)")
    expected = np.asarray(expected)
    if result.shape != expected.shape:
        hint = ": keep the batch axes" if result.ndim != expected.ndim else ""
        raise CheckFailure(f"{call} returned shape {result.shape}; expected {expected.shape}{hint}")
    if dtype is not None and result.dtype != dtype:
        raise CheckFailure(f"{call} returned dtype {result.dtype}; expected {np.dtype(dtype)}")
    if result.dtype.kind not in "biuf":
        raise CheckFailure(f"{call} returned an array of dtype {result.dtype}; expected numbers")
    close = np.isclose(result, expected, rtol=rtol, atol=atol)
    if not close.all():
        where = tuple(int(i) for i in np.argwhere(~close)[0])
        raise CheckFailure(
            f"{call} returned wrong values at {int((~close).sum())} of {close.size} positions; "
            f"first at index {where}: got {result[where]!r}, expected {expected[where]!r}"
        )


def check_raises(call, func, *args, error, mention) -> None:
    """Fail unless ``func(*args)`` raises ``error`` with ``mention`` in its message."""
    try:
        func(*args)
    except error as exc:
        if mention not in str(exc):
            raise CheckFailure(f"{call} raised {type(exc).__name__}({str(exc)!r}); "
                               f"the message should contain {mention!r}") from None
    except Exception as exc:
        kind = getattr(exc, "kind", type(exc).__name__)
        raise CheckFailure(f"{call} raised {kind}; expected {error.__name__}") from None
    else:
        raise CheckFailure(f"{call} did not raise {error.__name__}")


def peak_bytes(func, *args) -> int:
    """Run ``func(*args)`` and return the most memory (bytes) it held at once.

    At home: Python's tracemalloc (NumPy reports its arrays to it). In grading:
    the growth of the sandboxed kernel's peak resident memory, read from
    outside the sandbox.
    """
    if _is_remote(func):
        return func.peak_bytes(*args)
    tracemalloc.start()
    try:
        func(*args)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
