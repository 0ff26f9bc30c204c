"""Building a workspace: load every case, render its documents, write them.

Data flows one way: case files are loaded and validated (``case``), each
document gets a view for its audience (``views``), the format's writer turns
it into bytes (``writers``), and each file is written as soon as it is made,
under a temporary name; only when every file of a case rendered are they
renamed into place (``output``). A case that fails leaves its previous output
as it was; the other cases still build. A file that cannot be written (a
full disk, a read-only folder) stops the build with one message.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import time as _time
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from . import output as output_folder
from .cache import (
    MANIFEST_NAME,
    CaseEntry,
    Fingerprints,
    Manifest,
    base_key,
    digest,
    framed,
)
from .constants import FORMATS
from .errors import CaseError, MendError, Problem, WriteError
from .i18n import get_language, missing_strings, placeholder_errors
from .kinds import KINDS, Registry
from .output import BuildLock, Staging, shown, sweep_temps
from .searchpath import search_path
from .workspace import CONFIG_NAME, Workspace

if TYPE_CHECKING:
    from concurrent.futures import Future

    from .case import CaseFile
    from .documents import Document
    from .writers import BuildContext

# What renders (the case models, the views, the writers, Jinja, Markdown) is
# imported where it is used: a rebuild in which nothing changed reads no case
# and renders nothing, and those imports were most of its time.


@dataclass
class LoadResult:
    cases: list[CaseFile] = field(default_factory=list)
    errors: list[CaseError] = field(default_factory=list)
    #: Strings a workspace catalog of a case's language leaves in English.
    catalog_warnings: list[Problem] = field(default_factory=list)

    @property
    def warnings(self) -> list[Problem]:
        return [w for cf in self.cases for w in cf.warnings] + self.catalog_warnings


def duplicate_id(display: str, line: int | None, case_id: str, other: str) -> Problem:
    """The one message for two case files with one id: ``check`` and ``build`` share it."""
    return Problem(display, line, "id", f'case id "{case_id}" is already used by {other}')


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
            line = casefile.problem(("id",), "").line
            result.errors.append(
                CaseError([duplicate_id(casefile.display, line, casefile.id, other.display)])
            )
            continue
        seen[casefile.id] = casefile
        result.cases.append(casefile)
    for code in sorted({cf.case.language or "en" for cf in result.cases}):
        for path, line, error in placeholder_errors(code, workspace.root):
            result.catalog_warnings.append(Problem(workspace.display(path), line, "", error))
        for path, message in missing_strings(code, workspace.root):
            result.catalog_warnings.append(
                Problem(
                    workspace.display(path),
                    None,
                    "",
                    f'no translation of "{message}" for language {code}: it prints in English',
                )
            )
    return result


@dataclass
class BuildReport:
    """What a build did, for the closing line and the exit code."""

    # Paths relative to the output folder, in POSIX form: plain strings, as a
    # build of 10,000 cases lists 160,000 files and a Path costs six times more.
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # rendered, same bytes as before
    skipped: int = 0  # not even rendered: nothing they depend on changed
    removed: list[str] = field(default_factory=list)
    failed: list[Problem] = field(default_factory=list)  # file, line, field, message each
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def messages(self) -> list[str]:
        """The failures as the lines ``mend build`` prints (without ``error: ``)."""
        return [str(problem) for problem in self.failed]


def iter_case(
    casefile: CaseFile,
    ctx: BuildContext,
    *,
    formats: Sequence[str] = FORMATS,
    kinds: Sequence[str] | None = None,
    only_date: date | None = None,
    wanted: Callable[[Document, str], bool] | None = None,
    registry: Registry = KINDS,
) -> Iterator[tuple[PurePosixPath, bytes]]:
    """Each file of one case as it is rendered, so that it can be written and
    forgotten: a case with 2,000 recaps never holds more than one.

    ``wanted`` narrows the work further (the incremental build asks only for
    documents whose inputs changed).
    """
    from .model import redact
    from .views import build_view
    from .writers import Source, get_writer

    sources: dict[tuple[str, bool], Source] = {}
    shared: dict[Any, Any] = {}  # what an audience's md and html views compute alike
    language = get_language(casefile.case.language, ctx.workspace)
    for doc, fmt in planned_outputs(
        casefile, ctx.today, formats=formats, kinds=kinds, only_date=only_date, registry=registry
    ):
        if wanted is not None and not wanted(doc, fmt):
            continue
        key = (doc.audience, fmt == "md")
        source = sources.get(key)
        if source is None:
            case = casefile.case if doc.audience == "internal" else redact(casefile.case)
            view = build_view(
                casefile,
                doc.audience,
                ctx.today,
                markdown=fmt == "md",
                language=language,
                shared=shared,
            )
            source = sources[key] = Source(casefile.where, case, view)
        data = get_writer(fmt)(doc, source, ctx)
        if data is not None:  # None: the writer skipped it and said why (ctx.warn)
            yield doc.path(fmt), data


def planned_outputs(
    casefile: CaseFile,
    today: date,
    *,
    formats: Sequence[str] = FORMATS,
    kinds: Sequence[str] | None = None,
    only_date: date | None = None,
    registry: Registry = KINDS,
) -> list[tuple[Document, str]]:
    """Each (document, format) of a case that a build with these options makes.

    ``kinds`` narrows the registry's kinds by name (``None``: all of them).
    """
    from .documents import documents_for

    return [
        (doc, fmt)
        for doc in documents_for(casefile.case, today, registry)
        if (kinds is None or doc.kind in kinds)
        and (only_date is None or doc.date in (None, only_date))
        for fmt in doc.formats
        if fmt in formats
    ]


# -- one case, in this process or a worker ----------------------------------------


@dataclass
class _Task:
    path: Path
    rel: str
    display: str
    previous: CaseEntry | None
    force: bool


@dataclass
class _Result:
    rel: str
    staging: Staging | None = None  # the case's new files, under temporary names
    fault: WriteError | None = None  # a file could not be written: the build stops
    entry: CaseEntry | None = None
    skipped: int = 0
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: Where the case's id is given, for a duplicate id found after rendering.
    id_line: int | None = None


@dataclass
class _Job:
    """Settings of one build, shared with every worker process."""

    root: Path
    today: date
    formats: tuple[str, ...]
    kinds: tuple[str, ...]  # the names of the kinds asked for
    only_date: date | None
    base: str
    out: Path
    registry: Registry = KINDS


class _Worker:
    """What rendering cases needs in one process (the main one, or a worker).

    The renderer is made when the first case renders: a rebuild that skips
    every case needs only the fingerprints, and not Jinja's environments,
    the views or the writers.
    """

    def __init__(
        self,
        job: _Job,
        workspace: Workspace | None = None,
        references: dict[str, Any] | None = None,
    ) -> None:
        self.job = job
        self.workspace = workspace if workspace is not None else Workspace.open(job.root)
        root = self.workspace.root
        self.fingerprints = Fingerprints(search_path(root), root / "assets", root, references)
        self._ctx: BuildContext | None = None

    @property
    def ctx(self) -> BuildContext:
        if self._ctx is None:
            from .render import get_renderer
            from .writers import BuildContext

            workspace = self.workspace
            self._ctx = BuildContext(
                workspace=workspace.root,
                config=workspace.config,
                renderer=get_renderer(workspace.root),
                today=self.job.today,
            )
        return self._ctx


_worker: _Worker | None = None


def _init_worker(
    job: _Job, workspace: Workspace | None = None, references: dict[str, Any] | None = None
) -> None:
    global _worker
    _worker = _Worker(job, workspace, references)


def _build_one(task: _Task) -> _Result:
    """Load, validate and render one case; never raises for the user's errors."""
    from .published import Ledger
    from .reader import read_case_bytes

    assert _worker is not None
    job, workspace, fingerprints = _worker.job, _worker.workspace, _worker.fingerprints
    ctx = _worker.ctx
    result = _Result(task.rel)
    ctx.warnings = []
    ctx.ledger = Ledger.from_json(task.previous.calendar if task.previous else None)
    try:
        data = read_case_bytes(task.path, task.display)  # bounded: a huge file is refused
        casefile = workspace.load(task.path, job.today, raw=data)
    except CaseError as exc:
        result.problems.extend(exc.problems)
        return result
    except OSError as exc:
        result.problems.append(Problem(task.display, None, "", f"cannot read: {exc.strerror}"))
        return result
    result.warnings.extend(f"warning: {w}" for w in casefile.warnings)
    result.id_line = casefile.problem(("id",), "").line
    case_hash = digest(data)
    today = job.today.isoformat()
    language = casefile.case.language or "en"
    previous = task.previous.outputs if task.previous and not task.force else {}
    outputs: dict[str, dict[str, str]] = {}
    asked: set[str] = set()

    def wanted(doc: Document, fmt: str) -> bool:
        rel = str(doc.path(fmt))
        key = fingerprints.output_key(
            base=job.base,
            case_hash=case_hash,
            kind=doc.spec,
            fmt=fmt,
            today=today,
            language=language,
        )
        outputs[rel] = {"kind": doc.kind, "fmt": fmt, "key": key}
        old = previous.get(rel)
        fresh = old is not None and old["key"] == key and (job.out / rel).is_file()
        if not fresh:
            asked.add(rel)
        return not fresh

    staging = Staging(job.out, job.root)
    made: set[str] = set()
    try:
        for rel_path, data in iter_case(
            casefile,
            ctx,
            formats=job.formats,
            kinds=job.kinds,
            only_date=job.only_date,
            wanted=wanted,
            registry=job.registry,
        ):
            staging.add(rel_path, data)
            made.add(str(rel_path))
    except WriteError as exc:
        staging.discard()
        result.fault = exc
        return result
    except CaseError as exc:  # a writer found a field it cannot use: file, line, field
        staging.discard()
        result.problems.extend(exc.problems)
        return result
    except MendError as exc:
        staging.discard()
        result.problems.append(Problem(casefile.display, None, "", exc.format_message()))
        return result
    except BaseException:
        staging.discard()
        raise
    result.staging = staging
    result.skipped = len(outputs) - len(made)
    for rel in asked:
        if rel not in made:
            # The writer declined and warned (a recap with no recipient). Kept
            # without a key, so every build tries again and warns again.
            outputs[rel] = {**outputs[rel], "key": "", "declined": "yes"}
    result.warnings.extend(f"warning: {w}" for w in ctx.warnings)
    result.entry = CaseEntry(
        id=casefile.id,
        hash=case_hash,
        today=today,
        # A build of one meeting's documents has not seen every document of
        # its kinds, so it must not let the next full build skip this case.
        kinds=[] if job.only_date else list(job.kinds),
        formats=list(job.formats),
        outputs=outputs,
        summary=index_summary(casefile, job.today),
        language=language,
        calendar=ctx.ledger.to_json(),
    )
    return result


# -- the whole workspace ------------------------------------------------------------


class _Skipper:
    """Whether a case can be skipped without parsing it: nothing it uses moved.

    Made once a build, before anything is written, so that it may keep what
    it learns: the key of each kind and format for the case at hand (a
    case's recaps share one), and each output folder's files, read with
    one ``scandir`` instead of a ``stat`` per file.
    """

    def __init__(self, job: _Job, fingerprints: Fingerprints) -> None:
        self.job = job
        self.fingerprints = fingerprints
        self.today = job.today.isoformat()
        self.formats = set(job.formats)
        self.kinds = set(job.kinds)
        self.out = str(job.out)
        self._files: dict[str, frozenset[str]] = {}
        self._tails: dict[tuple[str, str, str], bytes] = {}

    def exists(self, rel: str) -> bool:
        """Whether the output file ``rel`` is there (a regular file, through links)."""
        folder, _, name = rel.rpartition("/")
        names = self._files.get(folder)
        if names is None:
            names = self._files[folder] = _files_in(os.path.join(self.out, folder))
        return name in names

    def __call__(self, task: _Task) -> bool:
        from .casebytes import read_case_bytes

        job = self.job
        entry = task.previous
        if (
            task.force
            or entry is None
            or entry.today != self.today
            and not _today_free(entry, job.registry)
        ):
            return False
        if not (self.formats <= set(entry.formats) and self.kinds <= set(entry.kinds)):
            return False
        if job.only_date is not None:
            return False
        try:
            if digest(read_case_bytes(task.path, task.display)) != entry.hash:
                return False
        except CaseError:
            return False
        keys: dict[tuple[str, str], str] = {}
        head = framed((job.base, entry.hash))
        for rel, info in entry.outputs.items():
            kind, fmt = info["kind"], info["fmt"]
            if fmt not in self.formats or kind not in self.kinds:
                continue
            key = keys.get((kind, fmt))
            if key is None:
                tail = self._tails.get((kind, fmt, entry.language))
                if tail is None:
                    if kind not in job.registry:  # a kind this build does not know
                        return False
                    tail = self._tails[kind, fmt, entry.language] = self.fingerprints.tail(
                        job.registry[kind], fmt, self.today, entry.language
                    )
                key = keys[kind, fmt] = Fingerprints.key_with(head, tail)
            if key != info["key"] or not self.exists(rel):
                return False
        return True


def _files_in(folder: str) -> frozenset[str]:
    """The names of the regular files in ``folder`` (through links); none if unreadable."""
    try:
        with os.scandir(folder) as entries:
            return frozenset(e.name for e in entries if e.is_file())
    except OSError:
        return frozenset()


def _today_free(entry: CaseEntry, registry: Registry) -> bool:
    return all(
        o["kind"] in registry and not registry[o["kind"]].uses_today for o in entry.outputs.values()
    )


def build(
    root: Path,
    *,
    today: date,
    out: Path | None = None,
    formats: Sequence[str] = FORMATS,
    kinds: Sequence[str] | None = None,
    registry: Registry = KINDS,
    cases: Sequence[str] | None = None,
    only_date: date | None = None,
    jobs: int | None = 1,
    force: bool = False,
    progress: Callable[[int], None] | None = None,
    on_start: Callable[[int], None] | None = None,
    on_wait: Callable[[str], None] | None = None,
    lock_wait: float | None = None,
) -> BuildReport:
    """Build a workspace (or some of its cases) into its output folder.

    Only what changed since the last build is rendered (see ``cache.py``);
    ``force`` renders everything. Cases render in ``jobs`` worker processes
    when there is enough work to pay for starting them. Files are written
    atomically, only when their bytes change, and only for cases that
    rendered completely; outputs of removed cases are removed.

    One build at a time writes an output folder: this one waits up to
    ``lock_wait`` seconds (default ``output.LOCK_WAIT``) for another to
    finish, telling ``on_wait`` why, then raises
    :class:`~generator.errors.BusyError`. A file that cannot be written
    raises :class:`~generator.errors.WriteError`: the failing case keeps its
    previous files, and no temporary file is left.
    """
    started = _time.perf_counter()
    workspace = Workspace.open(root)
    out = (out or workspace.root / "output").resolve()
    config_path = workspace.root / CONFIG_NAME
    config_bytes = config_path.read_bytes() if config_path.is_file() else b""
    job = _Job(
        root=workspace.root,
        today=today,
        formats=tuple(formats),
        kinds=registry.names if kinds is None else tuple(kinds),
        only_date=only_date,
        base=base_key(config_bytes),
        out=out,
        registry=registry,
    )
    wait = output_folder.LOCK_WAIT if lock_wait is None else lock_wait
    with BuildLock(out, workspace.root, wait=wait, on_wait=on_wait):
        # Read under the lock: a build that finished while this one waited
        # has recorded outputs that this build must know of to remove them.
        manifest = Manifest.load(out)  # a new base (settings, version) changes every key
        report = BuildReport()
        try:
            _build_locked(workspace, job, manifest, report, cases, jobs, force, progress, on_start)
        except BaseException:
            sweep_temps(out)  # a worker may have staged files for a case never committed
            with contextlib.suppress(MendError, OSError):
                # What was committed before the fault is recorded, so that the
                # next build knows those files (and removes them when stale).
                manifest.base = job.base
                _save_manifest(manifest, out, workspace.root)
            raise
    report.seconds = _time.perf_counter() - started
    return report


def _build_locked(
    workspace: Workspace,
    job: _Job,
    manifest: Manifest,
    report: BuildReport,
    cases: Sequence[str] | None,
    jobs: int | None,
    force: bool,
    progress: Callable[[int], None] | None,
    on_start: Callable[[int], None] | None,
) -> None:
    out = job.out
    paths = [workspace.resolve_case(c) for c in cases] if cases else workspace.case_paths()
    if not cases:
        report.failed.extend(workspace.content_problems())

    _init_worker(job, workspace, manifest.references)
    assert _worker is not None
    fingerprints = _worker.fingerprints
    skip = _Skipper(job, fingerprints)
    tasks: list[_Task] = []
    present: set[str] = set()
    for path in paths:
        rel = workspace.display(path)
        present.add(rel)
        task = _Task(path, rel, rel, manifest.cases.get(rel), force)
        if task.previous is not None and skip(task):
            report.skipped += sum(
                1
                for o in task.previous.outputs.values()
                if o["fmt"] in job.formats and o["kind"] in job.kinds
            )
            continue
        tasks.append(task)

    if on_start is not None:
        on_start(len(tasks))
    rendering = {t.rel for t in tasks}
    seen_ids: dict[str, str] = {
        entry.id: rel for rel, entry in manifest.cases.items() if rel not in rendering
    }
    results = _run(tasks, job, jobs)
    try:
        for result in results:
            if progress is not None:
                progress(1)
            report.warnings.extend(result.warnings)
            if result.fault is not None:
                raise result.fault
            if result.problems:
                report.failed.extend(result.problems)
                continue
            assert result.entry is not None and result.staging is not None
            other = seen_ids.get(result.entry.id)
            if other is not None and other != result.rel:
                result.staging.discard()
                report.failed.append(
                    duplicate_id(result.rel, result.id_line, result.entry.id, other)
                )
                continue
            seen_ids[result.entry.id] = result.rel
            report.unchanged.extend(result.staging.unchanged)
            report.written.extend(result.staging.commit())
            declined = {r: i for r, i in result.entry.outputs.items() if "declined" in i}
            _remove_files(
                out, declined, report, workspace.root
            )  # a file from before it was declined
            report.skipped += result.skipped
            previous = manifest.cases.get(result.rel)
            _remove_stale(out, previous, result.entry, job, report, workspace.root)
            manifest.cases[result.rel] = result.entry
    finally:
        results.close()  # on a fault: stop the workers before their files are swept

    index_changed = False
    if cases is None:  # a case file that is gone takes its outputs with it
        for rel in [r for r in manifest.cases if r not in present]:
            entry = manifest.cases.pop(rel)
            _remove_files(out, entry.outputs, report, workspace.root)
    if cases is None and "html" in job.formats and set(job.kinds) == set(job.registry.names):
        failed_files = sorted({problem.file for problem in report.failed})
        key = index_key(manifest, failed_files, job, fingerprints, workspace.language)
        if manifest.index.get("key") == key and _file_digest(out / "index.html") == (
            manifest.index.get("hash")
        ):
            # What it shows and how are as when it was written, and it is
            # still those bytes: rendering it again would give them again.
            report.unchanged.append("index.html")
        else:
            index = render_index(manifest, failed_files, _worker.ctx, job.registry)
            staging = Staging(out, workspace.root)
            staging.add(PurePosixPath("index.html"), index)
            report.unchanged.extend(staging.unchanged)
            report.written.extend(staging.commit())
            index_changed = manifest.index != {"key": key, "hash": digest(index)}
            manifest.index = {"key": key, "hash": digest(index)}
    manifest.base = job.base
    seen = fingerprints.seen_references
    references_changed = bool(seen) and seen != manifest.references
    if references_changed:
        manifest.references = dict(seen)
    if (
        references_changed
        or report.written
        or report.removed
        or not (out / MANIFEST_NAME).exists()
        or tasks
        or index_changed
    ):
        _save_manifest(manifest, out, workspace.root)


def _save_manifest(manifest: Manifest, out: Path, root: Path) -> None:
    try:
        manifest.save(out)
    except OSError as exc:
        path = out / MANIFEST_NAME
        raise WriteError.from_os_error(exc, path, shown(path, root)) from None


def _run(tasks: list[_Task], job: _Job, jobs: int | None) -> Generator[_Result, None, None]:
    """Results in task order, from worker processes when it pays."""
    workers = min(jobs or os.cpu_count() or 1, len(tasks))
    heavy = "pdf" in job.formats
    if workers <= 1 or (not heavy and len(tasks) < 64):
        for task in tasks:
            yield _build_one(task)
        return
    # A bounded window of tasks in flight: results (with their PDFs) wait in
    # memory only until the main process has written them.
    window = workers * (2 if heavy else 32)
    from concurrent.futures import ProcessPoolExecutor  # multiprocessing: only when it pays

    with ProcessPoolExecutor(
        max_workers=workers, initializer=_init_worker, initargs=(job,)
    ) as pool:
        pending: deque[Future[_Result]] = deque()
        todo = iter(tasks)
        for task in itertools.islice(todo, window):
            pending.append(pool.submit(_build_one, task))
        try:
            while pending:
                result = pending.popleft().result()
                for task in itertools.islice(todo, 1):
                    pending.append(pool.submit(_build_one, task))
                yield result
        finally:
            # Stopped early (a write failed): tasks not started never start,
            # and leaving the block waits for the running ones, so that no
            # worker writes a temporary file after the build swept them.
            for future in pending:
                future.cancel()


def _remove_stale(
    out: Path,
    previous: CaseEntry | None,
    entry: CaseEntry,
    job: _Job,
    report: BuildReport,
    root: Path,
) -> None:
    """Drop files the case made before but no longer yields (a past agenda, say).

    Only outputs of the kinds and formats this build made are considered, and
    their records carry over otherwise, so a partial build forgets nothing.
    """
    if previous is None:
        return
    stale = {}
    for rel, info in previous.outputs.items():
        if rel in entry.outputs:
            continue
        if info["fmt"] in job.formats and info["kind"] in job.kinds and job.only_date is None:
            stale[rel] = info
        else:
            entry.outputs[rel] = info
    entry.kinds = sorted(set(entry.kinds) | set(previous.kinds))
    entry.formats = sorted(set(entry.formats) | set(previous.formats))
    _remove_files(out, stale, report, root)


def _remove_files(
    out: Path, outputs: dict[str, dict[str, str]], report: BuildReport, root: Path
) -> None:
    for rel in outputs:
        target = out / rel
        if target.resolve().is_relative_to(out) and target.is_file():
            try:
                target.unlink()
            except OSError as exc:
                raise WriteError.from_os_error(exc, target, shown(target, root), "remove") from None
            report.removed.append(rel)
            parent = target.parent
            with contextlib.suppress(OSError):  # a folder left behind is harmless
                while parent != out and parent.is_dir() and not any(parent.iterdir()):
                    parent.rmdir()
                    parent = parent.parent


def index_summary(casefile: CaseFile, today: date) -> dict[str, Any]:
    """What the index shows of a case, kept in the manifest between builds.

    Read from the case itself rather than a document view, which would
    compute the history and draw the timeline only to keep five fields;
    every field here is client-facing.
    """
    from .progress import rollup
    from .schedule import next_meeting

    case = casefile.case
    roll = rollup(case, today)
    nxt = next_meeting(case, today)
    return {
        "title": case.title,
        "status": case.status,
        "them": case.client.organisation,
        "us": case.team.organisation or case.lead.name,
        "next": {
            "date": nxt.date.isoformat(),
            "time": nxt.time.strftime("%H:%M") if nxt.time else None,
        }
        if nxt
        else None,
        "rollup": {
            "done": roll.done,
            "total": roll.total,
            "counts": roll.counts,
            "overdue": roll.overdue,
        },
    }


def index_key(
    manifest: Manifest,
    invalid: list[str],
    job: _Job,
    fingerprints: Fingerprints,
    language: str,
) -> str:
    """A hash of everything ``output/index.html`` is made from.

    The cases' summaries, ids and output files (what :func:`render_index`
    reads of the manifest), the files that failed, the kinds the index
    links, its template with all it includes, the workspace language's
    catalog, ``--today``, and the base (mend's version, ``mend.toml``).
    Equal keys give equal bytes, so a build whose key is the last one's, and
    whose index is still the file it wrote, need not render it: at 1,000
    cases that render was a third of a rebuild in which nothing changed.
    Sorted throughout: the manifest's order on disk is not its order in
    memory after a rebuild.
    """
    kinds = [
        f"{k.name}|{k.audience}|{k.stem}|{k.index_label}|{k.index_latest}"
        for k in job.registry.indexed()
    ]
    parts: list[str] = [
        job.base,
        "index.html",
        fingerprints.template("html/index.html"),
        fingerprints.catalog(language),
        job.today.isoformat(),
        json.dumps(invalid),
        json.dumps(kinds),
    ]
    for rel, entry in sorted(manifest.cases.items()):
        parts.append(f"{rel}\n{entry.id}\n{json.dumps(entry.summary, sort_keys=True)}")
        parts.append(
            "\n".join(
                f"{name}|{info['kind']}|{info['fmt']}|{'declined' in info}"
                for name, info in sorted(entry.outputs.items())
            )
        )
    return digest(*parts)


def _file_digest(path: Path) -> str | None:
    """The digest of a file's bytes, or None when it cannot be read."""
    try:
        return digest(path.read_bytes())
    except OSError:
        return None


def document_links(entry: CaseEntry, registry: Registry = KINDS) -> list[dict[str, Any]]:
    """The client-facing files a case has now, grouped by document.

    Read from the manifest, so the index links only files that exist. Of a
    kind the index shows only the latest of (the recaps), only the latest
    is linked, with a count.
    """
    indexed = {kind.name: kind for kind in registry.indexed()}
    groups: dict[tuple[str, str], list[dict[str, str]]] = {}
    for rel, info in entry.outputs.items():
        kind = indexed.get(info["kind"])
        if kind is None or kind.audience != "client" or "declined" in info:
            continue
        stem = PurePosixPath(rel).stem
        day = "-".join(stem.rsplit("-", 3)[-3:]) if "{date}" in kind.stem else ""
        groups.setdefault((kind.name, day), []).append({"href": rel, "format": info["fmt"]})
    rank = {name: i for i, name in enumerate(indexed)}
    links = []
    for (name, day), files in sorted(groups.items(), key=lambda g: (rank[g[0][0]], g[0][1])):
        kind = indexed[name]
        days = sorted(d for n, d in groups if n == name)
        if kind.index_latest and day != days[-1]:
            continue
        links.append(
            {
                "kind": name,
                "label": kind.index_label,
                "date": date.fromisoformat(day) if day else None,
                "count": len(days) if kind.index_latest else 1,
                "files": sorted(files, key=lambda f: FORMATS.index(f["format"])),
            }
        )
    return links


def render_index(
    manifest: Manifest, invalid: list[str], ctx: BuildContext, registry: Registry = KINDS
) -> bytes:
    """``output/index.html``: every case at a glance, client-safe."""
    entries = []
    for entry in sorted(manifest.cases.values(), key=lambda e: (e.summary.get("title", ""), e.id)):
        s = entry.summary
        if not s:
            continue
        nxt = s["next"]
        entries.append(
            {
                "id": entry.id,
                "case": {"title": s["title"], "status": s["status"]},
                "them": s["them"],
                "us": s["us"],
                "next": {
                    "date": date.fromisoformat(nxt["date"]),
                    "time": time.fromisoformat(nxt["time"]) if nxt["time"] else None,
                }
                if nxt
                else None,
                "rollup": s["rollup"],
                "links": document_links(entry, registry),
            }
        )
    # The index speaks the workspace's language (mend.toml), not a case's.
    lang = get_language(ctx.config.language, ctx.workspace)
    context = {
        "audience": "client",
        "format": "html",
        "i18n": lang,
        "lang": lang.code,
        "dir": lang.direction,
        "today": ctx.today,
        "entries": entries,
        "invalid": invalid,
    }
    return ctx.renderer.render("html/index.html", context).encode("utf-8")
