"""A case file's bytes, bounded: what is read before anything parses them.

Apart from :mod:`generator.reader` (YAML's), so that a rebuild that only
compares a case's hash with the last build's reads it without importing a
YAML parser it will not use.
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import CaseError, Problem

#: A case file larger than this is refused before it is parsed: real cases,
#: even with hundreds of meetings, are well under a megabyte.
MAX_FILE_BYTES = 5 * 1024 * 1024


def read_case_bytes(path: Path, display: str) -> bytes:
    """A case file's bytes, refusing a file too large to be a case.

    At most ``MAX_FILE_BYTES + 1`` bytes are ever read, whatever the file's
    size says (it may grow between a stat and a read, or be a device), so a
    huge file costs nothing but the error.
    """
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
            size = max(len(data), os.fstat(handle.fileno()).st_size)
    except OSError as exc:
        raise CaseError([Problem(display, None, "", f"cannot read file: {exc.strerror}")]) from None
    if len(data) > MAX_FILE_BYTES:
        raise CaseError(
            [
                Problem(
                    display,
                    1,
                    "",
                    f"file is too large ({size / 1e6:.1f} MB; a case file is limited to "
                    f"{MAX_FILE_BYTES // (1024 * 1024)} MB)",
                )
            ]
        )
    return data
