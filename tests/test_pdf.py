"""The PDF writer: rendering, the resource sandbox, determinism, PDF/A, signature fields.

Everything here renders real PDFs with WeasyPrint and reads them back with pypdf
and poppler; nothing about the PDF is mocked.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pypdf
import pytest
from PIL import Image
from weasyprint import HTML

from generator.writers.pdf import (
    PdfError,
    make_url_fetcher,
    render_pdf,
    signature_rects,
)

FIXTURES = Path(__file__).parent / "fixtures" / "pdf"
AGREEMENT = (FIXTURES / "agreement.html").read_text(encoding="utf-8")
IDS = ("sig-dana-okafor", "sig-sam-rivera")

# -- Watching for file and network access ---------------------------------------------
#
# An audit hook sees every file Python opens (builtins.open, io.open, os.open) and
# every socket it creates or connects, however deep in WeasyPrint or urllib the
# call is. Hooks cannot be removed, so this one records only while `_watching`.

_events: list[tuple[str, str]] = []
_watching = False


def _audit(event: str, args: tuple) -> None:
    if not _watching:
        return
    if event == "open" and args and isinstance(args[0], (str, bytes, Path)):
        _events.append(("open", str(args[0])))
    elif event.startswith(("socket.", "urllib.Request")):
        _events.append((event, repr(args)[:200]))


sys.addaudithook(_audit)


@contextlib.contextmanager
def watch() -> Iterator[list[tuple[str, str]]]:
    global _watching
    _events.clear()
    _watching = True
    try:
        yield _events
    finally:
        _watching = False


# -- Helpers ---------------------------------------------------------------------------


def reader_for(data: bytes) -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(data))


def form_fields(reader: pypdf.PdfReader) -> list[dict]:
    """Each field of /AcroForm /Fields as a dict with its name, rect, page and value."""
    pages = {page.indirect_reference.idnum: i for i, page in enumerate(reader.pages)}
    fields = []
    for ref in reader.trailer["/Root"]["/AcroForm"]["/Fields"]:
        obj = ref.get_object()
        fields.append(
            {
                "name": obj["/T"],
                "type": obj["/FT"],
                "rect": tuple(float(v) for v in obj["/Rect"]),
                "page": pages[obj.raw_get("/P").idnum],
                "value": obj.get("/V"),
                "idnum": ref.idnum,
                "flags": int(obj["/F"]),
            }
        )
    return fields


def render_page_gray(pdf: Path, page: int, dpi: int, out: Path) -> Image.Image:
    """One page rendered by poppler, as an 8-bit grayscale image."""
    prefix = out / f"page-{page}"
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-gray", "-f", str(page), "-l", str(page), "-singlefile"]
        + ["-png", str(pdf), str(prefix)],
        check=True,
    )
    return Image.open(f"{prefix}.png").convert("L")


needs_poppler = pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs pdftoppm")


@pytest.fixture(scope="module")
def agreement_pdf() -> bytes:
    return render_pdf(AGREEMENT, base_url=None, signature_ids=IDS)


# -- Rendering and metadata ------------------------------------------------------------


def test_renders_text_on_a4(agreement_pdf: bytes) -> None:
    reader = reader_for(agreement_pdf)
    assert len(reader.pages) == 2
    width, height = (float(v) for v in reader.pages[0].mediabox[2:])
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    first = reader.pages[0].extract_text()
    second = reader.pages[1].extract_text()
    assert "Recovery agreement" in first
    assert "test feedback within two working days" in first
    assert "Signatures" in second
    assert "Dana Okafor" in second and "Sam Rivera" in second


def test_metadata_comes_from_the_page(agreement_pdf: bytes) -> None:
    info = reader_for(agreement_pdf).metadata
    assert info["/Title"] == "Recovery agreement: Acme portal"
    assert info["/Author"] == "Brightline Studio"
    assert info["/Subject"] == "Recovery agreement between Acme Logistics and Brightline Studio"
    assert info["/Keywords"] == "recovery agreement, acme"


def test_metadata_passed_in_wins() -> None:
    data = render_pdf(
        AGREEMENT,
        base_url=None,
        metadata={
            "title": "Agreement — Acme",
            "author": "Sam Rivera",
            "subject": "What we agreed",
            "keywords": "one, two ,three",
        },
    )
    info = reader_for(data).metadata
    assert info["/Title"] == "Agreement — Acme"
    assert info["/Author"] == "Sam Rivera"
    assert info["/Subject"] == "What we agreed"
    assert info["/Keywords"] == "one, two, three"


def test_unknown_metadata_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown PDF metadata"):
        render_pdf("<p>x</p>", base_url=None, metadata={"producer": "me"})


# -- Determinism ----------------------------------------------------------------------


def test_same_html_gives_the_same_bytes(agreement_pdf: bytes) -> None:
    again = render_pdf(AGREEMENT, base_url=None, signature_ids=IDS)
    assert again == agreement_pdf
    reader = reader_for(agreement_pdf)
    # No clock in the file ...
    assert "/CreationDate" not in reader.metadata
    assert "/ModDate" not in reader.metadata
    assert b"CreationDate" not in agreement_pdf and b"ModDate" not in agreement_pdf
    # ... and an /ID derived from the content, not from chance.
    first_id = reader.trailer["/ID"]
    assert len(first_id) == 2
    assert reader_for(again).trailer["/ID"] == first_id


def test_same_html_gives_the_same_bytes_as_pdfa_with_metadata() -> None:
    kwargs = {
        "base_url": None,
        "signature_ids": IDS,
        "pdf_variant": "a-2b",
        "metadata": {"title": "T", "author": "A", "subject": "S", "keywords": "k"},
    }
    assert render_pdf(AGREEMENT, **kwargs) == render_pdf(AGREEMENT, **kwargs)


def test_different_html_gives_a_different_id(agreement_pdf: bytes) -> None:
    other = render_pdf(AGREEMENT.replace("three weeks", "four weeks"), base_url=None)
    assert reader_for(other).trailer["/ID"] != reader_for(agreement_pdf).trailer["/ID"]


# -- PDF/A ---------------------------------------------------------------------------


@pytest.mark.parametrize(("variant", "part"), [("a-2b", "2"), ("pdf/a-3b", "3"), ("PDF/A-2b", "2")])
def test_pdfa_identification_in_xmp(variant: str, part: str) -> None:
    data = render_pdf(AGREEMENT, base_url=None, signature_ids=IDS, pdf_variant=variant)
    reader = reader_for(data)
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8")
    assert f'pdfaid:part="{part}"' in xmp
    assert 'pdfaid:conformance="B"' in xmp
    assert "Recovery agreement: Acme portal" in xmp  # dc:title
    intents = reader.trailer["/Root"]["/OutputIntents"]
    assert intents[0].get_object()["/S"] == "/GTS_PDFA1"
    assert data.startswith(b"%PDF-1.7")
    # PDF/A: every widget printable and with an appearance; no NeedAppearances.
    for f in form_fields(reader):
        assert f["flags"] & 4
    assert "/NeedAppearances" not in reader.trailer["/Root"]["/AcroForm"]
    for ref in reader.trailer["/Root"]["/AcroForm"]["/Fields"]:
        assert "/N" in ref.get_object()["/AP"]


def test_unknown_variant_is_an_error() -> None:
    with pytest.raises(PdfError, match="unsupported PDF variant"):
        render_pdf("<p>x</p>", base_url=None, pdf_variant="pdf/x-4")


# -- Signature fields ----------------------------------------------------------------------


def test_one_empty_signature_field_per_signatory(agreement_pdf: bytes) -> None:
    reader = reader_for(agreement_pdf)
    fields = form_fields(reader)
    assert [f["name"] for f in fields] == list(IDS)
    for f in fields:
        assert f["type"] == "/Sig"
        assert f["value"] is None  # empty: nobody has signed
        assert f["page"] == 1  # the second page, where the blocks are
        annots = [a.idnum for a in reader.pages[1]["/Annots"]]
        assert f["idnum"] in annots
    assert not reader.pages[0].get("/Annots")


def test_field_rectangles_are_the_layout_boxes(agreement_pdf: bytes) -> None:
    document = HTML(string=AGREEMENT).render()
    rects = signature_rects(document, IDS)
    assert set(rects) == set(IDS)
    fields = {f["name"]: f for f in form_fields(reader_for(agreement_pdf))}
    for name, (page, rect) in rects.items():
        assert fields[name]["page"] == page == 1
        assert fields[name]["rect"] == pytest.approx(rect, abs=1e-3)
    (_, dana), (_, sam) = rects["sig-dana-okafor"], rects["sig-sam-rivera"]
    # Dana's block comes first, higher up the page (PDF y grows upwards).
    assert dana[1] > sam[3]
    # CSS: margin-left 40px = 30pt inside the 18mm page margin; width 60% of the
    # content box plus padding and border: 0.6 * (210 - 36) mm + 2 * (10 + 3) px.
    mm = 72 / 25.4
    assert dana[0] == pytest.approx(18 * mm + 30, abs=0.01)
    assert dana[2] - dana[0] == pytest.approx(0.6 * 174 * mm + 0.75 * 26, abs=0.01)


@needs_poppler
def test_field_rectangles_sit_on_the_printed_borders(agreement_pdf: bytes, tmp_path: Path) -> None:
    """Poppler draws the blocks' 3px black borders exactly along each field's /Rect."""
    pdf = tmp_path / "agreement.pdf"
    pdf.write_bytes(agreement_pdf)
    image = render_page_gray(pdf, 2, 72, tmp_path)  # 72 dpi: one pixel per point
    height = image.height
    pixels = image.load()

    def dark(x: float, y: float) -> bool:
        return pixels[int(x), int(height - y)] < 100

    for f in form_fields(reader_for(agreement_pdf)):
        x1, y1, x2, y2 = f["rect"]
        inset = 1.1  # the border is 2.25pt wide, inside the rectangle
        xs = [x1 + (x2 - x1) * i / 40 for i in range(2, 39)]
        ys = [y1 + (y2 - y1) * i / 20 for i in range(2, 19)]
        assert all(dark(x, y2 - inset) for x in xs), f"top border of {f['name']}"
        assert all(dark(x, y1 + inset) for x in xs), f"bottom border of {f['name']}"
        assert all(dark(x1 + inset, y) for y in ys), f"left border of {f['name']}"
        assert all(dark(x2 - inset, y) for y in ys), f"right border of {f['name']}"
        outside = 3
        assert not any(dark(x, y2 + outside) for x in xs), f"above {f['name']}"
        assert not any(dark(x1 - outside, y) for y in ys), f"left of {f['name']}"
        assert not any(dark(x2 + outside, y) for y in ys), f"right of {f['name']}"


def test_block_text_lies_inside_its_field(agreement_pdf: bytes) -> None:
    """pypdf's own text positions put each signatory's name inside their field."""
    reader = reader_for(agreement_pdf)
    fields = {f["name"]: f["rect"] for f in form_fields(reader)}
    found: dict[str, tuple[float, float]] = {}

    def visit(text, cm, tm, font_dict, font_size) -> None:  # pypdf API, untyped
        for name in ("Dana Okafor", "Sam Rivera"):
            if name in text:
                # Text space to user space: tm then cm.
                x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
                y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
                found[name] = (x, y)

    reader.pages[1].extract_text(visitor_text=visit)
    assert set(found) == {"Dana Okafor", "Sam Rivera"}
    for name, field in (("Dana Okafor", "sig-dana-okafor"), ("Sam Rivera", "sig-sam-rivera")):
        x, y = found[name]
        x1, y1, x2, y2 = fields[field]
        assert x1 < x < x2 and y1 < y < y2, (name, (x, y), fields[field])


def test_missing_signature_block_is_an_error() -> None:
    with pytest.raises(PdfError, match="no signature block for sig-lee-chen"):
        render_pdf(AGREEMENT, base_url=None, signature_ids=(*IDS, "sig-lee-chen"))


def test_hidden_signature_block_is_missing() -> None:
    hidden = AGREEMENT.replace('id="sig-sam-rivera"', 'id="sig-sam-rivera" style="display: none"')
    with pytest.raises(PdfError, match="sig-sam-rivera"):
        render_pdf(hidden, base_url=None, signature_ids=IDS)


def test_block_split_across_pages_warns_and_keeps_first_page() -> None:
    html = '<style>@page { size: A6; margin: 10mm }</style><div id="sig-long">'
    html += "<p>A line of the block.</p>" * 40 + "</div>"
    messages: list[str] = []
    data = render_pdf(html, base_url=None, signature_ids=["sig-long"], warn=messages.append)
    assert len(messages) == 1
    assert "sig-long is split across pages 1, 2" in messages[0]
    (field,) = form_fields(reader_for(data))
    assert field["page"] == 0


def test_repeated_id_warns_and_keeps_the_first() -> None:
    html = '<div id="sig-a" style="height: 20px">one</div><div id="sig-a">two</div>'
    messages: list[str] = []
    document = HTML(string=html).render()
    rects = signature_rects(document, ["sig-a"], warn=messages.append)
    assert messages == ['id="sig-a" is used by more than one element; the field is on the first']
    (_, (x1, y1, x2, y2)) = rects["sig-a"]
    assert y2 - y1 == pytest.approx(15)  # the first div: 20px = 15pt


def test_inline_block_boxes_are_joined() -> None:
    """A block WeasyPrint splits into several boxes on a page gets their union."""
    html = """<style>@page { size: A5; margin: 10mm } p { width: 120px }</style>
    <p><span id="sig-x">one two three four five six seven</span></p>"""
    document = HTML(string=html).render()
    (page, (x1, y1, x2, y2)) = signature_rects(document, ["sig-x"])["sig-x"]
    assert page == 0
    assert y2 - y1 > 30  # several lines tall, not just the first line box


def test_no_signature_ids_no_form(agreement_pdf: bytes) -> None:
    data = render_pdf(AGREEMENT, base_url=None)
    assert "/AcroForm" not in reader_for(data).trailer["/Root"]


# -- The resource sandbox -----------------------------------------------------------------

HOSTILE = """<!DOCTYPE html>
<html><head><title>Hostile</title><style>
@import url(http://example.com/evil.css);
body { background: url(file:///etc/hostname); }
</style></head>
<body>
<p>Still renders.</p>
<img src="file:///etc/passwd">
<img src="http://example.com/x.png">
<img src="https://example.com/y.png">
<img src="assets/dot.png" alt="allowed">
</body></html>
"""


@pytest.fixture
def workspace_assets(tmp_path: Path) -> Path:
    assets = tmp_path / "ws" / "assets"
    assets.mkdir(parents=True)
    Image.new("RGB", (4, 4), "red").save(assets / "dot.png")
    return assets


def test_hostile_page_renders_without_reading_or_connecting(workspace_assets: Path) -> None:
    messages: list[str] = []
    base = workspace_assets.parent.as_uri() + "/"
    with watch() as events:
        data = render_pdf(
            HOSTILE, base_url=base, allowed_roots=[workspace_assets], warn=messages.append
        )
    assert "Still renders." in reader_for(data).pages[0].extract_text()
    # Nothing under /etc was opened, and no socket was even created.
    opened = [path for kind, path in events if kind == "open"]
    assert not [p for p in opened if p.startswith("/etc/passwd") or p.startswith("/etc/hostname")]
    assert not [e for e in events if e[0] != "open"], events
    # Each refusal was reported, naming the URL.
    for url in (
        "file:///etc/passwd",
        "file:///etc/hostname",
        "http://example.com/x.png",
        "https://example.com/y.png",
        "http://example.com/evil.css",
    ):
        assert any(url in m and m.startswith("refused") for m in messages), url
    # The allowed image was read, from the resolved path, and is in the PDF.
    assert str((workspace_assets / "dot.png").resolve()) in opened
    assert b"/Subtype /Image" in pypdf_objects(data)
    assert not any("dot.png" in m for m in messages)


def pypdf_objects(data: bytes) -> bytes:
    """The PDF with its object streams expanded, to search for dictionary keys."""
    writer = pypdf.PdfWriter(clone_from=reader_for(data))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_fetcher_answers_and_refuses(tmp_path: Path, workspace_assets: Path) -> None:
    messages: list[str] = []
    fetcher = make_url_fetcher([workspace_assets], messages.append)
    secret = tmp_path / "secret.txt"
    secret.write_text("do not print")
    (workspace_assets / "link.png").symlink_to(secret)
    (workspace_assets / "sub").mkdir()

    allowed = fetcher(workspace_assets.joinpath("dot.png").as_uri())
    assert allowed.read().startswith(b"\x89PNG")
    assert allowed.content_type == "image/png"
    data_url = fetcher("data:text/css;base64,Ym9keXt9")
    assert data_url.read() == b"body{}"

    refused = [
        secret.as_uri(),  # outside the roots
        workspace_assets.joinpath("link.png").as_uri(),  # symlink out of the roots
        workspace_assets.as_uri() + "/../../secret.txt",  # .. out of the roots
        workspace_assets.as_uri() + "/%2e%2e/%2e%2e/secret.txt",  # encoded ..
        "file://fileserver/share/dot.png",  # another host
        "http://example.com/a.png",
        "https://example.com/a.png",
        "ftp://example.com/a.png",
        "javascript:alert(1)",
        "file:///etc/pass%00wd",  # NUL byte
        "file:relative/dot.png",  # no absolute path
    ]
    for url in refused:
        with pytest.raises(ValueError):
            fetcher(url)
    assert fetcher.refused == refused
    assert len(messages) == len(refused)
    assert all(m.startswith("refused to load ") for m in messages)
    # A missing or unreadable file inside the roots: an error WeasyPrint skips, and a warning.
    messages.clear()
    for url in (
        workspace_assets.joinpath("nope.png").as_uri(),
        workspace_assets.joinpath("sub").as_uri(),
    ):
        with pytest.raises(OSError):
            fetcher(url)
    assert len(messages) == 2 and all(m.startswith("cannot load ") for m in messages)


def test_no_roots_means_no_files(workspace_assets: Path) -> None:
    messages: list[str] = []
    fetcher = make_url_fetcher([], messages.append)
    with pytest.raises(ValueError):
        fetcher(workspace_assets.joinpath("dot.png").as_uri())
    assert "no local files may be read" in messages[0]


def test_plain_page_fetches_nothing(agreement_pdf: bytes) -> None:
    """WeasyPrint's own stylesheets do not go through the fetcher: nothing to refuse."""
    messages: list[str] = []
    render_pdf(AGREEMENT, base_url=None, warn=messages.append)
    assert messages == []


def test_data_urls_are_allowed_but_what_they_load_is_not() -> None:
    svg = (
        "data:image/svg+xml,<svg xmlns='http://www.w3.org/2000/svg' width='20' height='20'>"
        "<rect width='20' height='20' fill='blue'/>"
        "<image width='10' height='10' href='file:///etc/passwd'/></svg>"
    )
    messages: list[str] = []
    with watch() as events:
        data = render_pdf(f'<img src="{svg}">', base_url=None, warn=messages.append)
    assert data.startswith(b"%PDF")
    assert messages == ["refused to load file:///etc/passwd: no local files may be read"]
    assert not [p for kind, p in events if kind == "open" and p.startswith("/etc/")]
