"""Workspace settings from ``mend.toml``.

Every setting has a default, so a workspace needs no ``mend.toml`` at all.
Unknown keys are errors, for the same reason as in case files: a typo that
is silently ignored is a setting lost.
"""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import ConfigError
from .fieldtypes import LanguageTag, TimeZone, empty_list
from .plugins import defer_plugin_lookup
from .workspace import CONFIG_NAME as CONFIG_NAME  # where it is named, as before

defer_plugin_lookup()  # before the first model is built: see plugins.py


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PdfSettings(_Section):
    page_size: Literal["A4", "Letter"] = "A4"
    #: PDF/A conformance for archiving: "pdf/a-2b" or "pdf/a-3b".
    variant: Literal["pdf/a-2b", "pdf/a-3b"] | None = None
    #: The agreement is archival: PDF/A-3b, tagged, carrying agreement.json,
    #: whatever ``variant`` says for the other documents.
    archival: bool = True


class SigningSettings(_Section):
    #: RFC 3161 time-stamp authorities for `mend sign`, tried in order.
    tsa: list[str] = Field(default_factory=empty_list)
    #: Seconds to wait for one time-stamp authority before trying the next.
    tsa_timeout: float = Field(default=10, gt=0, le=300)


class SmtpSettings(_Section):
    host: str = "localhost"
    port: int | None = None
    security: Literal["starttls", "ssl", "none"] = "starttls"
    user: str | None = None
    #: Name of the environment variable that holds the password.
    password_env: str | None = None
    timeout: float = Field(default=30, gt=0)


class TonePhrase(_Section):
    """A phrase a workspace adds to the tone check (see generator/tone.toml)."""

    text: str = Field(min_length=1)
    kind: Literal["non-apology", "blame", "defensive", "minimising"]
    suggest: str = Field(min_length=1)


class CoachSettings(_Section):
    #: Phrases of mend's tone list not to flag, as written there.
    tone_off: list[str] = Field(default_factory=empty_list)
    #: Phrases to flag as well as mend's own.
    tone_add: list[TonePhrase] = Field(default_factory=empty_list)


class Config(_Section):
    timezone: TimeZone = "UTC"
    #: The language of a case that names none (case-format.md: ``language``).
    language: LanguageTag = "en"
    pdf: PdfSettings = PdfSettings()
    smtp: SmtpSettings = SmtpSettings()
    coach: CoachSettings = CoachSettings()
    signing: SigningSettings = SigningSettings()


def load_config(workspace: Path) -> Config:
    """Read ``mend.toml`` from the workspace, or the defaults without one."""
    path = workspace / CONFIG_NAME
    if not path.is_file():
        return Config()
    import tomllib  # only for a workspace that has settings to read

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{CONFIG_NAME}: {exc}") from None
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        import difflib  # only for a message

        from .reader import format_path  # YAML's reader: only for a message

        lines = []
        for error in exc.errors():
            loc = tuple(error["loc"])
            message = error["msg"]
            if error["type"] == "extra_forbidden":
                model: Any = Config
                for part in loc[:-1]:
                    if isinstance(part, int):  # an item of a list of settings
                        continue
                    model = model.model_fields[str(part)].annotation
                    if typing.get_origin(model) is list:
                        model = typing.get_args(model)[0]
                close = difflib.get_close_matches(str(loc[-1]), list(model.model_fields), n=1)
                message = f"unknown setting{': did you mean `' + close[0] + '`?' if close else ''}"
            lines.append(f"{CONFIG_NAME}: {format_path(loc)}: {message}")
        raise ConfigError("\n".join(lines)) from None
