"""Exceptions of mend.

Every failure a user can cause is one of these. They subclass click's
``ClickException`` so the CLI turns them into a clean message and exit code 1
at its edge, never a traceback (the way MkDocs' ``exceptions.py`` does).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click


class MendError(click.ClickException):
    """Base class: the input is wrong, exit code 1."""

    exit_code = 1

    def show(self, file=None) -> None:  # noqa: D102 - click API
        click.echo(f"Error: {self.format_message()}", file=file, err=True)


@dataclass(frozen=True)
class Problem:
    """One error or warning found in a case file, pointing at the field."""

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class CaseError(MendError):
    """A case file is invalid; holds every problem found in it at once."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))

    def format_message(self) -> str:
        return "\n".join(str(p) for p in self.problems)

    def show(self, file=None) -> None:
        for problem in self.problems:
            click.echo(f"error: {problem}", file=file, err=True)


class ConfigError(MendError):
    """``mend.toml`` is invalid."""


class TemplateError(MendError):
    """A template failed to render: the user's theme or a default one."""


class BuildError(MendError):
    """Some cases or documents could not be built."""


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


def display_path(path: Path, base: Path | None = None) -> str:
    """Show a path relative to the workspace when it lies inside it."""
    if base is not None:
        try:
            return str(path.resolve().relative_to(base.resolve()))
        except ValueError:
            pass
    return str(path)
