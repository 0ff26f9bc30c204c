"""A workspace: its folders, its configuration, and finding its case files.

Apart from ``build`` so that commands that read or edit one case (``mend log``,
``mend new``) find it without importing what building needs (Jinja,
Markdown, the views, the process pool): ``mend log`` must answer within a
second on a long case, start-up included.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from .errors import MendError, Problem, display_path
from .i18n import DEFAULT_LANGUAGE

if TYPE_CHECKING:
    from .case import CaseFile
    from .config import Config

#: The workspace's settings file (see config.py).
CONFIG_NAME = "mend.toml"

CASE_SUFFIXES = (".yaml", ".yml")


@dataclass
class Workspace:
    """A folder with ``content/``, optional ``templates/`` and ``mend.toml``."""

    root: Path
    #: The settings read from ``mend.toml``; None for a workspace without
    #: one until they are asked for (:attr:`config`).
    settings: Config | None = field(default=None, repr=False)

    @classmethod
    def open(cls, root: Path) -> Workspace:
        """The workspace at ``root``, its ``mend.toml`` read and validated.

        Without a ``mend.toml`` there is nothing to validate, and the
        defaults are made when first used: building them imports pydantic,
        a fifth of a rebuild in which nothing changed, which needs none of
        them but the language (English, always known).
        """
        root = root.resolve()
        if not root.is_dir():
            raise MendError(f"workspace not found: {root}")
        if not (root / CONFIG_NAME).is_file():
            return cls(root=root)
        from .config import load_config

        workspace = cls(root=root, settings=load_config(root))
        known = workspace.unknown_language(workspace.config.language)
        if known is not None:
            from .errors import ConfigError
            from .i18n import did_you_mean

            close = did_you_mean(workspace.config.language, known)
            raise ConfigError(
                f'mend.toml: language: no catalog for language "{workspace.config.language}"'
                f" (known: {', '.join(known)})" + (f": did you mean `{close}`?" if close else "")
            )
        return workspace

    @property
    def config(self) -> Config:
        """The workspace's settings: ``mend.toml``'s, else the defaults."""
        if self.settings is None:
            from .config import Config

            self.settings = Config()
        return self.settings

    @property
    def language(self) -> str:
        """The workspace's language, without making the defaults to read it."""
        return DEFAULT_LANGUAGE if self.settings is None else self.settings.language

    def unknown_language(self, code: str) -> list[str] | None:
        """None when ``code`` has a catalog here (or is English), else the languages that do.

        Imported late: ``mend log`` opens a workspace and must not pay for
        Babel's import.
        """
        from .i18n import is_known, known_languages

        return None if is_known(code, self.root) else known_languages(self.root)

    @property
    def content(self) -> Path:
        return self.root / "content"

    def case_paths(self) -> list[Path]:
        """Every case file in ``content/``, in a stable order."""
        return [self.content / name for name, is_file in self._named_like_cases() if is_file]

    def content_problems(self) -> list[Problem]:
        """What in ``content/`` is named like a case but is no file to read, as errors.

        A folder named ``x.yaml``, a symbolic link to nothing, a named pipe:
        skipping them in silence would leave a user wondering where a case
        went. Only ``lstat``/``stat`` look at them, never ``open``: opening a
        FIFO would block until someone writes to it.
        """
        problems = []
        for name, is_file in self._named_like_cases():
            if is_file:
                continue
            path = self.content / name
            what = _not_a_case_file(path)
            if what is not None:
                problems.append(Problem(self.display(path), None, "", f"{what}, not a case file"))
        return problems

    def _named_like_cases(self) -> list[tuple[str, bool]]:
        """The names in ``content/`` that a case file may have, sorted, each with
        whether it is a regular file (through links).

        One ``scandir``: its entries know their type without a ``stat`` each,
        which at 1,000 cases was a tenth of a rebuild that had nothing to do.
        Sorted by name, which is the order of their paths (one folder).
        """
        try:
            with os.scandir(self.content) as entries:
                found = [
                    (entry.name, _is_file(entry))
                    for entry in entries
                    if entry.name.endswith(CASE_SUFFIXES) and not entry.name.startswith(".")
                ]
        except (FileNotFoundError, NotADirectoryError):
            return []
        return sorted(found)

    def display(self, path: Path) -> str:
        """A path as the user knows it: relative to the workspace when inside it."""
        if path.is_absolute() and path.parts[: len(self.root.parts)] == self.root.parts:
            return str(PurePosixPath(*path.parts[len(self.root.parts) :]))
        return display_path(path, self.root)

    def resolve_case(self, arg: str) -> Path:
        """A CASE argument is a case id or a path to a case file."""
        candidate = Path(arg)
        if candidate.suffix in CASE_SUFFIXES or "/" in arg or "\\" in arg:
            if candidate.is_file():
                return candidate.resolve()
            raise MendError(f"case file not found: {arg}")
        for suffix in CASE_SUFFIXES:
            path = self.content / f"{arg}{suffix}"
            if path.is_file():
                return path
        for path in self.case_paths():  # an id set inside the file
            if _declared_id(path) == arg:
                return path
        raise MendError(
            f"no case `{arg}` in {self.display(self.content)}/ (give a case id or a path)"
        )

    def load(self, path: Path, today: date, raw: bytes | None = None) -> CaseFile:
        from .case import load_case  # the case format's models: only to read a case

        return load_case(
            path,
            display=self.display(path),
            today=today,
            default_timezone=self.config.timezone,
            default_language=self.config.language,
            languages=self.unknown_language,
            raw=raw,
        )


def _is_file(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file()
    except OSError:  # as Path.is_file: what cannot be looked at is no file to read
        return False


def _not_a_case_file(path: Path) -> str | None:
    """What ``path`` is when it is not a regular file (through links), else None."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return f"a symbolic link to {os.readlink(path)}, which does not exist"
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a device"


def _declared_id(path: Path) -> str | None:
    try:
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("id:"):
                    return line[3:].split("#")[0].strip().strip("\"'")
    except (OSError, UnicodeDecodeError):
        return None
    return None
