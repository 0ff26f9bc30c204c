"""Asking questions on the terminal: one at a time, with suggestions, until valid.

The prompt side of ``mend new``: how a question is shown, what an empty
answer or ``-`` means, and re-asking after a wrong answer. What is asked,
and how an answer is checked, is the interview's (``interview.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import click


class _Clear:
    """The answer "-": drop the suggested answer."""


CLEAR = _Clear()
Check = Callable[[str], Any]


class Interview:
    """Questions one at a time, each with an example, re-asked until valid.

    An empty answer takes the suggestion in brackets, or skips an optional
    question; ``-`` drops a suggestion. ``prompt`` and ``echo`` are click's
    by default, so ``CliRunner(input=...)`` can drive it in tests; the
    command line passes its own (:func:`generator.cli.say` and
    :func:`generator.cli.ask`), which escape the control characters of a
    suggestion that came from a case file. So the text handed to them is
    never styled here: the style goes as keywords (``bold``, ``dim``,
    ``fg``), for the edge to apply after escaping.
    """

    def __init__(
        self,
        prompt: Callable[..., str] = click.prompt,
        echo: Callable[..., None] = click.secho,
    ) -> None:
        self.prompt = prompt
        self.echo = echo

    def section(self, title: str, why: str) -> None:
        self.echo("")
        self.echo(title, bold=True)
        self.echo(why, dim=True)

    def note(self, text: str) -> None:
        self.echo(text, dim=True)

    def _read(self, label: str, default: Any, ending: bool = False) -> str | _Clear | None:
        shown = _short(default)
        text = f"{label} [{shown}]" if shown else label
        if ending and default is None:
            text += " (empty: done)"
        answer = self.prompt(text, default="", show_default=False).strip()
        if answer == "-" and default is not None:
            return CLEAR
        return answer or None

    def ask(
        self,
        label: str,
        *,
        example: str | None = None,
        default: Any = None,
        required: bool = False,
        check: Check | None = None,
    ) -> Any:
        """One answer: the checked value, or None for a skipped optional question."""
        if example:
            self.note(f"  e.g. {example}")
        while True:
            answer = self._read(label, default)
            if isinstance(answer, _Clear):
                answer = None
            elif answer is None:
                answer = default
            if answer is None:
                if not required:
                    return None
                self.echo("  An answer is needed here.")
                continue
            try:
                return _checked(answer, check)
            except ValueError as exc:
                self.echo(f"  {exc}", fg="red")
                default = None if answer == default else default

    def ask_list(
        self,
        label: str,
        *,
        example: str | None = None,
        defaults: list[Any] | None = None,
        check: Check | None = None,
    ) -> list[Any]:
        """Items one per answer until an empty answer (or the suggestions run out)."""
        if example:
            self.note(f"  e.g. {example}")
        items: list[Any] = []
        for n, default in numbered(defaults or []):
            value = self.item(f"{label} {n}", default, check=check)
            if value is END:
                break
            if value is not None:
                items.append(value)
        return items

    def item(self, label: str, default: Any, *, check: Check | None = None) -> Any:
        """The first answer about a list item: a value, None (dropped) or END."""
        while True:
            answer = self._read(label, default, ending=True)
            if isinstance(answer, _Clear):
                return None
            if answer is None:
                if default is None:
                    return END
                answer = default
            try:
                return _checked(answer, check)
            except ValueError as exc:
                self.echo(f"  {exc}", fg="red")
                default = None if answer == default else default


#: What :meth:`Interview.item` returns for an empty answer without a suggestion: the list ends.
END = object()


def numbered(defaults: list[Any]) -> Iterator[tuple[int, Any]]:
    """1, 2, 3, ... each with its suggestion, None once they run out."""
    n = 0
    while True:
        n += 1
        yield n, defaults[n - 1] if n <= len(defaults) else None


def _short(value: Any, width: int = 60) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = value.isoformat() if isinstance(value, date) else str(value)
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3].rstrip() + "..."


def _checked(answer: Any, check: Check | None) -> Any:
    if isinstance(answer, str):
        try:
            answer.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("that answer holds characters that are not valid text") from None
    return check(answer) if check else answer
