"""Holding off Python's cyclic garbage collector while a short command works.

Reading a long case makes a million small objects that hold no cycles to
collect, and so does building the case format's pydantic models when a
command first imports them. With the collector on, its passes over those
objects cost time and find nothing: on a 2,000-meeting case they tripled
``mend log``'s edit (1.6 s against 4.4 s), and they cost ``mend log``'s
start-up about 3 % of its imports (counted in instructions). Reference
counting still frees everything as usual; only cycles wait until the
collector is back on, at the end of the block.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def no_gc() -> Iterator[None]:
    """The collector off for the block (or the decorated function), as it was after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def spare_exit() -> None:
    """Let the process exit without walking its objects again: call it last.

    While Python shuts down it runs full collections, and each walks every
    object still alive: the modules, pydantic's schemas, WeasyPrint's
    tables. With the case format's models loaded that is some 30 ms a pass,
    about a tenth of ``mend log``'s time on a 2,000-meeting case. Freezing
    moves them all into the permanent generation, which no collection walks;
    the memory goes back with the process. Only for a process that ends
    right after (the ``mend`` command, not a test calling :func:`main`):
    frozen objects are never collected. A cycle left to collect then goes
    unfinalised, which Python never promised at exit anyway; mend closes
    what it writes itself (``output.atomic_write``).
    """
    gc.freeze()
