"""``mend serve``: the preview server, over HTTP and in a real headless Chromium."""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import main
from generator.errors import MendError
from generator.scaffold import init
from generator.serve import EVENTS_PATH, Preview, State, inject

from .cdp import CHROMIUM, chromium
from .conftest import TODAY

MILESTONE = "Audit of every live campaign against the current price list"


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    init(root, today=TODAY)
    return root


@pytest.fixture
def preview(ws: Path):
    messages: list[str] = []
    server = Preview(ws, port=0, today=TODAY, echo=lambda m, _err: messages.append(m))
    server.start()
    server.messages = messages  # type: ignore[attr-defined]
    yield server
    server.close()


def get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.headers["Content-Type"], answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read().decode()


def raw_status(preview: Preview, path: str) -> int:
    """The status of a request for ``path`` sent byte for byte, unnormalised."""
    host, port = preview._httpd.server_address[:2]  # type: ignore[union-attr]
    conn = http.client.HTTPConnection(host, port, timeout=10)
    conn.putrequest("GET", path, skip_accept_encoding=True)
    conn.endheaders()
    status = conn.getresponse().status
    conn.close()
    return status


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def next_generation(preview: Preview, seen: int, timeout: float = 15) -> int:
    generation = preview.wait_for_change(seen, timeout)
    assert generation != seen, f"no rebuild within {timeout}s: {preview.messages}"  # type: ignore[attr-defined]
    return generation


# -- over HTTP ----------------------------------------------------------------------


def test_serves_the_built_output_on_loopback_only(preview, ws):
    assert preview._httpd.server_address[0] == "127.0.0.1"  # type: ignore[union-attr]
    status, kind, page = get(preview.url)
    assert (status, kind) == (200, "text/html; charset=utf-8")
    assert "Winning back Willowbrook" in page
    assert f'new EventSource("{EVENTS_PATH}")' in page  # injected in the response...
    assert "EventSource" not in (ws / "output/index.html").read_text(
        encoding="utf-8"
    )  # not on disk
    status, kind, text = get(preview.url + "example-case/plan.md")
    assert status == 200 and kind.startswith("text/plain") and MILESTONE in text
    status, _, folder = get(preview.url + "example-case")  # redirected to the folder
    assert status == 200 and 'href="plan.html"' in folder and 'href="internal/"' in folder
    assert (ws / "output/example-case/plan.html").is_file()
    assert not list((ws / "output").rglob("*.pdf"))  # html and md by default: fast


def test_nothing_outside_the_output_folder(preview, ws, tmp_path):
    (tmp_path / "secret.txt").write_text("secret", encoding="utf-8")
    (ws / "output/link.txt").symlink_to(tmp_path / "secret.txt")
    for path in (
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/example-case/../../secret.txt",
        "/..%2fsecret.txt",
        "/link.txt",
        "/.mend-manifest.json",
        "/../ws/content/example-case.yaml",
    ):
        assert raw_status(preview, path) == 404, path
    status, _, page = get(preview.url + "nothing/here.html")
    assert status == 404 and "EventSource" in page  # reloads once it is built


def test_an_edit_rebuilds_and_the_event_stream_says_so(preview, ws):
    case = ws / "content/example-case.yaml"
    seen = preview.state.generation
    host, port = preview._httpd.server_address[:2]  # type: ignore[union-attr]
    stream = socket.create_connection((host, port), timeout=10)
    stream.sendall(f"GET {EVENTS_PATH} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    received = b""
    while f"data: {seen}\n\n".encode() not in received:
        received += stream.recv(4096)
    assert b"text/event-stream" in received

    edit(case, MILESTONE, "Audit finished for every campaign")
    seen = next_generation(preview, seen)
    while f"data: {seen}\n\n".encode() not in received:
        received += stream.recv(4096)
    stream.close()
    _, _, page = get(preview.url + "example-case/plan.html")
    assert "Audit finished for every campaign" in page and MILESTONE not in page
    assert 'id="mend-errors"' not in page


def test_an_invalid_case_shows_its_errors_and_keeps_serving(preview, ws):
    case = ws / "content/example-case.yaml"
    seen = preview.state.generation
    edit(case, "due: 2026-12-01", "due: 2026-13-01")
    seen = next_generation(preview, seen)
    for url in (preview.url, preview.url + "example-case/plan.html"):
        status, _, page = get(url)
        assert status == 200 and 'id="mend-errors"' in page
        assert "content/example-case.yaml:" in page and "not a date" in page
    assert "Winning back Willowbrook" in get(preview.url + "example-case/plan.html")[2]

    edit(case, "due: 2026-13-01", "due: 2026-12-02")
    seen = next_generation(preview, seen)
    assert 'id="mend-errors"' not in get(preview.url + "example-case/plan.html")[2]


def test_settings_and_templates_are_watched(preview, ws):
    seen = preview.state.generation
    (ws / "mend.toml").write_text('timezone = "Mars/Base"\n', encoding="utf-8")
    seen = next_generation(preview, seen)
    assert "mend.toml: timezone" in get(preview.url + "example-case/plan.html")[2]
    (ws / "mend.toml").write_text('timezone = "UTC"\n', encoding="utf-8")
    seen = next_generation(preview, seen)
    assert preview.state.general == []

    override = ws / "templates/html/index.html"
    override.parent.mkdir()
    override.write_text("<html><body><p>OVERRIDDEN INDEX</p></body></html>", encoding="utf-8")
    seen = next_generation(preview, seen)
    assert "OVERRIDDEN INDEX" in get(preview.url)[2]


def test_a_new_case_file_is_built(preview, ws):
    seen = preview.state.generation
    source = (ws / "content/example-case.yaml").read_text(encoding="utf-8")
    (ws / "content/second.yaml").write_text(
        source.replace("Willowbrook Garden Centres", "Second Garden Centres"), encoding="utf-8"
    )
    deadline = time.monotonic() + 15
    while not (ws / "output/second/plan.html").is_file():
        seen = next_generation(preview, seen, max(0.1, deadline - time.monotonic()))
    assert "Second Garden Centres" in get(preview.url)[2]

    # Incremental: an edit to one case renders that case only.
    before = len(preview.reports)
    edit(ws / "content/second.yaml", MILESTONE, "Second audit")
    deadline = time.monotonic() + 15
    while "Second audit" not in (ws / "output/second/plan.html").read_text(encoding="utf-8"):
        seen = next_generation(preview, seen, max(0.1, deadline - time.monotonic()))
    reports = list(preview.reports)[before:]
    rendered = {p.split("/")[0] for r in reports for p in r.written + r.unchanged}
    assert "second" in rendered and "example-case" not in rendered
    assert reports[0].skipped >= 7  # the example case's files, not even rendered


def test_an_edit_made_during_the_first_build_is_rebuilt(ws, monkeypatch):
    """The watchers are armed before the first build, so a save made while it runs counts.

    The first build is held after it has read the case (as a long build on
    a big workspace would still be writing), the case is edited meanwhile,
    and then the build is let go: the edit must reach the output.
    """
    import generator.serve as serve_module

    real_build = serve_module.build
    first_read, release = threading.Event(), threading.Event()

    def held_first_build(*args, **kwargs):
        report = real_build(*args, **kwargs)
        if not first_read.is_set():
            first_read.set()
            assert release.wait(timeout=30)
        return report

    monkeypatch.setattr(serve_module, "build", held_first_build)
    messages: list[str] = []
    preview = Preview(ws, port=0, today=TODAY, echo=lambda m, _err: messages.append(m))
    starter = threading.Thread(target=preview.start, daemon=True)
    starter.start()
    try:
        assert first_read.wait(timeout=30)
        plan = ws / "output/example-case/plan.md"
        assert MILESTONE in plan.read_text(encoding="utf-8")
        edit(ws / "content/example-case.yaml", MILESTONE, "Audit saved during the first build")
        release.set()
        starter.join(timeout=30)
        assert not starter.is_alive()
        seen, deadline = preview.state.generation, time.monotonic() + 15
        while "Audit saved during the first build" not in plan.read_text(encoding="utf-8"):
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"the edit was never rebuilt: {messages}"
            seen = preview.wait_for_change(seen, min(remaining, 1.0))
    finally:
        release.set()
        preview.close()


def test_the_log_shows_control_characters_of_a_case_as_escapes(preview, ws):
    """A warning quoting a name that holds a C1 CSI and a bidi override shows escapes."""
    seen = preview.state.generation
    edit(
        ws / "content/example-case.yaml",
        "    attendees: [Joe Amadi,",
        '    attendees: ["Eve\\x9b2J\\u202e", Joe Amadi,',
    )
    seen = next_generation(preview, seen)
    logged = "\n".join(preview.messages)  # type: ignore[attr-defined]
    assert 'unknown person "Eve\\x9b2J\\u202e"' in logged
    assert "\x9b" not in logged and "\u202e" not in logged


def test_errors_go_to_the_pages_they_concern():
    state = State(3, general=[], cases={"acme": ["content/acme.yaml:4: title: missing"]})
    assert state.errors_for("/acme/plan.html") == ["content/acme.yaml:4: title: missing"]
    assert state.errors_for("/") == state.errors_for("/index.html") == state.cases["acme"]
    assert state.errors_for("/other/plan.html") == []
    page = inject(b"<html><BODY class=x><p>hi</p></body></html>", 3, ["a <b> & c"])
    text = page.decode()
    assert text.index('id="mend-errors"') > text.index("<BODY class=x>")
    assert "a &lt;b&gt; &amp; c" in text and text.index("<script") < text.index("</body>")


def test_refuses_a_port_in_use_and_a_format_without_html(ws):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(MendError, match=f"cannot serve on 127.0.0.1:{port}"):
            Preview(ws, port=port, today=TODAY, echo=lambda *_: None).start()
    result = CliRunner().invoke(main, ["serve", "-w", str(ws), "--format", "md"])
    assert result.exit_code == 1 and "must include html" in result.output
    assert "Traceback" not in result.output


def test_help_explains(ws):
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    for words in ("127.0.0.1", "--port", "reloads", "errors", "html,md"):
        assert words in result.output


# -- in a real browser -------------------------------------------------------------


def start_server(ws: Path) -> tuple[subprocess.Popen[str], str, list[str]]:
    """``mend serve`` in its own process, as a user starts it; its address and output."""
    process = subprocess.Popen(
        [sys.executable, "-m", "generator.cli", "serve", "--port", "0", "--today", str(TODAY)],
        cwd=ws,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line)
        match = re.search(r"at (http://127\.0\.0\.1:\d+/)", line)
        if match:
            break
    else:
        raise AssertionError(f"mend serve did not start:\n{''.join(lines)}")
    reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)
    reader.start()
    return process, match[1], lines


@pytest.mark.skipif(
    not CHROMIUM.exists() and not os.environ.get("CI"),
    reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium); CI installs it",
)
def test_in_a_browser_an_edit_reloads_the_open_page(ws, tmp_path):
    case = ws / "content/example-case.yaml"
    process, url, output = start_server(ws)
    try:
        with chromium(tmp_path / "profile") as page:
            page.goto(url)
            page.wait_for("document.body.innerText.includes('Winning back Willowbrook')")

            page.click('a[href$="plan.html"]')  # follow the link to the plan
            page.wait_for("location.pathname.endsWith('/example-case/plan.html')")
            page.wait_for(f"document.body.innerText.includes({MILESTONE!r})")

            # Edit the case: the open page reloads by itself and shows it.
            page.evaluate("window.notReloaded = true")
            edit(case, MILESTONE, "Audit finished for every campaign, checked twice")
            page.wait_for("document.body.innerText.includes('checked twice')")
            assert page.evaluate("window.notReloaded") is None  # a real reload, not a patch
            assert page.location() == url + "example-case/plan.html"

            # Break it: the errors appear on the page, over the last good build.
            page.evaluate("window.notReloaded = true")
            edit(case, "\ntitle: Winning", "\ntitl: Winning")
            panel = page.wait_for(
                "document.getElementById('mend-errors') &&"
                " document.getElementById('mend-errors').innerText"
            )
            assert "unknown key `titl`" in panel and "did you mean `title`" in panel
            assert "content/example-case.yaml:" in panel
            assert "checked twice" in page.text()
            page.screenshot(tmp_path / "broken.png")

            # Fix it: the errors go, again by themselves.
            edit(case, "\ntitl: Winning", "\ntitle: Winning")
            page.wait_for("document.getElementById('mend-errors') === null")
            assert "checked twice" in page.text()
    finally:
        process.send_signal(signal.SIGINT)  # Ctrl-C
        code = process.wait(timeout=15)
    text = "".join(output)
    assert code == 0, text
    assert "stopped" in text and "Traceback" not in text
