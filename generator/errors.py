"""Exceptions of mend.

Every failure a user can cause is one of these. They subclass click's
``ClickException`` so the CLI turns them into a clean message and exit code 1
at its edge, never a traceback (the way MkDocs' ``exceptions.py`` does).
"""

from __future__ import annotations

import errno
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from pathlib import Path

#: Characters a terminal acts on instead of showing: C0 controls (but the
#: line feed, which :func:`escape_controls` decides on), DEL, C1 controls,
#: the Unicode line and paragraph separators, and the bidi embeddings,
#: overrides and isolates that reorder what a line appears to say.
_UNSAFE_RE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\t": "\\t", "\r": "\\r", "\n": "\\n"}


def _visible(match: re.Match[str]) -> str:
    char = match[0]
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def escape_controls(text: str, *, keep_newlines: bool = True) -> str:
    """``text`` with every character a terminal would act on shown as an escape.

    A case file is someone else's text: ``due: "\\e]0;pwned\\a"`` is a YAML
    escape for ESC and BEL, and echoed raw in an error it would retitle the
    terminal (or worse). Each such character becomes ``\\x1b``, ``\\u202e``,
    ``\\t``...; a backslash is left as it is, so escaping twice changes
    nothing. Line feeds are kept unless ``keep_newlines`` is false: a
    :class:`Problem` is one line, a whole message may be several.
    """
    escaped = _UNSAFE_RE.sub(_visible, text)
    return escaped if keep_newlines else escaped.replace("\n", "\\n")


class MendError(click.ClickException):
    """Base class: the input is wrong, exit code 1."""

    exit_code = 1

    def show(self, file=None) -> None:  # noqa: D102 - click API
        click.echo(escape_controls(f"Error: {self.format_message()}"), file=file, err=True)


@dataclass(frozen=True)
class Problem:
    """One error or warning found in a case file, pointing at the field."""

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        text = f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"
        return escape_controls(text, keep_newlines=False)


class CaseError(MendError):
    """A case file is invalid; holds every problem found in it at once."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))

    def format_message(self) -> str:
        return "\n".join(str(p) for p in self.problems)

    def show(self, file=None) -> None:
        for problem in self.problems:
            click.echo(f"error: {problem}", file=file, err=True)  # str() escapes


class ConfigError(MendError):
    """``mend.toml`` is invalid."""


class CatalogError(MendError):
    """A translation catalog (``templates/locale/.../mend.po``) cannot be read."""


class TemplateError(MendError):
    """A template failed to render: the user's theme or a default one."""


class SignatureError(MendError):
    """Signing failed, or a signature did not verify."""


class HeaderError(MendError):
    """An address field does not say for certain who a message is from or goes to."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


class SendError(MendError):
    """An email could not be sent to every recipient."""


class BusyError(MendError):
    """Another build is writing the same output folder, and did not finish in time."""

    def show(self, file=None) -> None:
        click.echo(f"error: {self.format_message()}", file=file, err=True)


class WriteError(MendError):
    """A file could not be written (or removed, or locked): a full disk, a
    read-only folder, a file where a folder should be.

    One line says what, where and why (``cannot write output/acme/plan.html:
    No space left on device``). It keeps its parts as arguments so that it
    survives the trip back from a build's worker process.
    """

    def __init__(self, display: str, reason: str, action: str = "write") -> None:
        self.display, self.reason, self.action = display, reason, action
        super().__init__(f"cannot {action} {display}: {reason}")

    def __reduce__(self) -> tuple[type, tuple[str, str, str]]:
        return type(self), (self.display, self.reason, self.action)

    def show(self, file=None) -> None:
        click.echo(f"error: {self.format_message()}", file=file, err=True)

    @classmethod
    def from_os_error(
        cls, exc: OSError, path: Path, display: str, action: str = "write"
    ) -> WriteError:
        """Why ``path`` could not be written, in words. A file where a folder
        should be is named, rather than reported as "File exists" or "Not a
        directory", which do not say which of the names on the way is wrong."""
        from pathlib import PurePosixPath  # the rest of this module needs no pathlib

        shown = PurePosixPath(display)
        if exc.errno in (errno.EEXIST, errno.ENOTDIR):
            for depth, parent in enumerate(path.parents):
                if parent.is_dir():
                    break
                if parent.exists():
                    name = (
                        str(shown.parents[depth]) if depth < len(shown.parents) - 1 else str(parent)
                    )
                    return cls(display, f"{name} is a file, not a folder", action)
        if exc.errno == errno.EISDIR or (exc.errno == errno.EEXIST and path.is_dir()):
            return cls(display, "a folder has that name", action)
        return cls(display, exc.strerror or str(exc), action)


def display_path(path: Path, base: Path | None = None) -> str:
    """Show a path relative to the workspace when it lies inside it."""
    if base is not None:
        try:
            return str(path.resolve().relative_to(base.resolve()))
        except ValueError:
            pass
    return str(path)
