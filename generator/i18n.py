"""The client's language: gettext catalogs for the theme's words, Babel for the rest.

Three promises:

1. **One language a case.** Every document of a case is written in
   ``case.language`` (default ``mend.toml``'s ``language``, else ``en``): the
   theme's fixed words come from a gettext catalog, dates, lists and plural
   rules from Babel's CLDR data. English is the theme as written, so an
   English case needs no catalog and its bytes did not change.
2. **A workspace adds or overrides.** A catalog is looked up first in the
   workspace (``templates/locale/<lang>/LC_MESSAGES/mend.po``), then in the
   theme; a string either misses falls back to the next, and last to
   English. A language is *known* when English, or when a catalog exists for
   it or for its primary subtag (``de-CH`` reads ``de``).
3. **Catalogs compile where they are read.** The wheel ships compiled
   ``.mo`` files next to the ``.po`` sources (``hatch_build.py``); a ``.po``
   with no ``.mo`` beside it (a repository checkout, a workspace) is
   compiled in memory once per process and file version.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any

from .constants import LANGUAGE_RE, N_

if TYPE_CHECKING:
    from pathlib import Path

    from babel import Locale

# Babel is imported where it is used: opening a workspace checks that its
# language has a catalog, and ``mend log`` must not pay for Babel's import.

DOMAIN = "mend"
DEFAULT_LANGUAGE = "en"
__all__ = ["LANGUAGE_RE", "N_", "Language", "get_language"]


#: The phrases the templates build from case values. English keeps the
#: theme's old wording exactly ("on Tuesdays", "Check in").
WEEKDAYS = {
    "monday": N_("on Mondays"),
    "tuesday": N_("on Tuesdays"),
    "wednesday": N_("on Wednesdays"),
    "thursday": N_("on Thursdays"),
    "friday": N_("on Fridays"),
    "saturday": N_("on Saturdays"),
    "sunday": N_("on Sundays"),
}
CADENCES = {
    "weekly": N_("weekly"),
    "fortnightly": N_("fortnightly"),
    "monthly": N_("monthly"),
}
#: A meeting kind inside a sentence ("our check-in on ...").
KINDS = {
    "kickoff": N_("kickoff"),
    "check-in": N_("check-in"),
    "review": N_("review"),
    "closing": N_("closing"),
    "call": N_("call"),
}
#: A meeting kind as a heading in the plan's log.
KIND_TITLES = {
    "kickoff": N_("Kickoff"),
    "check-in": N_("Check in"),
    "review": N_("Review"),
    "closing": N_("Closing"),
    "call": N_("Call"),
}
CASE_STATUSES = {"open": N_("Open"), "resolved": N_("Resolved"), "closed": N_("Closed")}


def upfirst(text: str) -> str:
    """The first letter upper-case, the rest as it is (``capitalize`` would lower it)."""
    return text[:1].upper() + text[1:]


@lru_cache(maxsize=1)
def _theme_locale() -> Path:
    from .searchpath import theme_dir

    return theme_dir() / "locale"


def catalog_dirs(workspace: Path | None) -> list[Path]:
    """Where catalogs are looked up, first match first: the workspace's, then the theme's."""
    dirs = []
    if workspace is not None:
        dirs.append(workspace / "templates" / "locale")
    dirs.append(_theme_locale())
    return dirs


def _subtags(code: str) -> list[str]:
    """``de-CH`` -> ``["de-CH", "de_CH", "de"]``: the catalog folders to try."""
    names = [code]
    if "-" in code:
        names.append(code.replace("-", "_"))
        names.append(code.split("-", 1)[0])
    return names


def catalog_files(code: str, workspace: Path | None) -> list[Path]:
    """The catalog files a language reads, most specific first (``.mo`` before ``.po``)."""
    found = []
    for folder in catalog_dirs(workspace):
        for name in _subtags(code):
            base = folder / name / "LC_MESSAGES" / DOMAIN
            mo, po = base.with_suffix(".mo"), base.with_suffix(".po")
            if mo.is_file():
                found.append(mo)
            elif po.is_file():
                found.append(po)
    return found


def known_languages(workspace: Path | None) -> list[str]:
    """English and every language a catalog exists for, sorted."""
    codes = {DEFAULT_LANGUAGE}
    for folder in catalog_dirs(workspace):
        if folder.is_dir():
            for child in folder.iterdir():
                if (child / "LC_MESSAGES" / f"{DOMAIN}.po").is_file() or (
                    child / "LC_MESSAGES" / f"{DOMAIN}.mo"
                ).is_file():
                    codes.add(child.name.replace("_", "-"))
    return sorted(codes)


def is_known(code: str, workspace: Path | None) -> bool:
    return code.split("-", 1)[0].lower() == DEFAULT_LANGUAGE or bool(catalog_files(code, workspace))


@lru_cache(maxsize=64)
def _compiled(path: str, stamp: tuple[int, int]) -> bytes:
    """One catalog file as ``.mo`` bytes; a ``.po`` is compiled in memory.

    ``stamp`` (mtime, size) is in the key so that an edited catalog is read
    again by a long-running ``mend serve``.
    """
    # Imported here: `mend --help` imports this module (for kinds.py's N_),
    # and click itself does not import pathlib.
    from pathlib import Path

    data = Path(path).read_bytes()
    if path.endswith(".po"):
        from babel.messages.mofile import write_mo

        catalog = load_po(Path(path))
        buffer = io.BytesIO()
        write_mo(buffer, catalog)  # type: ignore[arg-type]
        data = buffer.getvalue()
    return data


def load_po(path: Path) -> object:
    """A ``.po`` file as Babel's catalog; a malformed one is a CatalogError with its line.

    Strict, because Babel's lenient mode prints its warnings on stdout and
    goes on with a catalog that silently lacks the broken entries.
    """
    from babel.messages.pofile import PoFileError, read_po

    from .errors import CatalogError, display_path

    # <workspace>/templates/locale/<lang>/LC_MESSAGES/mend.po: shown from <workspace>.
    shown = display_path(path, path.parents[4] if len(path.parents) > 4 else None)
    try:
        with path.open("rb") as handle:
            return read_po(handle, domain=DOMAIN, abort_invalid=True)
    except PoFileError as exc:
        raise CatalogError(f"{shown}:{exc.lineno}: {exc}") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise CatalogError(f"{shown}: cannot read the catalog: {exc}") from None


@dataclass(frozen=True)
class Language:
    """One language's translations and formats: what a document needs to speak it."""

    code: str
    translations: gettext.NullTranslations
    locale: Locale | None

    # Cached: the date filters ask ``english`` for every date a page prints,
    # and ``rtl`` is a lookup in Babel's locale data. Both follow from the
    # (frozen) fields.
    @cached_property
    def english(self) -> bool:
        return self.code.split("-", 1)[0].lower() == DEFAULT_LANGUAGE

    @cached_property
    def rtl(self) -> bool:
        return self.locale is not None and self.locale.character_order == "right-to-left"

    @property
    def direction(self) -> str:
        return "rtl" if self.rtl else "ltr"

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.translations.ngettext(singular, plural, n)

    def pgettext(self, context: str, message: str) -> str:
        return self.translations.pgettext(context, message)

    def npgettext(self, context: str, singular: str, plural: str, n: int) -> str:
        return self.translations.npgettext(context, singular, plural, n)

    # -- formats ---------------------------------------------------------------

    def long_date(self, value: date | None) -> str:
        """``Tuesday 24 November 2026``, ``Dienstag, 24. November 2026``, ``mardi 24 novembre 2026``."""
        if value is None:
            return ""
        if self.english or self.locale is None:
            if type(value) is date:
                return _english_long_date(value)
            return _english_long_date.__wrapped__(value)
        return _format_date(value, "full", self.code)

    def short_date(self, value: date | None) -> str:
        """``24 Nov 2026``, ``24.11.2026``, ``24 nov. 2026``."""
        if value is None:
            return ""
        if self.english or self.locale is None:
            if type(value) is date:
                return _english_short_date(value)
            return _english_short_date.__wrapped__(value)
        return _format_date(value, "medium", self.code)

    def pattern(self, value: date, pattern: str, english: str) -> str:
        """``value`` in a CLDR ``pattern`` (``MMM y``); English keeps the theme's ``english``."""
        if self.english or self.locale is None:
            return english
        return _format_date(value, pattern, self.code)

    def conjoin(self, items: Sequence[str]) -> str:
        """``A, B and C``, ``A, B und C``, ``A, B et C``: a list in a sentence."""
        items = [str(i) for i in items]
        if not items:
            return ""
        if self.english or self.locale is None:
            if len(items) == 1:
                return items[0]
            conjunction = self.gettext(N_("and"))
            return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"
        from babel.lists import format_list

        return format_list(items, locale=self.locale)

    def phrase(self, table: dict[str, str], key: str) -> str:
        """A case value as the theme's words for it (a weekday, a cadence, a kind)."""
        message = table.get(key)
        return key if message is None else self.gettext(message)


# Once per day, as Babel's are below: a plan prints the same dates often.
# (Only plain dates: anything else a template passes is formatted, or fails,
# as before.)
@lru_cache(maxsize=8192)
def _english_long_date(value: date) -> str:
    return f"{value:%A} {value.day} {value:%B %Y}"


@lru_cache(maxsize=8192)
def _english_short_date(value: date) -> str:
    return f"{value.day} {value:%b %Y}"


@lru_cache(maxsize=8192)
def _format_date(value: date, pattern: str, code: str) -> str:
    """Babel's date formatting, once per day and pattern: a plan prints the same dates often.

    Measured on 40 German cases: Babel's ``format_date`` was 5% of a build.
    """
    from babel.dates import format_date

    return format_date(value, pattern, locale=_locale(code))


@lru_cache(maxsize=64)
def _locale(code: str) -> Locale | None:
    from babel import Locale, UnknownLocaleError

    try:
        return Locale.parse(code, sep="-")
    except (UnknownLocaleError, ValueError, TypeError):
        return None


def _stamp(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return (stat.st_mtime_ns, stat.st_size)


def get_language(code: str | None, workspace: Path | None = None) -> Language:
    """The language ``code`` speaks in ``workspace``: its catalogs chained, then English."""
    code = code or DEFAULT_LANGUAGE
    files = (
        [] if code.split("-", 1)[0].lower() == DEFAULT_LANGUAGE else catalog_files(code, workspace)
    )
    key = (code, tuple((str(p), _stamp(p)) for p in files))
    return _language(*key)


@lru_cache(maxsize=64)
def _language(code: str, files: tuple[tuple[str, tuple[int, int]], ...]) -> Language:
    chain: gettext.NullTranslations = gettext.NullTranslations()
    # Build the chain from the least specific (the theme's primary subtag)
    # to the most (the workspace's full tag), each falling back to the last.
    for path, stamp in reversed(files):
        layer = gettext.GNUTranslations(io.BytesIO(_compiled(path, stamp)))
        layer.add_fallback(chain)
        chain = layer
    return Language(code=code, translations=chain, locale=_locale(code))


def _translated(message: Any) -> bool:
    if not message.string or message.fuzzy:
        return False
    if isinstance(message.string, tuple | list):
        return all(message.string)
    return True


def missing_strings(code: str, workspace: Path) -> list[tuple[Path, str]]:
    """The theme's strings a workspace catalog leaves untranslated, with its file.

    Only for a language a workspace catalog provides: a string it misses
    falls back to the theme's catalog of that language, if any, and only a
    string missing from both is reported (it prints in English). The
    strings are the theme's template, ``locale/mend.pot``.
    """
    from .searchpath import theme_dir

    local = [p for p in catalog_files(code, workspace) if p.suffix == ".po"]
    local = [p for p in local if workspace / "templates" in p.parents]
    template = theme_dir() / "locale" / f"{DOMAIN}.pot"
    if not local or not template.is_file():
        return []
    done: set[str] = set()
    for path in catalog_files(code, workspace):
        if path.suffix == ".po":
            for message in load_po(path):  # type: ignore[attr-defined]
                if message.id and _translated(message):
                    done.add(message.id if isinstance(message.id, str) else message.id[0])
        else:  # a compiled catalog: what it holds is translated
            with path.open("rb") as handle:
                done.update(
                    key if isinstance(key, str) else key[0]
                    for key in gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]
                )
    missing = []
    for message in load_po(template):  # type: ignore[attr-defined]
        key = message.id if isinstance(message.id, str) else message.id[0]
        if key and key not in done:
            missing.append((local[0], key))
    return missing


def placeholder_errors(code: str, workspace: Path) -> list[tuple[Path, int | None, str]]:
    """Translations in a workspace catalog whose placeholders differ from the English.

    A ``%(day)s`` misspelt in a translation would fail the render of every
    document that prints it; Babel's checks name it, with its line, first.
    """
    found: list[tuple[Path, int | None, str]] = []
    for path in catalog_files(code, workspace):
        if path.suffix != ".po" or workspace / "templates" not in path.parents:
            continue
        for message, errors in load_po(path).check():  # type: ignore[attr-defined]
            found.extend((path, message.lineno, str(error)) for error in errors)
    return found


def catalog_fingerprint(code: str | None, workspace: Path | None) -> str:
    """What a language's documents depend on besides templates: its catalog files."""
    from .cache import digest

    code = code or DEFAULT_LANGUAGE
    if code.split("-", 1)[0].lower() == DEFAULT_LANGUAGE:
        return ""
    parts: list[bytes | str] = [code]
    for path in catalog_files(code, workspace):
        parts.extend([str(path), path.read_bytes()])
    return digest(*parts)


def did_you_mean(code: str, known: Iterable[str]) -> str | None:
    import difflib

    known = list(known)
    lowered = {k.lower(): k for k in known}
    primary = code.split("-", 1)[0].lower()
    if primary in lowered:
        return lowered[primary]
    close = difflib.get_close_matches(code.lower(), list(lowered), n=1, cutoff=0.5)
    return lowered[close[0]] if close else None
