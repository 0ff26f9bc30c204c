"""``mend serve``: build, serve the output folder on localhost, rebuild and reload.

A preview for the person writing a case: they edit ``content/``,
``templates/`` or ``mend.toml`` in their editor and the page open in the
browser shows the result a moment later, by itself.

How it fits together, smallest pieces first:

- **Watching.** ``watchfiles`` (the Rust ``notify`` library) watches
  ``content/``, ``templates/`` and ``assets/`` recursively, and the
  workspace folder itself *not* recursively, for ``mend.toml`` and for
  those folders appearing or going. Watching the workspace recursively
  would be simpler, but a workspace may hold ``.venv/`` or ``.git/`` (this
  repository does), and an inotify watch on each of their thousands of
  folders is slow to set up and can run out.
- **Building.** One builder thread runs the ordinary incremental
  :func:`generator.build.build`, so a change to one case renders that case
  only, and a preview builds exactly what ``mend build`` would. A case that
  fails keeps its previous output (as in ``mend build``); its errors are
  kept here, by case, to be shown on its pages. A failure outside any case
  (an invalid ``mend.toml``, a broken index template, a bug) is shown on
  every page, and the server keeps running either way.
- **Serving.** The standard library's ``ThreadingHTTPServer`` on
  127.0.0.1 only, serving files of the output folder and nothing else (no
  ``..``, no dot-files such as the build manifest, no symlink out). HTML
  responses get, in memory and never on disk, a panel with the errors that
  concern the page and a few lines of script that reload the page.
- **Reloading.** A counter, the *generation*, goes up whenever a rebuild
  changed a file or the errors. The script holds a Server-Sent Events
  connection to ``/__mend__/events``, which sends the generation at once
  and again whenever it changes; the page reloads when it differs from the
  generation the page was served at, so a change between serving the page
  and connecting is not missed. No library, nothing from the network.
"""

from __future__ import annotations

import html
import mimetypes
import re
import signal
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from .build import BuildReport, build
from .cache import Manifest
from .config import CONFIG_NAME
from .errors import CaseError, MendError, Problem, escape_controls
from .workspace import CASE_SUFFIXES, Workspace, _declared_id

#: Where the page's script listens for new builds.
EVENTS_PATH = "/__mend__/events"
#: The formats built by default: what a browser shows, and fast to make.
SERVE_FORMATS = ("html", "md")
#: Folders of the workspace whose changes trigger a rebuild.
WATCHED_DIRS = ("content", "templates", "assets")
#: How often (ms) a watcher with nothing to report wakes: its first wake-up
#: tells that its watches are in place.
READY_POLL_MS = 250
#: Seconds between keep-alive comments on an idle event stream, so a closed
#: tab's connection is noticed and its thread ends.
KEEPALIVE = 15.0

Echo = Callable[[str, bool], None]


def _plain_echo(message: str, error: bool = False) -> None:
    print(message, file=sys.stderr if error else sys.stdout, flush=True)


@dataclass
class State:
    """What the pages need to know about the latest build."""

    generation: int = 0
    #: Problems outside any case: shown on every page.
    general: list[str] = field(default_factory=list)
    #: Problems of each invalid case, by case id (its output folder's name).
    cases: dict[str, list[str]] = field(default_factory=dict)

    def errors_for(self, url_path: str) -> list[str]:
        """The errors a page at ``url_path`` should show."""
        first = PurePosixPath(url_path).parts[1:2]  # "/acme/plan.html" -> ("acme",)
        case_id = first[0] if first else ""
        if case_id in self.cases:
            return [*self.general, *self.cases[case_id]]
        if case_id in ("", "index.html"):
            return [*self.general, *(p for ps in self.cases.values() for p in ps)]
        return list(self.general)


class Preview:
    """A workspace kept built, watched, and served with live reload.

    ``start()`` builds once and starts serving and watching in background
    threads; ``close()`` stops them all. The command runs one with
    :func:`serve`, which blocks until Ctrl-C; tests can use it directly.
    """

    def __init__(
        self,
        root: Path,
        *,
        port: int = 8000,
        out: Path | None = None,
        formats: Iterable[str] = SERVE_FORMATS,
        today: date | None = None,
        jobs: int | None = 1,
        echo: Echo = _plain_echo,
    ) -> None:
        workspace = Workspace.open(root)  # a missing folder is an error now, not later
        self.root = workspace.root
        self.out = (out or self.root / "output").resolve()
        self.formats = tuple(formats)
        if "html" not in self.formats:
            raise MendError("mend serve shows web pages: --format must include html")
        self.today = today  # None: the real date at each build, for a server left running
        self.jobs = jobs
        self.port = port
        self._echo = echo
        self.state = State()
        #: The latest builds that ran to their end: what each rendered and skipped.
        self.reports: deque[BuildReport] = deque(maxlen=50)
        self._changed = threading.Condition()
        self._dirty = threading.Event()
        self._stop = threading.Event()
        self._restart = threading.Event()  # stops the tree watcher so it looks again
        self._threads: list[threading.Thread] = []
        #: Set once each watcher has its watches in place: a change made after
        #: ``start()`` returns is never missed.
        self._watching = {"folders": threading.Event(), "workspace": threading.Event()}
        self._httpd: ThreadingHTTPServer | None = None

    def echo(self, message: str, error: bool) -> None:
        """Log one line: the server's one way out, where case text is escaped."""
        self._echo(escape_controls(message), error)

    # -- building ---------------------------------------------------------------------

    def rebuild(self) -> None:
        """Build what changed; record errors by case; bump the generation if anything moved."""
        started = time.perf_counter()
        general: list[str] = []
        cases: dict[str, list[str]] = {}
        written = 0
        try:
            report = build(
                self.root,
                today=self.today or date.today(),
                out=self.out,
                formats=self.formats,
                jobs=self.jobs,
                on_wait=lambda message: self.echo(message, True),
            )
        # When the build as a whole failed, what is known of each case still holds.
        except CaseError as exc:
            general, cases = [str(p) for p in exc.problems], self.state.cases
        except MendError as exc:  # mend.toml, the index template, the output folder
            general, cases = exc.format_message().splitlines(), self.state.cases
        except Exception as exc:  # a bug of ours: say so, keep serving
            traceback.print_exc()
            general = [f"mend failed unexpectedly: {type(exc).__name__}: {exc}"]
            cases = self.state.cases
        else:
            self.reports.append(report)
            written = len(report.written) + len(report.removed)
            cases = self._by_case(report.failed)
            for warning in report.warnings:
                self.echo(warning, True)
        with self._changed:
            moved = written or general != self.state.general or cases != self.state.cases
            if moved:
                self.state = State(self.state.generation + 1, general, cases)
                self._changed.notify_all()
        for problem in [*general, *(p for ps in cases.values() for p in ps)]:
            self.echo(f"error: {problem}", True)
        seconds = time.perf_counter() - started
        failed = len(cases) + bool(general)
        self.echo(
            f"built in {seconds:.2f}s: {written} file{'s' if written != 1 else ''} changed"
            + (f", {failed} failed (shown on the pages)" if failed else ""),
            False,
        )

    def _by_case(self, failures: list[Problem]) -> dict[str, list[str]]:
        """Group build failures by the case id they belong to, as the lines to show."""
        manifest = Manifest.load(self.out)
        by_case: dict[str, list[str]] = {}
        for failure in failures:
            rel = failure.file
            entry = manifest.cases.get(rel)
            path = self.root / rel
            # Only a regular file is read for its id: opening a FIFO would block.
            declared = _declared_id(path) if path.is_file() else None
            case_id = entry.id if entry else declared or PurePosixPath(rel).stem
            by_case.setdefault(case_id, []).append(str(failure))
        return by_case

    def wait_for_change(self, generation: int, timeout: float) -> int:
        """The current generation, once it differs from ``generation`` or after ``timeout``."""
        with self._changed:
            self._changed.wait_for(
                lambda: self.state.generation != generation or self._stop.is_set(), timeout
            )
            return self.state.generation

    def _builder(self) -> None:
        while True:
            self._dirty.wait()
            if self._stop.is_set():
                return
            self._dirty.clear()
            self.rebuild()

    # -- watching ---------------------------------------------------------------------

    def _watch_folders(self) -> None:
        """content/, templates/ and assets/, recursively; restarted when one appears or goes."""
        from watchfiles import DefaultFilter, watch

        ignore = DefaultFilter()
        content = self.root / "content"

        def relevant(change: Any, path: str) -> bool:
            if not ignore(change, path):
                return False
            p = Path(path)
            if p.parent == content or content in p.parents:
                return p.suffix in CASE_SUFFIXES and not p.name.startswith(".")
            return not p.is_relative_to(self.out)

        while not self._stop.is_set():
            folders = [self.root / d for d in WATCHED_DIRS if (self.root / d).is_dir()]
            if not folders:
                self._watching["folders"].set()
                self._restart.wait(1.0)
                self._restart.clear()
                continue
            try:
                for changes in watch(
                    *folders,
                    watch_filter=relevant,
                    stop_event=self._restart,
                    raise_interrupt=False,
                    rust_timeout=READY_POLL_MS,
                    yield_on_timeout=True,
                ):
                    self._watching["folders"].set()
                    if changes:
                        self._dirty.set()
            except (OSError, RuntimeError) as exc:  # a folder went while being watched
                self.echo(f"watching again after: {exc}", True)
                time.sleep(0.2)
            self._restart.clear()
            self._dirty.set()  # whatever made us look again may have changed the build

    def _watch_workspace(self) -> None:
        """The workspace folder itself: mend.toml, and watched folders appearing or going."""
        from watchfiles import watch

        names = {CONFIG_NAME, *WATCHED_DIRS}
        for changes in watch(
            self.root,
            recursive=False,
            watch_filter=lambda _change, path: Path(path).name in names,
            stop_event=self._stop,
            raise_interrupt=False,
            rust_timeout=READY_POLL_MS,
            yield_on_timeout=True,
        ):
            self._watching["workspace"].set()
            if not changes:
                continue
            if any(Path(path).name in WATCHED_DIRS for _, path in changes):
                self._restart.set()
            self._dirty.set()

    # -- running ----------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/"

    def start(self) -> str:
        """Watch, build once, then serve in the background; return the address.

        The watchers are armed *before* the first build: a save made while
        it runs (minutes, on a big workspace) marks the build dirty, and the
        builder thread builds again once the first build is done. Armed
        after it, such a save would never be rebuilt.
        """
        try:
            httpd = _Server(("127.0.0.1", self.port), _Handler)
        except OSError as exc:
            raise MendError(
                f"cannot serve on 127.0.0.1:{self.port}: {exc.strerror}"
                + (" (try another --port)" if self.port else "")
            ) from None
        httpd.preview = self
        self._httpd = httpd
        self._spawn((self._watch_folders, "mend-watch"), (self._watch_workspace, "mend-watch-root"))
        for ready in self._watching.values():
            ready.wait(timeout=10)
        self._dirty.clear()  # what the watchers saw so far, the first build reads anyway
        self.rebuild()
        self._spawn((httpd.serve_forever, "mend-http"), (self._builder, "mend-build"))
        return self.url

    def _spawn(self, *targets: tuple[Callable[[], None], str]) -> None:
        for target, name in targets:
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def close(self) -> None:
        """Stop serving, watching and building; end open event streams."""
        self._stop.set()
        self._restart.set()
        self._dirty.set()
        with self._changed:
            self._changed.notify_all()
        if self._httpd is not None:
            # shutdown() waits for serve_forever(): call it only once that runs.
            if any(t.name == "mend-http" for t in self._threads):
                self._httpd.shutdown()
            self._httpd.server_close()
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> Preview:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def serve(preview: Preview) -> None:
    """Start ``preview`` and keep it running until Ctrl-C (or SIGTERM); then stop cleanly."""
    previous = _stop_on_sigterm()
    try:
        url = preview.start()
        preview.echo(f"Serving {preview.out} at {url} (Ctrl-C to stop)", False)
        while not preview._stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        preview.close()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    preview.echo("stopped", False)


def _stop_on_sigterm() -> Any:
    """Let SIGTERM (a service manager, a test's ``terminate()``) stop as Ctrl-C does."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def interrupt(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    return signal.signal(signal.SIGTERM, interrupt)


# -- HTTP ---------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    preview: Preview

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # a browser closed a tab or cancelled a load: not worth a word
        super().handle_error(request, client_address)


#: Media types for what mend writes; Markdown shows as text rather than downloading.
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".md": "text/plain; charset=utf-8",
    ".ics": "text/calendar; charset=utf-8",
    ".eml": "message/rfc822",
    ".css": "text/css; charset=utf-8",
    ".pdf": "application/pdf",
}

_RELOAD_SCRIPT = """<script data-mend-live>
(function () {
  var served = "%d";
  var events = new EventSource("%s");
  events.onmessage = function (e) { if (e.data !== served) { events.close(); location.reload(); } };
})();
</script>"""

_PANEL_STYLE = (
    "all:initial;display:block;position:sticky;top:0;z-index:2147483647;"
    "box-sizing:border-box;margin:0;padding:1em 1.25em;max-height:50vh;overflow:auto;"
    "background:#fff4f2;color:#5c1a10;border-bottom:3px solid #c0392b;"
    "font:15px/1.45 system-ui,sans-serif;white-space:normal"
)


def error_panel(errors: list[str], *, missing: bool = False) -> str:
    """The errors of a page as an HTML panel (empty without errors)."""
    if not errors:
        return ""
    heading = (
        "This page could not be built:"
        if missing
        else "Not rebuilt: fix these errors. The page below is the last good build."
    )
    items = "".join(
        f'<li style="margin:.25em 0;font-family:ui-monospace,monospace;font-size:13px">'
        f"{html.escape(e)}</li>"
        for e in errors
    )
    return (
        f'<div id="mend-errors" role="alert" style="{_PANEL_STYLE}">'
        f'<strong style="display:block;margin-bottom:.35em">{html.escape(heading)}</strong>'
        f'<ul style="margin:0;padding-left:1.25em">{items}</ul></div>'
    )


_BODY_OPEN = re.compile(rb"<body\b[^>]*>", re.IGNORECASE)
_BODY_CLOSE = re.compile(rb"</body\s*>", re.IGNORECASE)


def inject(page: bytes, generation: int, errors: list[str]) -> bytes:
    """An HTML page with the error panel after ``<body>`` and the reload script before ``</body>``."""
    panel = error_panel(errors).encode("utf-8")
    script = (_RELOAD_SCRIPT % (generation, EVENTS_PATH)).encode("utf-8")
    opening = _BODY_OPEN.search(page)
    at = opening.end() if opening else 0
    page = page[:at] + panel + page[at:]
    closings = list(_BODY_CLOSE.finditer(page))
    end = closings[-1].start() if closings else len(page)
    return page[:end] + script + page[end:]


def missing_page(url_path: str, errors: list[str]) -> bytes:
    """What a page that is not (yet) built shows: its errors, or a link to the index."""
    body = error_panel(errors, missing=True) or (
        f"<p>Nothing at {html.escape(url_path)} yet. It appears here when a build makes it.</p>"
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>Not built: mend</title></head><body>"
        f'{body}<p style="font:15px system-ui,sans-serif"><a href="/">All cases</a></p>'
        "</body></html>"
    ).encode()


def listing(url_path: str, folder: Path) -> bytes:
    """A folder of the output without an index page (a case's): links to its files."""
    entries = sorted(
        (p.name + ("/" if p.is_dir() else ""))
        for p in folder.iterdir()
        if not p.name.startswith(".")
    )
    items = "".join(
        f'<li><a href="{html.escape(quote(name))}">{html.escape(name)}</a></li>' for name in entries
    )
    title = html.escape(url_path)
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<title>{title}</title></head><body style="font:15px/1.5 system-ui,sans-serif">'
        f'<h1 style="font-size:1.2em">{title}</h1><ul>{items}</ul>'
        '<p><a href="/">All cases</a></p></body></html>'
    ).encode()


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "mend"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib's name
        pass  # the console is for builds and errors

    def do_GET(self) -> None:
        self._respond(head=False)

    def do_HEAD(self) -> None:
        self._respond(head=True)

    def _respond(self, *, head: bool) -> None:
        preview = self.server.preview
        url_path = urlsplit(self.path).path or "/"
        if url_path == EVENTS_PATH:
            self._events(preview)
            return
        target = self._file(preview.out, url_path)
        if target is not None and target.is_dir():
            if not url_path.endswith("/"):
                self._send(HTTPStatus.MOVED_PERMANENTLY, b"", "text/plain", head, url_path + "/")
                return
            if not (target / "index.html").is_file():
                page = inject(listing(url_path, target), preview.state.generation, [])
                self._send(HTTPStatus.OK, page, _TYPES[".html"], head)
                return
            target = target / "index.html"
        state = preview.state
        if target is None:
            page = inject(missing_page(url_path, state.errors_for(url_path)), state.generation, [])
            self._send(HTTPStatus.NOT_FOUND, page, _TYPES[".html"], head)
            return
        try:
            data = target.read_bytes()
        except OSError:
            self._send(HTTPStatus.NOT_FOUND, b"not found", "text/plain", head)
            return
        kind = _TYPES.get(target.suffix) or mimetypes.guess_type(target.name)[0]
        if target.suffix == ".html":
            data = inject(data, state.generation, state.errors_for(url_path))
        self._send(HTTPStatus.OK, data, kind or "application/octet-stream", head)

    @staticmethod
    def _file(out: Path, url_path: str) -> Path | None:
        """The file or folder of the output folder a URL names, or None.

        Refuses ``..``, dot-files (the build manifest, temporary files) and
        anything that resolves outside the output folder, such as a symlink.
        """
        parts = [p for p in unquote(url_path).split("/") if p not in ("", ".")]
        if any(p.startswith(".") or "\\" in p or "\0" in p for p in parts):
            return None
        try:
            resolved = out.joinpath(*parts).resolve(strict=True)
        except (OSError, RuntimeError):
            return None
        return resolved if resolved == out or resolved.is_relative_to(out) else None

    def _send(
        self,
        status: HTTPStatus,
        data: bytes,
        kind: str,
        head: bool,
        location: str | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        if location:
            self.send_header("Location", location)
        self.end_headers()
        if not head:
            self.wfile.write(data)

    def _events(self, preview: Preview) -> None:
        """Server-Sent Events: the generation now, and again at each change."""
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        sent = -1
        try:
            self.wfile.write(b"retry: 500\n\n")
            while not preview._stop.is_set():
                generation = preview.wait_for_change(sent, KEEPALIVE)
                if preview._stop.is_set():
                    break
                if generation != sent:
                    self.wfile.write(f"data: {generation}\n\n".encode())
                    sent = generation
                else:
                    self.wfile.write(b": still here\n\n")
                self.wfile.flush()
        except ConnectionError:
            pass
        self.close_connection = True
