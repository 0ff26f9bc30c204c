"""Hostile text in every field a user can write: nothing runs, nothing is fetched.

A case file is filled with text pasted from clients' emails. This puts one
payload (HTML and ``<script>``, ``javascript:`` and ``data:`` links, images
pointing at a local file and at a live local HTTP server, Jinja syntax,
right-to-left and zero-width characters) into *every* free-text field of the
full fixture case, builds every document in every format, and reads each
file back the way its reader would: HTML with an HTML parser, Markdown
through a Markdown renderer, emails with the email parser, PDFs with pypdf.
"""

from __future__ import annotations

import email.policy
import http.server
import io
import re
import subprocess
import threading
from collections.abc import Iterator
from email.parser import BytesParser
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import markdown as markdown_lib
import pypdf
import pytest
import yaml

from generator.build import build
from generator.reader import parse_yaml

from .conftest import FULL_CASE, TODAY, make_workspace
from .test_pdf import needs_poppler, watch

#: Keys whose values are free text (one line) or Markdown, anywhere in a case.
TEXT_KEYS = {
    "title", "organisation", "name", "role", "phone", "text", "who", "feeling", "evidence",
    "owner", "channel", "note",
}  # fmt: skip
MARKDOWN_KEYS = {
    "culture", "summary", "impact", "apology", "client_view", "our_view", "shared",
    "internal_notes", "background",
}  # fmt: skip
TEXT_LIST_KEYS = {
    "unsaid", "questions", "restatements", "mistakes", "affirmations", "attendees", "heard",
    "decisions", "positives", "concerns",
}  # fmt: skip
#: Internal fields (case-format.md): their markers must stay in internal files.
INTERNAL_KEYS = {"culture", "client_view", "our_view", "internal_notes"}

RTL = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: reverses what follows, a spoofing classic
ISOLATE = "\u2067\u05e9\u05dc\u05d5\u05dd\u2069"  # Hebrew "shalom" in a right-to-left isolate
ZERO_WIDTH = "\u200b\u200d\ufeff"
UNSAFE_URL = re.compile(r"^\s*(javascript|data|file|vbscript):", re.IGNORECASE)


def payload(marker: str, server: str, sentinel: Path) -> str:
    """One line of everything a pasted email could hold, tagged with ``marker``."""
    return (
        f'<script>alert("{marker}")</script><img src="{server}/img-{marker}.png" onerror="x()">'
        f"<iframe src='{server}/frame'></iframe> [click](javascript:alert(1)) "
        f"[data](data:text/html;base64,PHNjcmlwdD4=) [ok](https://ok.example/{marker}) "
        f"![px]({server}/px-{marker}.png) ![file]({sentinel.as_uri()}) ![rel](assets/sentinel.png) "
        "{{ 'JINJA' ~ 'EVAL' }} {% if true %}JINJAIF{% endif %} {# hidden #} "
        f"{RTL}desrever{ISOLATE} zero{ZERO_WIDTH}width {marker}"
    )


def markdown_payload(marker: str, server: str, sentinel: Path) -> str:
    """The one-line payload plus Markdown-only tricks: reference links, raw blocks."""
    return (
        payload(marker, server, sentinel)
        + f"\n\n[ref link][r] and ![ref image][i]\n\n[r]: javascript:alert(2)\n[i]: {server}/ref.png\n\n"
        + '<a href="javascript:alert(3)">raw</a> <svg onload="alert(4)"></svg>\n\n'
        + f"<style>@import url({server}/style.css);</style>\n"
    )


def hostile_case(server: str, sentinel: Path) -> tuple[str, dict[str, str]]:
    """FULL_CASE with every free-text field replaced; and each marker's key."""
    data, _, _ = parse_yaml(FULL_CASE, "acme.yaml")
    # The follow-through's free text too: a commitment update's note, an
    # amendment's summary (and the commitment texts they bring along).
    agreement = data["agreement"]
    agreement["effective"] = "2026-11-01"
    agreement["commitments"][0]["id"] = "weekly-status"
    agreement["amendments"] = [
        {"date": "2026-11-05", "summary": "x", "commitments": ["weekly-status"]}
    ]
    data["meetings"][0]["commitments"] = [
        {"commitment": "weekly-status", "status": "at-risk", "note": "x"}
    ]
    markers: dict[str, str] = {}

    def mark(key: str) -> str:
        marker = f"MK{len(markers):03d}X"
        markers[marker] = key
        return marker

    def walk(node: Any, key: str = "") -> Any:
        if isinstance(node, dict):
            return {k: walk(v, k) for k, v in node.items()}
        if isinstance(node, list):
            if key in TEXT_LIST_KEYS:
                return [payload(mark(key), server, sentinel) for _ in node]
            return [walk(item, key) for item in node]
        if key in MARKDOWN_KEYS:
            return markdown_payload(mark(key), server, sentinel)
        if key in TEXT_KEYS:
            return payload(mark(key), server, sentinel)
        return node

    hostile = walk(data)
    # An amendment's summary is one line, unlike every other `summary`.
    amendment = hostile["agreement"]["amendments"][0]
    (walked,) = re.findall(r"MK\d{3}X", amendment["summary"])[:1]
    amendment["summary"] = payload(walked, server, sentinel)
    return yaml.safe_dump(hostile, allow_unicode=True, sort_keys=False, width=10_000), markers


# -- a server that must never be asked ---------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, list[str]]]:
    """An HTTP server on 127.0.0.1 that records every request it gets."""
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's API
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", requests
    finally:
        httpd.shutdown()
        httpd.server_close()


# -- reading outputs back -----------------------------------------------------------------


class Elements(HTMLParser):
    """Every element and attribute of a page, and its text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.styles: list[str] = []  # the contents of <style> elements: CSS, not text

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        if self.lasttag == "style" and self.cdata_elem == "style":
            self.styles.append(data)
        else:
            self.text.append(data)


def elements(html: str) -> Elements:
    parser = Elements()
    parser.feed(html)
    parser.close()
    return parser


def assert_safe_html(html: str, where: str, server: str) -> str:
    """No active content, no unsafe or remote URL; returns the page's text."""
    page = elements(html)
    names = {tag for tag, _ in page.tags}
    assert not names & {"script", "img", "iframe", "object", "embed", "link"}, (where, names)
    for tag, attrs in page.tags:
        assert not [a for a in attrs if a.startswith("on")], (where, tag, attrs)
        for name in ("href", "src", "action", "formaction", "srcset", "style"):
            value = attrs.get(name) or ""
            assert not UNSAFE_URL.match(value), (where, tag, name, value)
            # A link to the server is only a link; anything else would be fetched.
            assert name == "href" or server not in value, (where, tag, name, value)
    assert server not in "".join(page.styles), where
    return "".join(page.text)


def assert_not_evaluated(text: str, where: str) -> None:
    assert "JINJAEVAL" not in text, where
    assert "'JINJA' ~ 'EVAL'" in text, where  # printed, as written


def pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def pdf_objects(data: bytes) -> bytes:
    """The PDF with object streams expanded, to search for dictionary keys."""
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(data)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_links(data: bytes) -> list[str]:
    links = []
    for page in pypdf.PdfReader(io.BytesIO(data)).pages:
        for annot in page.get("/Annots") or []:
            action = annot.get_object().get("/A")
            if action is not None and "/URI" in action:
                links.append(str(action["/URI"]))
    return links


# -- the test -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_build(
    tmp_path_factory: pytest.TempPathFactory, server: tuple[str, list[str]]
) -> tuple[Path, dict[str, str], list[str], list[tuple[str, str]], Path, str]:
    """The hostile case built once, in this process (so the audit hook sees it all)."""
    base, requests = server
    ws = tmp_path_factory.mktemp("hostile") / "ws"
    sentinel = ws / "assets" / "sentinel.png"
    sentinel.parent.mkdir(parents=True)
    sentinel.write_bytes(b"\x89PNG\r\n\x1a\n")
    text, markers = hostile_case(base, sentinel)
    make_workspace(ws, {"acme.yaml": text})
    with watch() as events:
        report = build(ws, today=TODAY, jobs=1)
        seen = list(events)
    assert report.ok, report.failed
    return ws / "output", markers, requests, seen, sentinel, base


def test_every_field_holds_the_payload(hostile_build) -> None:
    _, markers, *_ = hostile_build
    kinds = set(markers.values())
    assert kinds >= TEXT_KEYS | MARKDOWN_KEYS | TEXT_LIST_KEYS
    assert len(markers) >= 50


def test_nothing_is_fetched_or_read(hostile_build) -> None:
    out, _, requests, events, sentinel, _ = hostile_build
    assert requests == []  # the local server was never asked
    assert not [e for e in events if e[0] != "open"], events  # no socket was even created
    opened = {path for kind, path in events if kind == "open"}
    assert str(sentinel) not in opened and str(sentinel.resolve()) not in opened
    assert (out / "acme" / "agreement.pdf").is_file()


def test_html_pages_have_no_active_content(hostile_build) -> None:
    out, markers, _, _, _, server = hostile_build
    pages = sorted(out.rglob("*.html"))
    assert len(pages) >= 5
    seen: set[str] = set()
    for path in pages:
        text = assert_safe_html(path.read_text(encoding="utf-8"), path.name, server)
        if path.name != "index.html":
            assert_not_evaluated(text, path.name)
        # Text fields show the tags as text; the bidi and zero-width characters stay.
        seen |= {m for m in markers if m in text}
        if "MK000X" in text:
            assert '<script>alert("MK000X")</script>' in text
            assert f"{RTL}desrever{ISOLATE} zero{ZERO_WIDTH}width" in text
    # Every field reached some page (the brief included), but a phone number,
    # which no default template prints.
    assert seen == {m for m, key in markers.items() if key != "phone"}


def test_markdown_files_render_to_nothing_active(hostile_build) -> None:
    out, _, _, _, _, server = hostile_build
    files = sorted(out.rglob("*.md"))
    assert len(files) >= 3
    for path in files:
        source = path.read_text(encoding="utf-8")
        html = markdown_lib.markdown(source, extensions=["tables"])  # a viewer, unsanitised
        text = assert_safe_html(html, path.name, server)
        assert_not_evaluated(text, path.name)
        # In the source too: a text field's brackets are escaped (\\[click\\]), and
        # a Markdown field's unsafe link or image lost its target.
        assert not re.search(r"(?<!\\)\]\(\s*(javascript|data|file):", source), path.name
        assert not re.search(r"(?<!\\)!\[", source), path.name


def test_emails_parse_and_their_html_is_safe(hostile_build) -> None:
    out, markers, _, _, _, server = hostile_build
    recaps = sorted(out.rglob("*.eml"))
    assert recaps
    for path in recaps:
        message = BytesParser(policy=email.policy.default).parsebytes(path.read_bytes())
        assert not message.defects
        html = message.get_body(("html",)).get_content()
        plain = message.get_body(("plain",)).get_content()
        text = assert_safe_html(html, path.name, server)
        assert_not_evaluated(text, path.name)
        assert_not_evaluated(plain, path.name)
        # The plain part prints what the client wrote, tags and all; nothing internal.
        assert '<script>alert("' in plain
        internal = [m for m, key in markers.items() if key in INTERNAL_KEYS]
        assert not [m for m in internal if m in plain or m in html]
        assert RTL in message["Subject"] or "MK000X" in message["Subject"]
        # Every name is a name: the hostile payloads add no recipient, and read back whole.
        case = yaml.safe_load((out.parent / "content" / "acme.yaml").read_text("utf-8"))
        people = {
            p["email"]: p["name"] for p in case["client"]["contacts"] + case["team"]["members"]
        }
        for field in ("From", "To", "Cc"):
            for address in message[field].addresses:
                assert address.display_name == people[address.addr_spec], (path.name, field)
        assert {a.addr_spec for f in ("To", "Cc") for a in message[f].addresses} == set(people) - {
            next(m["email"] for m in case["team"]["members"] if m.get("lead"))
        }


def test_pdfs_show_the_text_and_link_nowhere_unsafe(hostile_build) -> None:
    out, _, _, _, _, server = hostile_build
    pdfs = sorted(out.rglob("*.pdf"))
    assert {p.name for p in pdfs} >= {"plan.pdf", "agreement.pdf"}
    for path in pdfs:
        data = path.read_bytes()
        text = pdf_text(data)
        assert "<script>alert(" in text  # escaped in the HTML, so printed as text
        assert "JINJAEVAL" not in text
        expanded = pdf_objects(data)
        for key in (b"/JavaScript", b"/JS ", b"/Launch", b"/SubmitForm", b"/Subtype /Image"):
            assert key not in expanded, (path.name, key)
        for link in pdf_links(data):
            assert link.startswith(("https://", "http://", "mailto:")), (path.name, link)
            assert server not in link, (path.name, link)


# -- very long words stay on the page ---------------------------------------------------------

LONG = "Supercalifragilistic" * 15  # 300 letters, no break opportunity
LONG_URL = "https://portal.acme.example/" + "a1b2c3d4e5" * 20


@needs_poppler
@pytest.mark.parametrize("document", ["plan.pdf", "agreement.pdf"])
def test_a_very_long_word_is_wrapped_inside_the_page(tmp_path: Path, document: str) -> None:
    text = (
        FULL_CASE.replace("Getting the Acme portal back on track", f"Back on track {LONG}")
        .replace("The relaunch slipped three weeks.", f"The relaunch slipped. {LONG} {LONG_URL}")
        .replace("Weekly check-ins on Tuesdays", LONG)
        .replace("Integration suite green on staging", LONG)
        .replace("Weekly written status every Friday by 16:00", LONG)
        .replace("After the slipped relaunch, both sides agreed this plan.", LONG_URL)
        .replace("Acme Logistics Ltd", LONG)
    )
    ws = make_workspace(tmp_path / "ws", {"acme.yaml": text})
    assert build(ws, today=TODAY, formats=("pdf",), kinds=("plan", "agreement")).ok
    pdf = ws / "output" / "acme" / document
    bbox = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = re.findall(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', bbox, re.S)
    words = [
        (float(width), float(x_min), float(x_max), word)
        for width, _, body in pages
        for x_min, x_max, word in re.findall(
            r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>',
            body,
        )
    ]
    pieces = [w for w in words if w[3] and w[3] in LONG + LONG_URL and len(w[3]) >= 8]
    assert pieces, "the long word is not in the PDF"
    assert "".join(w[3] for w in pieces).count("Supercalifragilistic") >= 15  # nothing cut off
    for width, x_min, x_max, word in words:
        assert x_min >= 0 and x_max <= width, (word[:40], x_min, x_max, width)


# -- Markdown made safe, trick by trick ---------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "kept"),
    [
        ("![x][i]\n\n[i]: http://evil.example/t.png", "![x]"),  # a reference image
        ("![x]\n\n[x]: http://evil.example/t.png", "![x]"),  # a shortcut reference image
        ("![x](<http://evil.example/a b.png>)", "x"),  # a destination in <...>
        ("![x](http://evil.example/(a).png)", "x"),  # parentheses in the destination
        ("[x](javascript:alert(1))", "x"),  # parentheses in the script
        ('[x](javascript:alert(1) "title")', "x"),
        ("[x](<javascript:alert(1)>)", "x"),
        ("[x](JaVaScRiPt:alert(1))", "x"),
        ("[x](&#106;avascript:alert(1))", "x"),  # an entity a viewer decodes
        ("[a [b] c](data:text/html;base64,PHNjcmlwdD4=)", "a [b] c"),  # nested brackets
        ("[a][r]\n\n[r]: http://ok.example\n[s]: javascript:alert(1)\n\n[b][s]", "[b][s]"),
        ("[c][t]\n\n[t]:\n   javascript:alert(1)", "[c][t]"),  # destination on the next line
        ("<javascript:alert(1)> <b onclick=x>hi</b>", "<javascript:alert(1)> <b onclick=x>hi</b>"),
        ("[ok](https://ok.example/a_(b)) <https://auto.example>", "ok"),  # safe links stay links
    ],
)
def test_markdown_tricks_leave_no_image_and_no_unsafe_link(source: str, kept: str) -> None:
    from generator.render import sanitize_markdown

    html = markdown_lib.markdown(sanitize_markdown(source))  # as any viewer would show it
    page = elements(html)
    assert "img" not in {tag for tag, _ in page.tags}, html
    hrefs = [attrs.get("href") or "" for tag, attrs in page.tags if tag == "a"]
    assert all(h.startswith(("https://", "http://")) for h in hrefs), hrefs
    assert kept in "".join(page.text)  # the words stay, as text
