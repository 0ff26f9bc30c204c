"""Readable on a phone and with a screen reader, and clean to outside validators.

Every page of the example workspace (``content/``) is opened in the headless
Chromium the suite already drives (tests/cdp.py) at a phone's width (390 px)
and a laptop's (1280 px); the recap emails' HTML part at a phone's width and
a mail client's (600 px). On each: the page is exactly as wide as the window
(nothing scrolls sideways), no ordinary word is broken across two lines, the
timeline's text is at least 11 px as drawn, and axe-core finds nothing. A
screenshot of each lands in the test's temporary folder, as an artefact to
look at, never committed.

axe-core and the Nu HTML checker (vnu) come from the npm registry, pinned in
package-lock.json with their hashes and installed by ``npm ci
--ignore-scripts`` (.ci/run, the README's test command); the colour contrast
of the theme is computed here from the stylesheet's own custom properties.
"""

from __future__ import annotations

import base64
import email.policy
import json
import os
import re
import shutil
import subprocess
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest

from generator.build import build
from generator.timeline import COLOURS, FONT_SIZE

from .cdp import CHROMIUM, Page, chromium
from .conftest import TODAY

REPO = Path(__file__).resolve().parent.parent
THEME = REPO / "templates" / "html"
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
VNU = REPO / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"

#: The widths a page is read at: a phone, and a laptop; an email also in a
#: mail client's reading pane.
PAGE_WIDTHS = (390, 1280)
MAIL_WIDTHS = (390, 600)

#: What axe-core checks: WCAG 2.0 and 2.1, levels A and AA, and its best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]

needs_browser = pytest.mark.skipif(
    not CHROMIUM.exists() and not os.environ.get("CI"),
    reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium); CI installs it",
)
needs_axe = pytest.mark.skipif(
    not AXE.exists() and not os.environ.get("CI"),
    reason="needs axe-core: run `npm ci --ignore-scripts` (CI does)",
)


# -- the example workspace, built once ---------------------------------------------------


def example_pages(out: Path) -> list[tuple[str, Path]]:
    """Every HTML page of the build, and the HTML part of each recap email as a page."""
    pages = [(p.relative_to(out).as_posix(), p) for p in sorted(out.rglob("*.html"))]
    mail = out.parent / "mail"
    for eml in sorted(out.rglob("recap-*.eml")):
        message = BytesParser(policy=email.policy.default).parsebytes(eml.read_bytes())
        body = message.get_body(("html",))
        assert body is not None, eml
        target = mail / eml.relative_to(out).with_suffix(".html")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(body.get_content(), encoding="utf-8")
        pages.append((eml.relative_to(out).as_posix(), target))
    return pages


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's example workspace, built to HTML and email in a temp folder."""
    root = tmp_path_factory.mktemp("example")
    shutil.copytree(REPO / "content", root / "content")
    report = build(root, today=TODAY, formats=("html", "eml"))
    assert report.ok, report.failed
    return root / "output"


def kind_of(name: str) -> str:
    return re.sub(r"-\d{4}-\d{2}-\d{2}$", "", Path(name).stem)


def of_kind(pages: list[tuple[str, Path]], kind: str) -> list[tuple[str, Path]]:
    return [(name, path) for name, path in pages if kind_of(name) == kind]


def kinds_of(pages: list[tuple[str, Path]]) -> dict[str, tuple[str, Path]]:
    """One page of each kind (index, plan, agenda, agreement, brief, recap): the largest."""
    chosen: dict[str, tuple[str, Path]] = {}
    for name, path in pages:
        kind = kind_of(name)
        if kind not in chosen or path.stat().st_size > chosen[kind][1].stat().st_size:
            chosen[kind] = (name, path)
    return chosen


# -- the browser ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):
    with chromium(tmp_path_factory.mktemp("profile")) as page:
        yield page


def open_at(page: Page, path: Path, width: int, *, dark: bool = False) -> None:
    """Open a file as a phone (``mobile``, below 800 px) or a desktop of that width would."""
    page.call(
        "Emulation.setDeviceMetricsOverride",
        width=width,
        height=900,
        deviceScaleFactor=1,
        mobile=width < 800,
    )
    page.call(
        "Emulation.setEmulatedMedia",
        media="screen",
        features=[{"name": "prefers-color-scheme", "value": "dark" if dark else "light"}],
    )
    page.goto(path.as_uri())


def screenshot(page: Page, path: Path) -> None:
    """The whole page, not only what the window shows."""
    data = page.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(base64.b64decode(data))


#: Every word that a line break cuts in two: a word (letters and digits; an
#: apostrophe inside it too) whose characters lie on more than one line.
#: Breaks at a hyphen, a dash or a slash are ordinary line breaks; a long
#: unbroken string (a URL, an email address, over 30 characters) may break.
MIDWORD_JS = r"""
(() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {
    acceptNode: (n) => n.parentElement.closest("svg, script, style")
      ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT,
  });
  const word = /[\p{L}\p{N}\p{M}]+(?:['’][\p{L}\p{M}]+)*/gu;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.data;
    for (const token of text.matchAll(/\S+/g)) {
      if (token[0].length > 30 || /[@:]|\/\//.test(token[0])) continue;
      for (const m of token[0].matchAll(word)) {
        const start = token.index + m.index;
        const range = document.createRange();
        range.setStart(node, start);
        range.setEnd(node, start + m[0].length);
        const tops = new Set([...range.getClientRects()]
          .filter((r) => r.width > 0).map((r) => Math.round(r.bottom)));
        if (tops.size > 1) {
          const cell = node.parentElement.closest("td, th");
          out.push({word: m[0], inCell: !!cell, where: node.parentElement.tagName});
        }
      }
    }
  }
  return out;
})()
"""

#: The smallest text of the timeline as drawn: its font size times the scale
#: at which the SVG is shown.
TIMELINE_JS = r"""
(() => {
  const svg = document.querySelector("figure.timeline svg");
  if (!svg) return null;
  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  const sizes = [...svg.querySelectorAll("text")]
    .map((t) => parseFloat(getComputedStyle(t).fontSize) * scale);
  return Math.min(...sizes);
})()
"""


def measure(page: Page) -> dict[str, Any]:
    return {
        "scroll_width": page.evaluate("document.documentElement.scrollWidth"),
        "client_width": page.evaluate("document.documentElement.clientWidth"),
        "midword": page.evaluate(MIDWORD_JS),
        "timeline_px": page.evaluate(TIMELINE_JS),
    }


def run_axe(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations on the open page, each with the elements it names."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.call("Runtime.evaluate", expression=AXE.read_text(encoding="utf-8"))
    options = json.dumps(
        {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
    )
    result = page.call(
        "Runtime.evaluate",
        expression=f"axe.run(document, {options}).then(r => r.violations.map(v => ("
        "{id: v.id, help: v.help, nodes: v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary)})))",
        awaitPromise=True,
        returnByValue=True,
    )
    assert "exceptionDetails" not in result, result
    return result["result"]["value"]


# -- in the browser ------------------------------------------------------------------------


#: Every kind of page the example workspace has.
KINDS = ("index", "plan", "agenda", "agreement", "brief", "recap")


@needs_browser
@pytest.mark.parametrize("kind", KINDS)
def test_every_page_fits_the_window_and_keeps_words_whole(
    kind: str, example: Path, browser: Page, tmp_path: Path
) -> None:
    pages = example_pages(example)
    chosen = kinds_of(pages)
    assert kind in chosen, sorted(chosen)
    same = of_kind(pages, kind)  # every page of that kind: three cases, fifteen recaps
    widths = MAIL_WIDTHS if kind == "recap" else PAGE_WIDTHS
    problems = []
    for name, path in same:
        for width in widths:
            open_at(browser, path, width)
            seen = measure(browser)
            if name == chosen[kind][0]:  # one picture a kind and width is enough to look at
                screenshot(browser, tmp_path / f"{name.replace('/', '_')}-{width}.png")
            if seen["scroll_width"] > seen["client_width"]:
                problems.append(f"{name} at {width}px: the page is {seen['scroll_width']}px wide")
            if seen["midword"]:
                problems.append(
                    f"{name} at {width}px: words broken mid-word: {seen['midword'][:8]}"
                )
            if seen["timeline_px"] is not None and seen["timeline_px"] < 11:
                problems.append(
                    f"{name} at {width}px: timeline text {seen['timeline_px']:.1f}px, under 11px"
                )
    assert not problems, "\n".join(problems)


@needs_browser
@needs_axe
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_nothing(
    kind: str, scheme: str, example: Path, browser: Page, tmp_path: Path
) -> None:
    pages = example_pages(example)
    chosen = kinds_of(pages)[kind]
    # Every page in the light scheme; the dark one (the same CSS with other
    # colours) on the largest page of each kind.
    widths = MAIL_WIDTHS if kind == "recap" else PAGE_WIDTHS
    found = {}
    for name, path in of_kind(pages, kind) if scheme == "light" else [chosen]:
        for width in widths:
            open_at(browser, path, width, dark=scheme == "dark")
            if name == chosen[0]:
                screenshot(browser, tmp_path / f"{name.replace('/', '_')}-{width}-{scheme}.png")
            violations = run_axe(browser)
            if violations:
                found[f"{name} at {width}px"] = violations
    assert not found, f"{scheme}: {json.dumps(found, indent=1)}"


# -- colours -------------------------------------------------------------------------------


def custom_properties(css: str) -> tuple[dict[str, str], dict[str, str]]:
    """The theme's colours: the first ``:root`` block, and the dark scheme's over it."""
    light = dict(
        re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})", css[css.index(":root") :].split("}")[0])
    )
    dark_at = css.index("prefers-color-scheme: dark")
    dark_block = css[css.index(":root", dark_at) :].split("}")[0]
    dark = {**light, **dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})", dark_block))}
    return light, dark


def luminance(colour: str) -> float:
    """WCAG 2's relative luminance of an sRGB ``#rrggbb``."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


#: Each text colour of the theme and the backgrounds it is printed on:
#: headers on the tinted header row and summary, pills in tables and lists,
#: the internal banner on its own background.
TEXT_PAIRS = [
    (fg, bg)
    for fg in ("ink", "muted", "accent", "done", "on-track", "planned", "at-risk", "missed")
    for bg in ("paper", "tint")
] + [("missed", "banner")]


def test_the_theme_meets_wcag_aa_in_light_and_dark() -> None:
    light, dark = custom_properties((THEME / "style.css").read_text(encoding="utf-8"))
    assert light["paper"] != dark["paper"], "no dark scheme"
    low = [
        f"{scheme}: --{fg} {theme[fg]} on --{bg} {theme[bg]}: {contrast(theme[fg], theme[bg]):.2f}:1"
        for scheme, theme in (("light", light), ("dark", dark))
        for fg, bg in TEXT_PAIRS
        if contrast(theme[fg], theme[bg]) < 4.5
    ]
    assert not low, "under 4.5:1\n" + "\n".join(low)


def test_the_old_planned_grey_was_under_aa_on_the_tint() -> None:
    # The measurement, so that the function above measures what axe does.
    assert round(contrast("#6e7781", "#f6f8fa"), 2) == 4.27


def test_timeline_and_email_colours_meet_wcag_aa() -> None:
    # The timeline is drawn on white in both schemes (style.css gives it a white
    # ground); its status words are printed in these colours at 11 px.
    light, _ = custom_properties((THEME / "style.css").read_text(encoding="utf-8"))
    assert FONT_SIZE >= 11
    for status, colour in COLOURS.items():
        assert colour == light[status], status  # the same colour as in the tables
        assert contrast(colour, "#ffffff") >= 4.5, status
    # The recap email's status badges and its muted and link colours (light only:
    # the email declares `color-scheme: light`).
    recap = (REPO / "templates" / "eml" / "recap.html").read_text(encoding="utf-8")
    badges = re.findall(r"background-color:(#[0-9a-f]{6});color:(#[0-9a-f]{6});", recap)
    assert len(badges) == 5
    for bg, fg in badges + [("#ffffff", "#57606a"), ("#ffffff", "#1d5d90"), ("#f0f7ff", "#1d5d90")]:
        assert contrast(fg, bg) >= 4.5, (fg, bg)


# -- print CSS reaches only the PDF ---------------------------------------------------------

#: What only WeasyPrint's paged media understands: a browser ignores it and the
#: Nu checker reports it as an error.
PRINT_ONLY = ("string-set", "string(", "@page", "@top-", "@bottom-", "counter(page")


def test_print_only_css_stays_out_of_the_html_pages(example: Path) -> None:
    from generator.render import theme_dir

    print_css = (theme_dir() / "html" / "print.css").read_text(encoding="utf-8")
    assert all(word in print_css for word in ("string-set", "@page", "@top-left"))
    pages = sorted(example.rglob("*.html"))
    assert len(pages) >= 10
    for path in pages:
        html = path.read_text(encoding="utf-8")
        assert not [w for w in PRINT_ONLY if w in html], path
        assert "running-title" not in html and "running-parties" not in html, path


# -- the PDFs' running header -----------------------------------------------------------------


def pdf_pages(path: Path) -> list[str]:
    """Each page's text as pdftotext reads it, in reading order, whitespace folded."""
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    return [" ".join(page.split()) for page in text.split("\f") if page.strip()]


@pytest.fixture(scope="module")
def example_pdfs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("example-pdf")
    shutil.copytree(REPO / "content", root / "content")
    report = build(root, today=TODAY, formats=("pdf",))
    assert report.ok, report.failed
    return root / "output"


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext (poppler-utils)")
def test_pdf_text_reads_in_order_with_the_header_once_a_page(example_pdfs: Path) -> None:
    import yaml

    pdfs = sorted(example_pdfs.rglob("*.pdf"))
    assert len(pdfs) >= 8
    kickers = {"plan": "RECOVERY PLAN", "agenda": "MEETING AGENDA"}
    for path in pdfs:
        case = yaml.safe_load(
            (example_pdfs.parent / "content" / f"{path.parent.name}.yaml").read_text("utf-8")
        )
        title = " ".join(case["title"].split())
        kind = path.stem.split("-")[0]
        kicker = kickers.get(kind) or case["agreement"].get("title", "Recovery agreement").upper()
        pages = pdf_pages(path)
        assert len(pages) >= 2, path
        # The first page opens with the masthead, read once: no hidden copy of
        # the title or the parties before it, no header above it.
        assert pages[0].startswith(f"{kicker} {title} "), (path.name, pages[0][:200])
        assert pages[0].count(title) == (2 if len(pages) == 1 else 1), (path.name, pages[0][:300])
        # Every later page starts with the running header: the title, then the kind.
        for number, page in enumerate(pages[1:], start=2):
            assert page.startswith(f"{title} {kicker.capitalize()}"), (
                path.name,
                number,
                page[:200],
            )
            footer = 1 if number == len(pages) else 0  # "us for them · title" closes the document
            assert page.count(title) == 1 + footer, (path.name, number, page[:300])


# -- the Nu HTML checker ---------------------------------------------------------------------

#: vnu's CSS profile does not know `overflow-wrap` (CSS Text 3): its one false
#: alarm on the pages. The email also has Outlook's own `mso-hide`, which
#: keeps its preview line out of Outlook's body.
VNU_FALSE_ALARMS = ("“overflow-wrap”: Property “overflow-wrap” doesn't exist",)
VNU_MAIL_ALARMS = ("“mso-hide”: Property “mso-hide” doesn't exist",)


@pytest.mark.skipif(
    shutil.which("java") is None,
    reason="needs Java for the Nu checker (apt-get install default-jre-headless)",
)
@pytest.mark.skipif(
    not VNU.exists() and not os.environ.get("CI"),
    reason="needs vnu-jar: run `npm ci --ignore-scripts` (CI does)",
)
def test_vnu_finds_no_html_or_css_error(example: Path) -> None:
    pages = [str(path) for _, path in example_pages(example)]
    answer = subprocess.run(
        ["java", "-jar", str(VNU), "--format", "json", "--exit-zero-always", *pages],
        capture_output=True,
        check=True,
        text=True,
    )
    messages = json.loads(answer.stderr or answer.stdout)["messages"]
    errors = [
        f"{Path(m.get('url', '')).name}:{m.get('lastLine')}: {m['message']}"
        for m in messages
        if m["type"] == "error"
        and not any(alarm in m["message"] for alarm in VNU_FALSE_ALARMS)
        and not ("/mail/" in m.get("url", "") and any(a in m["message"] for a in VNU_MAIL_ALARMS))
    ]
    assert not errors, "\n".join(errors)


# -- long words --------------------------------------------------------------------------------


def test_a_long_pasted_word_gets_break_chances_and_ordinary_words_none(tmp_path: Path) -> None:
    from .conftest import FULL_CASE, make_workspace

    url = "https://tracker.example/" + "x" * 120
    text = FULL_CASE.replace(
        "text: Test feedback within two working days",
        f"text: Test feedback within two days, see {url}",
    ).replace("Thank you for the fast test feedback", "'<script>alert(1)</script> thanks'")
    ws = make_workspace(tmp_path / "ws", {"acme.yaml": text})
    assert build(ws, today=TODAY, formats=("html",)).ok
    agreement = (ws / "output" / "acme" / "agreement.html").read_text(encoding="utf-8")
    # In a table cell, the URL gets a break chance every 12 characters, so its
    # column does not grow to its length; its text reads back whole.
    assert url not in agreement and "https://trac<wbr>ker.example/" in agreement
    assert url in agreement.replace("<wbr>", "")
    # A word that is long only as escaped text stays as it is.
    agenda = next((ws / "output" / "acme").glob("agenda-*.html")).read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in agenda
