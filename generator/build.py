"""Building a workspace: load every case, render its documents, write them.

Data flows one way: case files are loaded and validated (``case``), each
document gets a view for its audience (``views``), the format's writer turns
it into bytes (``writers``), and only when every file of a case rendered are
they written, each atomically. A case that fails leaves its previous output
as it was; the other cases still build.
"""

from __future__ import annotations

import time as _time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path, PurePosixPath

from .case import CaseFile, load_case
from .config import Config, load_config
from .documents import FORMATS, KINDS, documents_for
from .errors import CaseError, MendError, Problem, display_path
from .render import Renderer
from .views import build_view, redact
from .writers import BuildContext, Source, atomic_write, get_writer

CASE_SUFFIXES = (".yaml", ".yml")


@dataclass
class Workspace:
    """A folder with ``content/``, optional ``templates/`` and ``mend.toml``."""

    root: Path
    config: Config

    @classmethod
    def open(cls, root: Path) -> Workspace:
        root = root.resolve()
        if not root.is_dir():
            raise MendError(f"workspace not found: {root}")
        return cls(root=root, config=load_config(root))

    @property
    def content(self) -> Path:
        return self.root / "content"

    def case_paths(self) -> list[Path]:
        """Every case file in ``content/``, in a stable order."""
        if not self.content.is_dir():
            return []
        return sorted(
            p
            for p in self.content.iterdir()
            if p.suffix in CASE_SUFFIXES and p.is_file() and not p.name.startswith(".")
        )

    def display(self, path: Path) -> str:
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

    def load(self, path: Path, today: date) -> CaseFile:
        return load_case(
            path, display=self.display(path), today=today, default_timezone=self.config.timezone
        )


def _declared_id(path: Path) -> str | None:
    try:
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("id:"):
                    return line[3:].split("#")[0].strip().strip("\"'")
    except (OSError, UnicodeDecodeError):
        return None
    return None


@dataclass
class LoadResult:
    cases: list[CaseFile] = field(default_factory=list)
    errors: list[CaseError] = field(default_factory=list)

    @property
    def warnings(self) -> list[Problem]:
        return [w for cf in self.cases for w in cf.warnings]


def load_cases(workspace: Workspace, paths: Iterable[Path], today: date) -> LoadResult:
    """Load every case, collecting errors instead of stopping at the first."""
    result = LoadResult()
    seen: dict[str, CaseFile] = {}
    for path in paths:
        try:
            casefile = workspace.load(path, today)
        except CaseError as exc:
            result.errors.append(exc)
            continue
        other = seen.get(casefile.id)
        if other is not None:
            result.errors.append(
                CaseError(
                    [
                        casefile.problem(
                            ("id",), f'case id "{casefile.id}" is already used by {other.display}'
                        )
                    ]
                )
            )
            continue
        seen[casefile.id] = casefile
        result.cases.append(casefile)
    return result


@dataclass
class BuildReport:
    """What a build did, for the closing line and the exit code."""

    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # one message per failed case or document
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed


def render_case(
    casefile: CaseFile,
    ctx: BuildContext,
    *,
    formats: Sequence[str] = FORMATS,
    kinds: Sequence[str] = KINDS,
    only_date: date | None = None,
) -> dict[PurePosixPath, bytes]:
    """Every file of one case, in memory: nothing is written if one fails."""
    out: dict[PurePosixPath, bytes] = {}
    sources: dict[tuple[str, bool], Source] = {}
    for doc in documents_for(casefile.case, ctx.today):
        if doc.kind not in kinds or (only_date is not None and doc.date not in (None, only_date)):
            continue
        for fmt in doc.formats:
            if fmt not in formats:
                continue
            key = (doc.audience, fmt == "md")
            source = sources.get(key)
            if source is None:
                case = casefile.case if doc.audience == "internal" else redact(casefile.case)
                view = build_view(casefile, doc.audience, ctx.today, markdown=fmt == "md")
                source = sources[key] = Source(casefile, case, view)
            out[doc.path(fmt)] = get_writer(fmt)(doc, source, ctx)
    return out


def build(
    root: Path,
    *,
    today: date,
    out: Path | None = None,
    formats: Sequence[str] = FORMATS,
    kinds: Sequence[str] = KINDS,
    cases: Sequence[str] | None = None,
    only_date: date | None = None,
) -> BuildReport:
    """Build a workspace (or some of its cases) into its output folder."""
    started = _time.perf_counter()
    workspace = Workspace.open(root)
    out = (out or workspace.root / "output").resolve()
    paths = [workspace.resolve_case(c) for c in cases] if cases else workspace.case_paths()
    loaded = load_cases(workspace, paths, today)
    report = BuildReport()
    report.warnings.extend(f"warning: {w}" for w in loaded.warnings)
    for error in loaded.errors:
        report.failed.extend(str(p) for p in error.problems)
    ctx = BuildContext(
        workspace=workspace.root,
        config=workspace.config,
        renderer=Renderer(workspace.root),
        today=today,
    )
    for casefile in loaded.cases:
        try:
            files = render_case(casefile, ctx, formats=formats, kinds=kinds, only_date=only_date)
        except MendError as exc:
            report.failed.append(f"{casefile.display}: {exc.format_message()}")
            continue
        _write_files(out, files, report)
    if cases is None and "html" in formats and set(kinds) == set(KINDS):
        try:
            index = render_index(workspace, loaded, ctx)
        except MendError as exc:
            report.failed.append(f"index.html: {exc.format_message()}")
        else:
            _write_files(out, {PurePosixPath("index.html"): index}, report)
    report.warnings.extend(f"warning: {w}" for w in ctx.warnings)
    report.seconds = _time.perf_counter() - started
    return report


def _write_files(out: Path, files: dict[PurePosixPath, bytes], report: BuildReport) -> None:
    for rel, data in files.items():
        target = out / rel
        if not target.resolve().is_relative_to(out):  # ids are slugs; belt and braces
            raise MendError(f"refusing to write outside the output folder: {rel}")
        try:
            if (
                target.is_file()
                and target.stat().st_size == len(data)
                and target.read_bytes() == data
            ):
                report.unchanged.append(target)
                continue
        except OSError:
            pass
        atomic_write(target, data)
        report.written.append(target)


def render_index(workspace: Workspace, loaded: LoadResult, ctx: BuildContext) -> bytes:
    """``output/index.html``: every case at a glance, client-safe."""
    entries = []
    for casefile in loaded.cases:
        view = build_view(casefile, "client", ctx.today)
        docs = documents_for(casefile.case, ctx.today)
        links = [
            {"kind": d.kind, "date": d.date, "href": str(d.path(f)), "format": f}
            for d in docs
            if d.audience == "client"
            for f in d.formats
            if f in ("html", "pdf", "ics", "eml")
        ]
        entries.append({**view, "links": links})
    invalid = [error.problems[0].file for error in loaded.errors if error.problems]
    context = {
        "audience": "client",
        "format": "html",
        "today": ctx.today,
        "entries": entries,
        "invalid": invalid,
    }
    return ctx.renderer.render("html/index.html", context).encode("utf-8")
