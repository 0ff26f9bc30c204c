"""Starting out: ``mend init`` (a new workspace) and ``mend new`` (a new case).

``init`` copies the starter files shipped in ``generator/starter/``: a
commented ``mend.toml``, an annotated example case, a README on overriding
templates and a ``.gitignore``. The example's dates are written relative to
the day of ``init`` (``<today+9>`` in the starter file), so a new workspace
has an upcoming check-in, an agenda to build, and nothing overdue.

``new`` is an interview that walks the method of DESIGN.md in order: be
prepared, get the facts, find the feelings, what was left unsaid, questions,
restatements, framing, what we own, affirmations, the plan, the check-ins.
Each answer is checked with the same rules as the case file, so a mistake is
re-asked on the spot rather than reported after twenty questions. The case
is written as commented YAML by a small emitter of our own (the structure is
fixed and shallow, so it is simpler to get exactly right than a general
round-trip dumper), validated as a whole with ``case.py``, and written
atomically; an existing file is never replaced.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import click
import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError

from .case import validate_case
from .constants import WEEKDAYS
from .documents import slugify
from .errors import CaseError, MendError, Problem, WriteError
from .kinds import KINDS
from .model import Checkins, Client, Contact, Fact, Feeling, Incident, Milestone, TimeZone
from .output import atomic_write
from .reader import parse_yaml, read_text

if TYPE_CHECKING:
    from .workspace import Workspace

STARTER = Path(__file__).resolve().parent / "starter"

#: Starter file -> where ``init`` puts it in the new workspace.
STARTER_FILES = {
    "mend.toml": "mend.toml",
    "content/example-case.yaml": "content/example-case.yaml",
    "templates/README.md": "templates/README.md",
    "gitignore": ".gitignore",
}

_RELATIVE_DATE_RE = re.compile(r"<today([+-]\d+)?>")
_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


# -- mend init ------------------------------------------------------------------------


def init(directory: Path, *, today: date) -> list[Path]:
    """Make a new workspace in ``directory``; return the files written.

    The folder may exist, even hold other files (a fresh git clone, say), but
    no file mend would write may be there already: every conflict is named
    and nothing is written, so ``init`` can never clobber a user's work.
    """
    if directory.exists() and not directory.is_dir():
        raise MendError(f"{directory} exists and is not a folder")
    targets = {directory / target: source for source, target in STARTER_FILES.items()}
    existing = [path for path in targets if path.exists() or path.is_symlink()]
    if existing:
        names = ", ".join(str(p.relative_to(directory)) for p in existing)
        raise MendError(
            f"{directory} already has {names}: mend init never overwrites files "
            "(choose an empty or new folder)"
        )
    written = []
    for target, source in targets.items():
        text = (STARTER / source).read_text(encoding="utf-8")
        if source.startswith("content/"):
            text = fill_dates(text, today)
        elif source == "templates/README.md":
            text = text.replace("<!-- theme files -->", theme_listing())
        write_new(target, text.encode("utf-8"), str(target))
        written.append(target)
    return written


def write_new(path: Path, data: bytes, display: str) -> None:
    """Write a file that must not exist yet: whole, flushed, and never over another.

    The bytes go to a temporary file beside it, which ``os.link`` then puts
    in place. Unlike ``os.replace`` (what ``atomic_write`` uses for outputs
    a build can remake), a link fails if the name was taken, even a moment
    ago by another program, so a user's file is never replaced. On a file
    system without hard links, an exclusive create does the same job.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a file where a folder should be, a read-only parent
        raise WriteError.from_os_error(exc, path, display) from None
    tmp = path.with_name(f".{path.name}.{os.getpid()}.new")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            raise
        except OSError:  # no hard links here (some network or FAT file systems)
            with open(path, "xb") as handle:
                handle.write(data)
    except FileExistsError:
        raise MendError(f"{display} already exists: mend never overwrites a file") from None
    except OSError as exc:  # a full disk, a read-only folder
        raise WriteError.from_os_error(exc, path, display) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def fill_dates(text: str, today: date) -> str:
    """Replace ``<today>``, ``<today+N>`` and ``<today-N>`` with ISO dates."""

    def replace(match: re.Match[str]) -> str:
        return (today + timedelta(days=int(match[1] or 0))).isoformat()

    return _RELATIVE_DATE_RE.sub(replace, text)


_SHARED_FILES = {
    "html/base.html": "the one HTML layout that every page extends",
    "html/style.css": "the one stylesheet of every page, on screen and in print",
    "html/print.css": "what only PDFs add: page size and margins, running header, page numbers",
    "html/macros.html": "small pieces the HTML documents share",
    "md/macros.md": "small pieces the Markdown documents share",
    "eml/base.html": "the layout of HTML emails",
    "html/index.html": "output/index.html, every case at a glance",
}


def theme_listing() -> str:
    """A Markdown list of the default theme's files, each with what it makes."""
    from .render import theme_dir

    root = theme_dir()
    lines = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if not path.is_file() or any(part.startswith((".", "__")) for part in rel.split("/")):
            continue
        lines.append(f"- `{rel}`: {_describe_theme_file(rel)}")
    return "\n".join(lines)


def _describe_theme_file(rel: str) -> str:
    """What a theme file makes, from the kinds of document that start from it."""
    if rel in _SHARED_FILES:
        return _SHARED_FILES[rel]
    for kind in KINDS:
        formats = [fmt for fmt in kind.formats if rel in kind.templates_for(fmt)]
        if not formats:
            continue
        if formats == ["html", "pdf"]:
            return f"{kind.label}, as a web page and the PDF made from it"
        if formats == ["html"]:
            return f"{kind.label}, as a web page"
        if formats == ["md"]:
            return f"{kind.label}, in Markdown"
        if formats == ["eml"]:
            part = "plain-text" if rel.endswith(".txt") else "HTML"
            return f"{kind.label}: its {part} part"
        return kind.label
    return "used by the theme"


# -- YAML text with comments ----------------------------------------------------------

_PLAIN_START = set("-?:,[]{}#&*!|>'\"%@`~ \t")
_RESOLVER = yaml.resolver.Resolver()
_OCTAL_12 = re.compile(r"^[-+]?0o[0-7]+$")  # an int in YAML 1.2 only


def _printable(char: str) -> bool:
    code = ord(char)
    return (
        0x20 <= code <= 0x7E
        or 0xA0 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        and code != 0xFEFF
        or code >= 0x10000
    )


def _plain_ok(text: str) -> bool:
    """Whether ``text`` can be written unquoted and read back as the same text.

    Deliberately stricter than YAML needs: no colon or hash at all, and
    nothing that any YAML 1.1 or 1.2 reader would take for a number, a
    date, a boolean or null, so the file means the same to every tool.
    """
    if not text or text[0] in _PLAIN_START or text[-1] in " \t":
        return False
    if ":" in text or "#" in text or not all(_printable(c) for c in text):
        return False
    if _RESOLVER.resolve(yaml.ScalarNode, text, (True, False)) != "tag:yaml.org,2002:str":
        return False
    return not _OCTAL_12.match(text)


_ESCAPES = {
    "\\": "\\\\",
    '"': '\\"',
    "\n": "\\n",
    "\t": "\\t",
    "\r": "\\r",
    "\0": "\\0",
    "\x85": "\\N",
    "\u2028": "\\L",
    "\u2029": "\\P",
}


def _double_quoted(text: str) -> str:
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif _printable(char):
            out.append(char)
        elif ord(char) <= 0xFF:
            out.append(f"\\x{ord(char):02x}")
        elif ord(char) <= 0xFFFF:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    return '"' + "".join(out) + '"'


def _literal_ok(text: str) -> bool:
    """Whether a multi-line text can be a ``|-`` block and read back unchanged."""
    if "\n" not in text or text[0] in " \n" or text[-1] in " \n":
        return False
    lines = text.split("\n")
    return all(_printable(c) for c in text.replace("\n", "")) and all(
        line == line.rstrip(" ") or line.strip(" ") for line in lines
    )


def scalar(value: Any) -> str:
    """One scalar as YAML: plain when that is safe, else double-quoted."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return f'"{value.strftime("%H:%M")}"'
    text = str(value)
    return text if _plain_ok(text) else _double_quoted(text)


@dataclass
class Comments:
    """Comments to put in a case file: above a key, or after its value.

    Paths are tuples of keys; ``"*"`` stands for any item of a list.
    """

    above: dict[tuple[str, ...], str] = field(default_factory=dict)
    after: dict[tuple[str, ...], str] = field(default_factory=dict)


def dump(mapping: dict[str, Any], comments: Comments | None = None, indent: int = 0) -> str:
    """A mapping as block-style YAML text with comments."""
    return "\n".join(_mapping(mapping, indent, (), comments or Comments())) + "\n"


def _mapping(
    mapping: dict[str, Any], indent: int, path: tuple[str, ...], comments: Comments
) -> Iterator[str]:
    pad = " " * indent
    for key, value in mapping.items():
        if value is None:
            continue
        here = (*path, key)
        for line in comments.above.get(here, "").splitlines():
            yield f"{pad}# {line}".rstrip()
        after = comments.after.get(here)
        tail = f"  # {after}" if after else ""
        if isinstance(value, dict):
            yield f"{pad}{key}:{tail}"
            yield from _mapping(value, indent + 2, here, comments)
        elif isinstance(value, list) and not value:
            yield f"{pad}{key}: []{tail}"
        elif isinstance(value, list):
            yield f"{pad}{key}:{tail}"
            for item in value:
                yield from _item(item, indent + 2, (*here, "*"), comments)
        else:
            yield from _scalar_lines(f"{pad}{key}:", value, indent + 2, tail)


def _item(item: Any, indent: int, path: tuple[str, ...], comments: Comments) -> Iterator[str]:
    pad = " " * indent
    if isinstance(item, dict):
        lines = list(_mapping(item, indent + 2, path, comments))
        yield f"{pad}- {lines[0].lstrip()}"
        yield from lines[1:]
    else:
        yield from _scalar_lines(f"{pad}-", item, indent + 2, "")


def _scalar_lines(head: str, value: Any, indent: int, tail: str) -> Iterator[str]:
    if isinstance(value, str) and _literal_ok(value):
        yield f"{head} |-{tail}"
        for line in value.split("\n"):
            yield f"{' ' * indent}{line}" if line else ""
    else:
        yield f"{head} {scalar(value)}{tail}"


# -- asking questions -----------------------------------------------------------------


class _Clear:
    """The answer "-": drop the suggested answer."""


CLEAR = _Clear()
Check = Callable[[str], Any]


class Interview:
    """Questions one at a time, each with an example, re-asked until valid.

    An empty answer takes the suggestion in brackets, or skips an optional
    question; ``-`` drops a suggestion. ``prompt`` and ``echo`` are click's
    by default, so ``CliRunner(input=...)`` can drive it in tests.
    """

    def __init__(
        self,
        prompt: Callable[..., str] = click.prompt,
        echo: Callable[..., None] = click.echo,
    ) -> None:
        self.prompt = prompt
        self.echo = echo

    def section(self, title: str, why: str) -> None:
        self.echo("")
        self.echo(click.style(title, bold=True))
        self.echo(click.style(why, dim=True))

    def note(self, text: str) -> None:
        self.echo(click.style(text, dim=True))

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
                self.echo(click.style(f"  {exc}", fg="red"))
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
        for n, default in _numbered(defaults or []):
            value = self.item(f"{label} {n}", default, check=check)
            if value is _END:
                break
            if value is not None:
                items.append(value)
        return items

    def item(self, label: str, default: Any, *, check: Check | None = None) -> Any:
        """The first answer about a list item: a value, None (dropped) or _END."""
        while True:
            answer = self._read(label, default, ending=True)
            if isinstance(answer, _Clear):
                return None
            if answer is None:
                if default is None:
                    return _END
                answer = default
            try:
                return _checked(answer, check)
            except ValueError as exc:
                self.echo(click.style(f"  {exc}", fg="red"))
                default = None if answer == default else default


_END = object()


def _numbered(defaults: list[Any]) -> Iterator[tuple[int, Any]]:
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


def field_check(model: type[BaseModel], name: str) -> Check:
    """Check an answer with the rules of one field of the case format.

    The same validators as the case file's, so an answer accepted here is
    never an error in the file, and the messages are the ones `mend check`
    would give. A time stays the text typed ("09:30"); a date becomes a date.
    """
    info = model.model_fields[name]
    # A type form built at run time, which no static type describes.
    annotation: Any = (
        Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
    )
    return _adapter_check(TypeAdapter(annotation))


def _adapter_check(adapter: TypeAdapter[Any]) -> Check:
    def check(answer: str) -> Any:
        try:
            value = adapter.validate_python(answer)
        except ValidationError as exc:
            error = exc.errors()[0]
            if error["type"] == "value_error":
                raise ValueError(str(error["ctx"]["error"])) from None
            if error["type"] == "literal_error":
                raise ValueError(f"choose one of {error['ctx']['expected']}") from None
            raise ValueError(error["msg"]) from None
        return answer if isinstance(value, time) else value

    return check


def choice(options: tuple[str, ...] | list[str]) -> Check:
    """One of ``options``, or an unambiguous start of one ("fort" -> "fortnightly")."""

    def check(answer: str) -> str:
        word = answer.strip().lower()
        matches = [o for o in options if o == word] or [o for o in options if o.startswith(word)]
        if len(matches) != 1:
            raise ValueError(f"choose one of {', '.join(options)}")
        return matches[0]

    return check


def yes_no(answer: Any) -> bool:
    if isinstance(answer, bool):
        return answer
    word = str(answer).strip().lower()
    if word in ("y", "yes", "true"):
        return True
    if word in ("n", "no", "false"):
        return False
    raise ValueError("answer yes or no")


def minutes(answer: Any) -> int:
    try:
        value = int(str(answer).strip())
    except ValueError:
        raise ValueError(f'not a number of minutes: "{answer}"') from None
    if not 0 < value <= 24 * 60:
        raise ValueError("between 1 and 1440 minutes")
    return value


# -- mend new -------------------------------------------------------------------------


def _get(data: Any, *path: str | int) -> Any:
    """A value from a parsed case, or None where the file has no such thing."""
    for part in path:
        if isinstance(part, int):
            data = data[part] if isinstance(data, list) and part < len(data) else None
        else:
            data = data.get(part) if isinstance(data, dict) else None
    return data


def _text(data: Any, *path: str | int) -> str | None:
    value = _get(data, *path)
    return value if isinstance(value, str) and value.strip() else None


def _texts(data: Any, *path: str | int) -> list[str]:
    value = _get(data, *path)
    if not isinstance(value, list):
        return []
    return [v for v in value if isinstance(v, str) and v.strip()]


def _records(data: Any, *path: str | int) -> list[dict[str, Any]]:
    value = _get(data, *path)
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _unique_slug(text: str, taken: set[str], fallback: str, keep: str | None = None) -> str:
    """A short id from a title: its first words, made unique in the case.

    ``keep`` is the id the ``--from`` case gave the same item: kept when it is
    still a free, valid slug, so ids a user chose (and maybe cites in
    progress entries of other files) survive the copy.
    """
    if keep and _SLUG_RE.match(keep) and keep not in taken:
        taken.add(keep)
        return keep
    slug = slugify(text)
    if len(slug) > 30:
        slug = slug[:31].rsplit("-", 1)[0]
    slug = slug or fallback
    candidate, n = slug, 1
    while candidate in taken:
        n += 1
        candidate = f"{slug}-{n}"
    taken.add(candidate)
    return candidate


def _prune(value: Any) -> Any:
    """Drop empty answers: None, empty strings, and lists or mappings left empty."""
    if isinstance(value, dict):
        pruned = {k: _prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        return [v for v in (_prune(v) for v in value) if v not in (None, "", [], {})]
    return value


class CaseInterview:
    """The questions of ``mend new``, in the order of the method."""

    def __init__(self, ui: Interview, source: dict[str, Any], default_timezone: str) -> None:
        self.ui = ui
        self.src = source
        self.default_timezone = default_timezone

    def run(self, case_id: Callable[[str, str], str]) -> tuple[str, dict[str, Any]]:
        """Ask everything; return the case id and the case as plain data."""
        ui, src = self.ui, self.src
        ui.section(
            "1. Be prepared",
            "What the project is, who is involved, how the client works, and what went wrong.",
        )
        title = ui.ask(
            "Title of the case",
            example="Getting the Acme portal relaunch back on track",
            default=_text(src, "title"),
            required=True,
            check=_text_check,
        )
        organisation = ui.ask(
            "Client organisation",
            example="Acme Logistics Ltd",
            default=_text(src, "client", "organisation"),
            required=True,
            check=field_check(Client, "organisation"),
        )
        cid = case_id(title, organisation)
        timezone = ui.ask(
            f"Time zone of the check-ins (empty: {self.default_timezone}, from mend.toml)",
            example="Europe/London",
            default=_text(src, "timezone"),
            check=_timezone_check,
        )
        culture = ui.ask(
            "Internal: how the client decides and what they value",
            example="Anything over £25k goes to the monthly steering committee",
            default=_text(src, "client", "culture"),
        )
        ui.note("The client's people. The first is the main contact, who the recaps address.")
        contacts = self.people("Client contact", _records(src, "client", "contacts"), "Dana Okafor")
        team_organisation = ui.ask(
            "Our organisation",
            example="Brightline Studio",
            default=_text(src, "team", "organisation"),
            check=_text_check,
        )
        ui.note("Our people. The first leads the recovery and sends the recaps.")
        members = self.people("Team member", _records(src, "team", "members"), "Sam Rivera")
        summary = ui.ask(
            "What happened, in a sentence or two",
            example="The relaunch slipped three weeks and we told Acme on launch day",
            default=_text(src, "incident", "summary"),
            required=True,
        )
        occurred = ui.ask(
            "When it happened (YYYY-MM-DD)",
            example="2026-10-30",
            default=_text(src, "incident", "occurred"),
            check=field_check(Incident, "occurred"),
        )
        impact = ui.ask(
            "What it cost the client",
            example="1,200 customers were told the portal was live; 300 called support",
            default=_text(src, "incident", "impact"),
        )

        ui.section(
            "2. Get the facts",
            "What happened, from whose account. Internal. Mark the facts the two sides dispute.",
        )
        facts = self.facts()
        ui.section(
            "3. Find the feelings",
            "Who feels what, and what shows it. Internal: for your preparation only.",
        )
        feelings = self.feelings()
        ui.section(
            "4. What was left unsaid",
            "Unfinished sentences, avoided subjects, unanswered questions. Internal.",
        )
        unsaid = ui.ask_list(
            "Unsaid",
            example="Whether they are talking to another agency",
            defaults=_texts(src, "listening", "unsaid"),
            check=_text_check,
        )
        ui.section(
            "5. Questions to ask",
            "Open questions that let the client put the problem in their own words.",
        )
        questions = ui.ask_list(
            "Question",
            example="Help me understand what the board needs to see from us",
            defaults=_texts(src, "listening", "questions"),
            check=_text_check,
        )
        ui.section(
            "6. Let them know you got it",
            "Restatements to read back in the meeting, to confirm you understood.",
        )
        restatements = ui.ask_list(
            "Restatement",
            example="You need a date you can trust, not an optimistic one",
            defaults=_texts(src, "listening", "restatements"),
            check=_text_check,
        )
        ui.section(
            "7. Frame the problem",
            "The client's view and ours side by side (internal), and the framing both can agree on.",
        )
        client_view = ui.ask(
            "Internal: the problem as the client sees it",
            example="The agency hides bad news until it is too late",
            default=_text(src, "framing", "client_view"),
        )
        our_view = ui.ask(
            "Internal: the problem as we see it",
            example="The scope grew without anyone re-planning the dates",
            default=_text(src, "framing", "our_view"),
        )
        shared = ui.ask(
            "The framing both sides can agree on (client-facing)",
            example="The release process gave neither of us an early warning",
            default=_text(src, "framing", "shared"),
        )
        ui.section(
            "8. What we own",
            "Our mistakes in our own words, and the apology. Both go to the client.",
        )
        mistakes = ui.ask_list(
            "Mistake",
            example="We did not warn you early enough that the date was at risk",
            defaults=_texts(src, "ownership", "mistakes"),
            check=_text_check,
        )
        apology = ui.ask(
            "The apology",
            example="We are sorry: the delay was ours, and so was telling you so late",
            default=_text(src, "ownership", "apology"),
        )
        ui.section(
            "9. Affirmations",
            "What is going well, and thanks for specific things: the agenda opens with them.",
        )
        affirmations = ui.ask_list(
            "Affirmation",
            example="Your team tested the beta within a day",
            defaults=_texts(src, "affirmations"),
            check=_text_check,
        )
        ui.section(
            "10. The plan",
            "Objectives, and milestones with an owner and a due date: what back on track looks like.",
        )
        lead = members[0]["name"]
        objectives, milestones = self.plan(lead)
        ui.section(
            "11. Check-ins",
            "A steady rhythm of check-ins is how trust comes back. Empty cadence: none yet.",
        )
        checkins = self.checkins()

        contacts[0]["primary"] = True
        members[0]["lead"] = True
        data = {
            "title": title,
            "status": "open",
            "timezone": timezone,
            "client": {"organisation": organisation, "culture": culture, "contacts": contacts},
            "team": {"organisation": team_organisation, "members": members},
            "incident": {"summary": summary, "occurred": occurred, "impact": impact},
            "listening": {
                "facts": facts,
                "feelings": feelings,
                "unsaid": unsaid,
                "questions": questions,
                "restatements": restatements,
            },
            "ownership": {"mistakes": mistakes, "apology": apology},
            "framing": {"client_view": client_view, "our_view": our_view, "shared": shared},
            "affirmations": affirmations,
            "plan": {"objectives": objectives, "milestones": milestones, "checkins": checkins},
        }
        return cid, _prune(data)

    def people(self, label: str, defaults: list[dict[str, Any]], example: str) -> list[dict]:
        ui = self.ui
        people: list[dict[str, Any]] = []
        for n, old in _numbered(defaults):
            old = old or {}
            if n == 1:
                ui.note(f"  e.g. {example}")
            if not people and not old:  # the first is required: no "(empty: done)"
                name = ui.ask(f"{label} {n}, name", required=True, check=_text_check)
            else:
                name = ui.item(f"{label} {n}, name", _text(old, "name"), check=_text_check)
            if name is _END and not people:
                ui.echo("  At least one is needed.")
                name = ui.ask(f"{label} {n}, name", required=True, check=_text_check)
            if name is _END:
                break
            if name is None:
                continue
            people.append(
                {
                    "name": name,
                    "role": ui.ask("  role", default=_text(old, "role"), check=_text_check),
                    "email": ui.ask(
                        "  email", default=_text(old, "email"), check=field_check(Contact, "email")
                    ),
                    "phone": ui.ask("  phone", default=_text(old, "phone"), check=_text_check),
                }
            )
        return people

    def facts(self) -> list[dict[str, Any]]:
        ui = self.ui
        ui.note("  e.g. The launch moved from 9 to 30 October")
        facts = []
        for n, old in _numbered(_records(self.src, "listening", "facts")):
            old = old or {}
            text = ui.item(f"Fact {n}", _text(old, "text"), check=_text_check)
            if text is _END:
                break
            if text is None:
                continue
            source = ui.ask(
                "  whose account: client, us or record",
                default=_text(old, "source"),
                check=choice(("client", "us", "record")),
            )
            disputed = ui.ask(
                "  disputed? (y/n)",
                default=_get(old, "disputed") in ("true", "yes", True),
                check=yes_no,
            )
            note = ui.ask(
                "  note: why it is disputed, or anything to remember"
                if disputed
                else "  note (optional)",
                default=_text(old, "note"),
            )
            facts.append(
                {"text": text, "source": source, "disputed": disputed or None, "note": note}
            )
        return facts

    def feelings(self) -> list[dict[str, Any]]:
        ui = self.ui
        ui.note("  e.g. embarrassed in front of her board")
        feelings = []
        for n, old in _numbered(_records(self.src, "listening", "feelings")):
            old = old or {}
            feeling = ui.item(f"Feeling {n}", _text(old, "feeling"), check=_text_check)
            if feeling is _END:
                break
            if feeling is None:
                continue
            who = ui.ask("  who feels it", default=_text(old, "who"), check=_text_check)
            evidence = ui.ask(
                "  what shows it",
                default=_text(old, "evidence"),
                check=field_check(Feeling, "evidence"),
            )
            feelings.append({"who": who, "feeling": feeling, "evidence": evidence})
        return feelings

    def plan(self, lead: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        ui = self.ui
        src = self.src
        ids: set[str] = set()
        objective_texts = ui.ask_list(
            "Objective",
            example="A release that passes the client's acceptance tests",
            defaults=[o["text"] for o in _records(src, "plan", "objectives") if _text(o, "text")],
            check=_text_check,
        )
        old_objectives = {
            _text(o, "id"): _text(o, "text") for o in _records(src, "plan", "objectives")
        }
        old_ids = {text: oid for oid, text in old_objectives.items() if oid and text}
        objectives = [
            {"id": _unique_slug(text, ids, f"objective-{n}", keep=old_ids.get(text)), "text": text}
            for n, text in enumerate(objective_texts, 1)
        ]
        new_ids = {o["text"]: o["id"] for o in objectives}
        ui.note("Milestones: at least one, each with a due date.")
        ui.note("  e.g. Integration suite green on staging")
        milestones: list[dict[str, Any]] = []
        for n, old in _numbered(_records(src, "plan", "milestones")):
            old = old or {}
            if not milestones and not old:  # the first is required: no "(empty: done)"
                title = ui.ask(f"Milestone {n}", required=True, check=_text_check)
            else:
                title = ui.item(f"Milestone {n}", _text(old, "title"), check=_text_check)
            if title is _END and not milestones:
                ui.echo("  At least one milestone is needed.")
                title = ui.ask(f"Milestone {n}", required=True, check=_text_check)
            if title is _END:
                break
            if title is None:
                continue
            due = ui.ask(
                "  due (YYYY-MM-DD)",
                default=_text(old, "due"),
                required=True,
                check=field_check(Milestone, "due"),
            )
            owner = ui.ask(
                "  owner",
                default=_text(old, "owner") or lead,
                check=_text_check,
            )
            objective = None
            if objectives:
                old_text = old_objectives.get(_text(old, "objective"))
                choices = [o["id"] for o in objectives]
                objective = ui.ask(
                    f"  objective ({', '.join(f'{i}: {o}' for i, o in enumerate(choices, 1))})",
                    default=new_ids.get(old_text) if old_text else None,
                    check=_pick(choices),
                )
            milestones.append(
                {
                    "id": _unique_slug(title, ids, f"milestone-{n}", keep=_text(old, "id")),
                    "title": title,
                    "due": due,
                    "owner": owner,
                    "objective": objective,
                }
            )
        return objectives, milestones

    def checkins(self) -> dict[str, Any] | None:
        ui = self.ui
        old = _get(self.src, "plan", "checkins") or {}
        cadence = ui.ask(
            "Cadence: weekly, fortnightly or monthly",
            example="weekly",
            default=_text(old, "cadence"),
            check=choice(("weekly", "fortnightly", "monthly")),
        )
        if cadence is None:
            return None
        starts = ui.ask(
            "  first check-in on or after (YYYY-MM-DD)",
            default=_text(old, "starts"),
            required=True,
            check=field_check(Checkins, "starts"),
        )
        weekday = ui.ask(
            "  weekday (empty: the weekday of that date)",
            default=_text(old, "weekday"),
            check=choice(WEEKDAYS),
        )
        at = ui.ask(
            "  time (HH:MM)", default=_text(old, "time"), check=field_check(Checkins, "time")
        )
        duration = ui.ask("  minutes", default=_text(old, "duration") or 30, check=minutes)
        channel = ui.ask(
            "  channel",
            example="video call",
            default=_text(old, "channel"),
            check=_text_check,
        )
        link = ui.ask("  link", default=_text(old, "link"), check=field_check(Checkins, "link"))
        while True:
            until = ui.ask(
                "  last check-in by (YYYY-MM-DD, optional)",
                default=_text(old, "until"),
                check=field_check(Checkins, "until"),
            )
            if until is None or until >= starts:
                break
            ui.echo(click.style(f"  that is before the first check-in ({starts})", fg="red"))
            old = {}
        return {
            "cadence": cadence,
            "weekday": weekday,
            "time": at,
            "duration": duration,
            "channel": channel,
            "link": link,
            "starts": starts,
            "until": until,
        }


_text_check = field_check(Fact, "text")
_timezone_check = _adapter_check(TypeAdapter(TimeZone))


def _pick(ids: list[str]) -> Check:
    def check(answer: str) -> str:
        word = answer.strip()
        if word.isdigit() and 1 <= int(word) <= len(ids):
            return ids[int(word) - 1]
        return choice(ids)(word)

    return check


# -- the written case ---------------------------------------------------------------

RULE = "-" * 75

_COMMENTS = Comments(
    above={
        (
            "client",
            "culture",
        ): "INTERNAL: how they decide and what they value. Never shown to the client.",
        ("client", "contacts"): "The primary contact is the one the agreement and recaps address.",
        ("team", "members"): "The lead sends the recaps.",
        (
            "listening",
            "facts",
        ): "Get the facts: what happened, from whose account (client, us or record).\n"
        "A disputed fact needs a note: raise it in the meeting with care, if at all.",
        ("listening", "feelings"): "Find the feelings: who feels what, and what shows it.",
        ("listening", "unsaid"): "What was left unsaid: often what the meeting is really about.",
        ("listening", "questions"): 'Questions to ask: open ones ("Help me understand ...").',
        ("listening", "restatements"): "Restatements to read back, to show we heard them.",
        ("framing", "client_view"): "INTERNAL: each side's view of the problem.",
        ("framing", "shared"): "Client-facing: the framing both sides can agree on.",
        ("plan", "milestones"): "Each with an owner and a due date. Add `status:` as it moves:\n"
        "planned | on-track | at-risk | done | missed.",
        ("plan", "checkins"): "Without check-ins there is no agenda and no calendar.",
    },
    after={
        ("status",): "open | resolved | closed",
        ("timezone",): "for check-in times; default from mend.toml",
        ("incident",): "what went wrong, in plain words",
        ("plan", "checkins", "cadence"): "weekly | fortnightly | monthly",
        ("plan", "checkins", "duration"): "minutes",
    },
)

_SECTIONS: list[tuple[tuple[str, ...], str]] = [
    (
        ("title", "status", "timezone", "client", "team", "incident"),
        "1. Be prepared: who is involved, how they work, and what happened.",
    ),
    (
        ("listening",),
        "2. Listen. INTERNAL, all of it: it goes into the brief you read before\n   a meeting, never into anything the client receives.",
    ),
    (
        ("ownership", "framing", "affirmations"),
        "3. What we own, how we frame the problem, and what is going well.\n   Affirmations open the agenda: every meeting should start with some.",
    ),
    (
        ("plan",),
        "4. The plan: how we move forward, when we check in, how we will know we\n   are back on track.",
    ),
]

_ABSENT = {
    "listening": "No listening notes yet: add facts, feelings, unsaid, questions and restatements\n"
    "under `listening:` before the first meeting (they fill the internal brief).",
    "ownership": "Nothing owned yet: add `ownership:` with `mistakes:` and an `apology:`.",
    "framing": "No framing yet: add `framing:` with client_view, our_view and shared.",
    "affirmations": "No affirmations yet: add `affirmations:`, specific things going well.",
}


_NO_CHECKINS = [
    "  # No check-ins yet, so no agenda and no calendar. When you have a rhythm:",
    "  # checkins:",
    "  #   cadence: weekly           # weekly | fortnightly | monthly",
    "  #   weekday: tuesday",
    '  #   time: "10:00"',
    "  #   starts: YYYY-MM-DD",
]


def case_text(data: dict[str, Any], *, today: date, case_id: str) -> str:
    """The case as commented YAML, with hints for the sections still to write."""
    lead = data["team"]["members"][0]["name"]
    contact = data["client"]["contacts"][0]["name"]
    out = [
        f"# {data['title']}".replace("\n", " "),
        f"# Written by `mend new` on {today.isoformat()}. Edit it freely: `mend check {case_id}`",
        "# points at what is missing, `mend build` writes the documents. Fields marked",
        "# INTERNAL appear only in output/<case>/internal/, never in the client's documents.",
        "",
    ]
    for keys, heading in _SECTIONS:
        out += [f"# {RULE}", *(f"# {line}" for line in heading.splitlines()), f"# {RULE}"]
        for key in keys:
            if key in data:
                out.append(dump({key: data[key]}, _COMMENTS).rstrip("\n"))
                if key == "plan" and "checkins" not in data["plan"]:
                    out += _NO_CHECKINS
            elif key in _ABSENT:
                out += [f"# {line}" for line in _ABSENT[key].splitlines()]
        out.append("")
    out += [
        f"# {RULE}",
        f"# 5. Meetings: the living log. After each meeting, `mend log {case_id}` adds one;",
        "#    a meeting with notes gets a recap email. For example:",
        f"# {RULE}",
        "# meetings:",
        "#   - date: YYYY-MM-DD",
        "#     kind: kickoff               # kickoff | check-in | review | closing",
        f"#     attendees: [{contact}, {lead}]",
        "#     heard: [what the client said, restated]",
        "#     decisions: [what was decided]",
        "#     actions:",
        f"#       - {{text: what, owner: {lead}, due: YYYY-MM-DD}}",
        "#     progress:",
        "#       - {milestone: a-milestone-id, status: on-track}",
        "",
        f"# {RULE}",
        "# 6. The agreement: what both sides agreed, to point back to later, signed",
        "#    by someone from each side. For example:",
        f"# {RULE}",
        "# agreement:",
        "#   effective: YYYY-MM-DD",
        "#   commitments:",
        "#     - {party: us, text: Weekly written status every Friday}",
        "#   signatories:",
        f"#     - {{name: {contact}, party: client}}",
        f"#     - {{name: {lead}, party: us}}",
    ]
    return "\n".join(out) + "\n"


# -- the command ----------------------------------------------------------------------


@dataclass
class NewCase:
    """What ``mend new`` wrote, for the command to report."""

    path: Path
    display: str
    warnings: list[Problem]
    notes: list[Problem]


def new_case(
    workspace: Workspace,
    *,
    today: date,
    case_id: str | None = None,
    source: str | None = None,
    ui: Interview | None = None,
) -> NewCase:
    """Interview the user and write ``content/<id>.yaml`` in a workspace.

    ``workspace`` is a :class:`generator.build.Workspace`; ``source`` a case id
    or path whose answers are offered as defaults.
    """
    from .coach import coach

    ui = ui or Interview()
    if case_id is not None:
        _check_new_id(workspace, case_id)
    src: dict[str, Any] = {}
    if source is not None:
        path = workspace.resolve_case(source)
        display = workspace.display(path)
        src, _, _ = parse_yaml(read_text(path, display), display)
        ui.note(f"Suggested answers come from {display}: Enter keeps one, '-' drops it.")
    ui.echo(
        "A new case, one question at a time, in the order of the method. Press Enter "
        "to skip an optional question; a list ends at an empty answer."
    )

    def ask_id(title: str, organisation: str) -> str:
        if case_id is not None:
            return case_id
        suggestion = _free_id(workspace, slugify(organisation) or slugify(title) or "case")

        def check(answer: str) -> str:
            _check_new_id(workspace, answer)
            return answer

        return ui.ask(
            "Case id, the file name in content/",
            default=suggestion,
            required=True,
            check=check,
        )

    interview = CaseInterview(ui, src, workspace.config.timezone)
    cid, data = interview.run(ask_id)
    target = workspace.content / f"{cid}.yaml"
    display = workspace.display(target)
    text = case_text(data, today=today, case_id=cid)
    parsed, lines, problems = parse_yaml(text, display)
    try:
        casefile = validate_case(
            parsed,
            lines,
            path=target,
            display=display,
            today=today,
            default_timezone=workspace.config.timezone,
            problems=problems,
        )
    except CaseError as exc:  # a bug of ours: keep the answers, say where
        draft = workspace.content / f".{cid}.draft.yaml"
        try:
            atomic_write(draft, text.encode("utf-8"), durable=True)
        except OSError as write_exc:
            raise WriteError.from_os_error(write_exc, draft, workspace.display(draft)) from None
        raise CaseError(
            [
                *exc.problems,
                Problem(workspace.display(draft), None, "", "your answers are saved here"),
            ]
        ) from None
    _check_new_id(workspace, cid)  # the interview took a while: look again
    write_new(target, text.encode("utf-8"), display)
    return NewCase(target, display, casefile.warnings, coach(casefile, today))


def _check_new_id(workspace: Workspace, case_id: str) -> None:
    if not _SLUG_RE.match(case_id):
        raise _IdError(f'not a valid case id: "{case_id}" (lower-case letters, digits and hyphens)')
    for suffix in (".yaml", ".yml"):
        path = workspace.content / f"{case_id}{suffix}"
        if path.exists():
            raise _IdError(f"{workspace.display(path)} already exists: choose another id")
    try:
        other = workspace.resolve_case(case_id)
    except MendError:
        return
    raise _IdError(f"case id {case_id} is already used by {workspace.display(other)}")


class _IdError(MendError, ValueError):
    """A case id that cannot be used: a user error, and re-asked in the interview."""


def _free_id(workspace: Workspace, base: str) -> str:
    base = base[:40].strip("-") or "case"
    candidate, n = base, 1
    while True:
        try:
            _check_new_id(workspace, candidate)
            return candidate
        except _IdError:
            n += 1
            candidate = f"{base}-{n}"
