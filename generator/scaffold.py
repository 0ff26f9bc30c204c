"""Starting out: ``mend init`` (a new workspace) and ``mend new`` (a new case).

``init`` copies the starter files shipped in ``generator/starter/``: a
commented ``mend.toml``, an annotated example case, a README on overriding
templates and a ``.gitignore``. The example's dates are written relative to
the day of ``init`` (``<today+9>`` in the starter file), so a new workspace
has an upcoming check-in, an agenda to build, and nothing overdue.

``new`` asks the questions of ``interview.py`` (through the prompts of
``prompts.py``), and writes the answers as the commented case file of the
template ``generator/starter/new-case.yaml.j2``, each answer as YAML by
``yamltext.py``. The text is validated as a whole with ``case.py`` and
written atomically; an existing file is never replaced.
"""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .case import validate_case
from .documents import slugify
from .errors import CaseError, MendError, Problem, WriteError
from .interview import SLUG_RE, CaseInterview
from .kinds import KINDS
from .output import atomic_write
from .prompts import Interview
from .reader import parse_yaml, read_text
from .yamltext import Comments, dump

if TYPE_CHECKING:
    from .workspace import Workspace

STARTER = Path(__file__).resolve().parent / "starter"
#: The text of a case ``mend new`` writes: in ``starter/``, but not copied by ``init``.
NEW_CASE_TEMPLATE = "new-case.yaml.j2"

#: Starter file -> where ``init`` puts it in the new workspace.
STARTER_FILES = {
    "mend.toml": "mend.toml",
    "content/example-case.yaml": "content/example-case.yaml",
    "templates/README.md": "templates/README.md",
    "gitignore": ".gitignore",
}

_RELATIVE_DATE_RE = re.compile(r"<today([+-]\d+)?>")


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


# -- the written case ---------------------------------------------------------------


def case_text(data: dict[str, Any], *, today: date, case_id: str) -> str:
    """The case as commented YAML, with hints for the sections still to write.

    The text around the answers is a Jinja template (``NEW_CASE_TEMPLATE``),
    so it reads as the file it makes; the answers go in through ``yaml``,
    which writes one top-level key with :func:`generator.yamltext.dump`.
    """
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(STARTER),
        autoescape=False,  # YAML, not HTML: yamltext quotes every answer
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )

    def yaml(key: str, above: dict[str, str], after: dict[str, str]) -> str:
        comments = Comments(
            above={tuple(path.split(".")): text for path, text in above.items()},
            after={tuple(path.split(".")): text for path, text in after.items()},
        )
        return dump({key: data[key]}, comments).rstrip("\n")

    return env.get_template(NEW_CASE_TEMPLATE).render(
        case=data,
        today=today.isoformat(),
        case_id=case_id,
        contact=data["client"]["contacts"][0]["name"],
        lead=data["team"]["members"][0]["name"],
        yaml=yaml,
    )


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
    if not SLUG_RE.match(case_id):
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
