"""Holding off Python's cyclic garbage collector while a short command works.

Reading a long case makes a million small objects that hold no cycles to
collect, and so does building the case format's pydantic models when a
command first imports them. With the collector on, its passes over those
objects cost time and find nothing: on a 2,000-meeting case they tripled
``mend log``'s edit (1.6 s against 4.4 s), and they cost ``mend log``'s
start-up about 3 % of its imports (counted in instructions). A
one-document command (``mend agreement CASE``) is the same: its passes
walked the case models, Jinja, Markdown and WeasyPrint's imports again and
again, a quarter of a second of collections for one PDF (against a tenth
for WeasyPrint alone), to free a megabyte. Reference counting still frees
everything as usual; only cycles wait until the collector is back on, at
the end of the block.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

#: Set by :func:`one_command`: this process ends when its command does.
_ENDING = False


@contextlib.contextmanager
def no_gc() -> Iterator[None]:
    """The collector off for the block (or the decorated function), as it was after.

    Turned back on, the collector's next pass walks every object the block
    made and kept: 0.13 s after one agreement PDF. In a process that ends
    with its command (:func:`one_command`) they are frozen first, as
    :func:`spare_exit` does at the very end: nothing after the block lives
    long enough to miss their collection.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            if _ENDING:
                gc.freeze()
            gc.enable()


def one_command() -> None:
    """Say that this process ends when its command does: the ``mend`` command.

    Not for a process that goes on (tests calling :func:`generator.cli.main`,
    ``mend serve``'s rebuilds): what a frozen object holds is never collected.
    """
    global _ENDING
    _ENDING = True


def long_running() -> None:
    """Say that this process outlives its command after all: ``mend serve``."""
    global _ENDING
    _ENDING = False


def spare(value: object) -> None:
    """Leave ``value`` unfreed when this process ends with its command.

    Freeing a case that was read walks it again object by object: the
    node tree, the values, the models. For a 2,000-meeting case that is
    some 4 % of ``mend log``, spent just before the process ends and all
    its memory goes back at once. In such a process (:func:`one_command`)
    ``value`` is put in a reference cycle, which no collection frees: the
    collector is off in the command (:func:`no_gc`) and the cycle frozen
    after it. Anywhere else (tests, ``mend serve``) this does nothing, and
    ``value`` is freed as usual.
    """
    if _ENDING:
        cycle: list[object] = [value]
        cycle.append(cycle)


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
