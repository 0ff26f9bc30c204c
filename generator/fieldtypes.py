"""Field types that both the case format and ``mend.toml`` use.

Apart from :mod:`generator.model` so that reading ``mend.toml`` does not
build the case format's models: a no-op ``mend build`` validates the
settings but reads no case, and the models were most of its import time.
"""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator

from .constants import LANGUAGE_RE


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f'unknown time zone: "{value}" (expected an IANA name such as Europe/London)'
        ) from None
    return value


def _language(value: str) -> str:
    if not LANGUAGE_RE.match(value):
        raise ValueError(
            f'not a language tag: "{value}" (expected a BCP 47 tag such as en, de or fr)'
        )
    return value


def empty_list() -> list[Any]:
    """A new empty list, the default of a list field.

    Rather than ``list`` itself: pydantic reads a default factory's
    signature, and the builtin's is text that :mod:`inspect` parses with
    :mod:`tokenize` (compiling its patterns first), 12 ms of building the
    models, against nothing for a Python function.
    """
    return []


TimeZone = Annotated[str, AfterValidator(_timezone)]
LanguageTag = Annotated[str, AfterValidator(_language)]
