"""PDF: the HTML page printed by WeasyPrint, with an empty signature field per signatory.

Three promises shape this module:

* **It reads nothing it was not allowed to.** A case file is text a user pasted
  from email; a template is code a user may have copied from anywhere. Either
  could point an ``<img>`` or a CSS ``url()`` at ``/etc/passwd`` or at a
  tracking server. Every resource WeasyPrint wants goes through
  :func:`make_url_fetcher`, which serves only files under the allowed folders.
* **The same HTML gives the same bytes.** WeasyPrint writes no dates unless the
  HTML asks for them, and its ``/ID`` is a hash of the content; the signature
  fields are written inside that one pass, so nothing adds a random ``/ID`` or
  a modification time afterwards.
* **Each signature field lies exactly over its block.** The rectangles come
  from WeasyPrint's own layout of the ``id="sig-<slug>"`` elements, so a signed
  appearance lands where the reader expects to sign.
"""

from __future__ import annotations

import io
import logging
import mimetypes
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import urlsplit
from urllib.request import url2pathname

import pydyf
from weasyprint import HTML, Attachment
from weasyprint.urls import URLFetcher, URLFetcherResponse

from ..errors import MendError
from .words import break_long_words

if TYPE_CHECKING:
    from weasyprint.document import Document as WeasyDocument

    from ..documents import Document
    from . import BuildContext, Source

logger = logging.getLogger(__name__)

#: CSS pixels to PDF points: WeasyPrint lays out at 96 px per inch, PDF uses 72 pt.
PX_TO_PT = 0.75

#: PDF variants a document with our signature fields can claim. The "a" (accessible)
#: levels and PDF/UA need every annotation in the structure tree, which these
#: fields are not; PDF/A-1 predates the transparency the signed appearance uses.
PDF_VARIANTS = ("pdf/a-2b", "pdf/a-3b", "pdf/a-2u", "pdf/a-3u")

#: Keys :func:`render_pdf` accepts in ``metadata``, and where WeasyPrint keeps them.
METADATA_KEYS = ("title", "author", "subject", "keywords", "creator", "created", "modified")

#: Annotation flags of an empty signature widget: Print (4) so that it is part of
#: the printed page, as PDF/A requires, and Locked (128), as pyHanko sets it.
_WIDGET_FLAGS = 4 | 128

#: The variant an archival agreement is written in: PDF/A-3 is the level that
#: may carry a file of any type (``agreement.json``) as an associated file.
ARCHIVAL_VARIANT = "pdf/a-3b"

#: Signature flags of the form: SignaturesExist. AppendOnly (2) is set by the
#: signing software when the first signature goes in.
_SIG_FLAGS = 1


@dataclass(frozen=True)
class EmbeddedFile:
    """A file carried inside the PDF, tied to the document as a PDF/A-3 associated file."""

    name: str
    data: bytes
    description: str
    #: The ``AFRelationship``: ``Data`` for data the document is a rendering of.
    relationship: str = "Data"
    #: Its creation and modification time: from the inputs, never the clock.
    when: datetime = datetime(2000, 1, 1)


class PdfError(MendError):
    """A PDF could not be made from a page, e.g. a signature block is missing."""


class ResourceRefused(ValueError):
    """A resource the page asked for lies outside what the PDF may read.

    WeasyPrint catches it like any fetch error and leaves the resource out, so a
    refusal never stops the render.
    """


def _log_warning(message: str) -> None:
    logger.warning("%s", message)


def _short(url: str, limit: int = 120) -> str:
    """A URL as a warning shows it: ``data:`` URLs can be megabytes long."""
    return url if len(url) <= limit else f"{url[: limit - 3]}..."


class SandboxedURLFetcher(URLFetcher):
    """WeasyPrint's fetcher, narrowed to local files under a few folders.

    * ``file:`` URLs are served only when the path, with symbolic links and
      ``..`` resolved, lies under one of ``allowed_roots``. The file is read
      here, from the resolved path, so the check and the read see the same file.
    * ``data:`` URLs are allowed: they carry their bytes inside the page and
      cannot read anything. Whatever they contain (an SVG, a stylesheet) asks
      for its own resources through this same fetcher.
    * Every other scheme (``http:``, ``https:``, ``ftp:``, ...) is refused, so
      building a PDF never touches the network: no tracking pixel fires and the
      output does not depend on what a server answers today.

    Each refusal calls ``warn`` once with a message naming the URL, then raises
    :class:`ResourceRefused`, which WeasyPrint turns into a skipped resource.
    """

    def __init__(self, allowed_roots: Sequence[Path], warn: Callable[[str], None]) -> None:
        super().__init__(allow_redirects=False)
        self.allowed_roots = tuple(Path(root).resolve() for root in allowed_roots)
        self.warn = warn
        #: Every URL asked for, in order: tests and debugging read it.
        self.requested: list[str] = []
        #: URLs refused, in order.
        self.refused: list[str] = []
        self._warned: set[str] = set()

    def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> URLFetcherResponse:
        self.requested.append(url)
        scheme = urlsplit(url).scheme.lower()
        if scheme == "data":
            # urllib's DataHandler decodes it; no file or socket is opened.
            return super().fetch(url, headers)
        if scheme == "file":
            path = self._allowed_path(url)
            try:
                body = path.read_bytes()
            except OSError as exc:
                self._tell(f"cannot load {_short(url)}: {exc.strerror or exc}")
                raise
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, body, {"Content-Type": content_type})
        what = f"{scheme}: URLs" if scheme else "relative URLs without a base"
        self._refuse(url, f"{what} are not allowed in a PDF")

    def _allowed_path(self, url: str) -> Path:
        """The resolved local path of a ``file:`` URL, or a refusal."""
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            self._refuse(url, f"file is on another host ({parts.netloc})")
        path = Path(url2pathname(parts.path))
        if not path.is_absolute():
            self._refuse(url, "not an absolute path")
        try:
            resolved = path.resolve()
        except (OSError, ValueError, RuntimeError):  # a NUL byte, a symlink loop
            self._refuse(url, "not a usable file path")
        if not any(resolved.is_relative_to(root) for root in self.allowed_roots):
            if self.allowed_roots:
                where = ", ".join(str(root) for root in self.allowed_roots)
                self._refuse(url, f"outside the folders a PDF may read ({where})")
            self._refuse(url, "no local files may be read")
        return resolved

    def _tell(self, message: str) -> None:
        if message not in self._warned:
            self._warned.add(message)
            self.warn(message)

    def _refuse(self, url: str, reason: str) -> NoReturn:
        self.refused.append(url)
        self._tell(f"refused to load {_short(url)}: {reason}")
        raise ResourceRefused(f"{_short(url)}: {reason}")


def make_url_fetcher(
    allowed_roots: Sequence[Path], warn: Callable[[str], None]
) -> SandboxedURLFetcher:
    """A WeasyPrint ``url_fetcher`` that reads only files under ``allowed_roots``.

    The WeasyPrint we use (70) expects a :class:`~weasyprint.urls.URLFetcher`
    that returns response objects, not the older function returning a dict, so
    this returns a :class:`SandboxedURLFetcher`; it is callable with a URL all
    the same.
    """
    return SandboxedURLFetcher(allowed_roots, warn)


def normalize_variant(pdf_variant: str | None) -> str | None:
    """``"a-2b"``, ``"PDF/A-2b"`` and ``"pdf/a-2b"`` all name WeasyPrint's ``pdf/a-2b``."""
    if not pdf_variant:
        return None
    name = pdf_variant.strip().lower()
    if not name.startswith("pdf/"):
        name = f"pdf/{name}"
    if name not in PDF_VARIANTS:
        raise PdfError(
            f"unsupported PDF variant {pdf_variant!r}: use one of {', '.join(PDF_VARIANTS)}"
        )
    return name


# -- Signature blocks -----------------------------------------------------------------


def _children(box: Any) -> Iterator[Any]:
    all_children = getattr(box, "all_children", None)
    return iter(all_children() if all_children is not None else getattr(box, "children", ()))


def _outer_boxes(page_box: Any, ids: set[str]) -> Iterator[tuple[str, Any]]:
    """Each outermost box, in document order, whose element has one of ``ids``.

    An element's anonymous and pseudo-element boxes share its ``element``; they
    lie inside its own box, so the walk does not descend below a match.
    """
    stack = [page_box]
    while stack:
        box = stack.pop()
        element = getattr(box, "element", None)
        element_id = element.get("id") if element is not None else None
        if element_id in ids:
            yield element_id, box
            continue
        stack.extend(reversed(list(_children(box))))


def signature_rects(
    document: WeasyDocument,
    ids: Sequence[str],
    *,
    warn: Callable[[str], None] | None = None,
) -> dict[str, tuple[int, tuple[float, float, float, float]]]:
    """Where each signature block was laid out: ``{id: (page index, (x1, y1, x2, y2))}``.

    The rectangle is the element's border box in PDF points with the origin at the
    bottom left of the page, the way a PDF ``/Rect`` is written; it is computed
    with the same transformation WeasyPrint uses to draw the page, so it stays
    right with ``@page`` margins and bleed. An element WeasyPrint split into
    several boxes on one page (a block broken into lines, say) gets the union of
    them. A block broken across pages keeps the part on its first page, and an
    id used twice keeps its first element; ``warn`` says so. Ids with no box at all (missing, ``display: none``) are
    left out of the result.
    """
    wanted = set(ids)
    found: dict[str, tuple[int, Any, list[float]]] = {}
    split: dict[str, list[int]] = {}
    repeated: set[str] = set()
    for index, page in enumerate(document.pages):
        for element_id, box in _outer_boxes(page._page_box, wanted):
            x, y = box.border_box_x(), box.border_box_y()
            w, h = box.border_width(), box.border_height()
            x1, x2 = PX_TO_PT * x, PX_TO_PT * (x + w)
            y1, y2 = PX_TO_PT * (page.height - y - h), PX_TO_PT * (page.height - y)
            if element_id not in found:
                found[element_id] = (index, box.element, [x1, y1, x2, y2])
                continue
            first, element, rect = found[element_id]
            if box.element is not element:
                repeated.add(element_id)
            elif first == index:
                rect[:] = [min(rect[0], x1), min(rect[1], y1), max(rect[2], x2), max(rect[3], y2)]
            elif index not in split.setdefault(element_id, [first]):
                split[element_id].append(index)
    if warn is not None:
        for element_id in sorted(repeated):
            warn(f'id="{element_id}" is used by more than one element; the field is on the first')
        for element_id, pages in split.items():
            numbers = ", ".join(str(i + 1) for i in pages)
            warn(
                f"signature block {element_id} is split across pages {numbers}; "
                f"its signature field covers the part on page {pages[0] + 1} "
                "(use break-inside: avoid)"
            )
    return {
        element_id: (index, tuple(round(v, 3) for v in rect))  # type: ignore[misc]
        for element_id, (index, _element, rect) in found.items()
    }


def _add_signature_fields(
    pdf: pydyf.PDF, rects: Mapping[str, tuple[int, tuple[float, float, float, float]]]
) -> None:
    """Write one empty signature field per rectangle into WeasyPrint's PDF.

    Each field is merged with its widget annotation, the way pyHanko writes
    fields it creates: ``/FT /Sig`` with ``/T``, ``/Rect``, the page in ``/P`` and
    an empty normal appearance (PDF/A wants every widget to have one). Done here,
    before WeasyPrint writes its trailer, the fields cost no second pass over the
    file and no incremental update with a fresh random ``/ID``.
    """
    if not rects:
        return
    page_numbers = pdf.pages["Kids"][::3]
    form = pdf.catalog.get("AcroForm")
    if form is None:
        form = pdf.catalog["AcroForm"] = pydyf.Dictionary({"Fields": pydyf.Array()})
    form["SigFlags"] = _SIG_FLAGS
    for name, (index, (x1, y1, x2, y2)) in rects.items():
        page = pdf.objects[page_numbers[index]]
        appearance = pydyf.Stream(
            [],
            pydyf.Dictionary(
                {
                    "Type": "/XObject",
                    "Subtype": "/Form",
                    "BBox": pydyf.Array([0, 0, round(x2 - x1, 3), round(y2 - y1, 3)]),
                }
            ),
        )
        pdf.add_object(appearance)
        field = pydyf.Dictionary(
            {
                "FT": "/Sig",
                "T": pydyf.String(name),
                "Type": "/Annot",
                "Subtype": "/Widget",
                "F": _WIDGET_FLAGS,
                "Rect": pydyf.Array([x1, y1, x2, y2]),
                "P": page.reference,
                "AP": pydyf.Dictionary({"N": appearance.reference}),
                # The field locks itself once signed (FieldMDP, Include): a
                # later revision may not change this field, and may still add
                # the other signatures. Never /All, which would make the
                # second signer's valid signature look like a forbidden change.
                "Lock": pydyf.Dictionary(
                    {
                        "Type": "/SigFieldLock",
                        "Action": "/Include",
                        "Fields": pydyf.Array([pydyf.String(name)]),
                    }
                ),
            }
        )
        pdf.add_object(field)
        if "Annots" not in page:
            page["Annots"] = pydyf.Array()
        page["Annots"].append(field.reference)
        form["Fields"].append(field.reference)


def _apply_metadata(document: WeasyDocument, metadata: Mapping[str, str]) -> None:
    """Override what WeasyPrint read from ``<title>`` and ``<meta>``."""
    unknown = sorted(set(metadata) - set(METADATA_KEYS))
    if unknown:
        raise ValueError(
            f"unknown PDF metadata {', '.join(unknown)}: use {', '.join(METADATA_KEYS)}"
        )
    meta = document.metadata
    if "title" in metadata:
        meta.title = metadata["title"]
    if "author" in metadata:
        meta.authors = [metadata["author"]]
    if "subject" in metadata:
        meta.description = metadata["subject"]
    if "keywords" in metadata:
        meta.keywords = [k.strip() for k in metadata["keywords"].split(",") if k.strip()]
    if "creator" in metadata:
        meta.generator = metadata["creator"]
    # W3C dates ("2026-11-22"); only what the caller passes, never the clock.
    if "created" in metadata:
        meta.created = metadata["created"]
    if "modified" in metadata:
        meta.modified = metadata["modified"]


def render_pdf(
    html: str,
    *,
    base_url: str | None,
    allowed_roots: Sequence[Path] = (),
    warn: Callable[[str], None] = _log_warning,
    signature_ids: Sequence[str] = (),
    pdf_variant: str | None = None,
    metadata: Mapping[str, str] | None = None,
    tagged: bool = False,
    attachments: Sequence[EmbeddedFile] = (),
) -> bytes:
    """Print an HTML page to PDF bytes, with an empty signature field per id.

    ``base_url`` resolves relative URLs (``assets/logo.png``); resources load only
    from ``allowed_roots`` (see :class:`SandboxedURLFetcher`) and every refusal is
    passed to ``warn``. Each id in ``signature_ids`` must be the ``id`` of an
    element on the page: it becomes an empty signature field of that name over
    the element's box. ``pdf_variant`` asks for PDF/A (``"a-2b"``, ``"pdf/a-3b"``,
    ...). ``metadata`` overrides the title, author, subject and keywords the page
    declares in ``<title>`` and ``<meta>``. ``tagged`` writes the structure
    tree (``pdf_tags``) that screen readers follow; ``attachments`` are
    embedded files (associated files of the document under PDF/A-3).

    The page is laid out once; the field rectangles are read from that layout
    and the fields written during the same PDF pass. The same arguments give
    the same bytes.

    :raises PdfError: an id has no element on the page, or the variant is unknown.
    """
    variant = normalize_variant(pdf_variant)
    fetcher = make_url_fetcher(allowed_roots, warn)
    options: dict[str, Any] = {"pdf_variant": variant, "pdf_identifier": True}
    if tagged:
        options["pdf_tags"] = True
    if attachments:
        options["attachments"] = [
            Attachment(
                file_obj=io.BytesIO(a.data),
                name=a.name,
                description=a.description,
                created=a.when,
                modified=a.when,
                relationship=a.relationship,
            )
            for a in attachments
        ]
    page = HTML(string=break_long_words(html), base_url=base_url, url_fetcher=fetcher)
    document = page.render(**options)

    rects = signature_rects(document, signature_ids, warn=warn)
    missing = [i for i in signature_ids if i not in rects]
    if missing:
        raise PdfError(
            "no signature block for "
            + ", ".join(missing)
            + ': the page needs an element with id="<field>" for every signatory'
        )
    for name, (index, (x1, y1, x2, y2)) in rects.items():
        if x2 - x1 <= 0 or y2 - y1 <= 0:
            warn(f"signature block {name} on page {index + 1} has no size; its field is invisible")
    if metadata:
        _apply_metadata(document, metadata)

    def finisher(_document: WeasyDocument, pdf: pydyf.PDF) -> None:
        _add_signature_fields(pdf, rects)
        if "AF" in pdf.catalog:
            # WeasyPrint lists each associated file twice (from the name tree
            # and from the file specifications): once is what PDF/A-3 asks.
            pdf.catalog["AF"] = pydyf.Array(dict.fromkeys(pdf.catalog["AF"]))

    return document.write_pdf(finisher=finisher, **options)


# -- Build writer -----------------------------------------------------------------------


def write(doc: Document, source: Source, ctx: BuildContext) -> bytes:
    """The build's PDF writer: the page of the HTML writer, printed.

    Resources may come from the workspace's ``assets/`` and ``templates/`` and
    from the default theme; an agreement gets a signature field per signatory.
    """
    from ..searchpath import theme_dir
    from .html import render_html

    html = render_html(doc, source, ctx, fmt="pdf")
    variant: str | None = ctx.config.pdf.variant
    tagged = False
    attachments: list[EmbeddedFile] = []
    if doc.kind == "agreement" and ctx.config.pdf.archival:
        variant, tagged = ARCHIVAL_VARIANT, True
        attachments.append(_agreement_file(source.view))
    workspace = ctx.workspace.resolve()
    roots = [workspace / "assets", workspace / "templates", theme_dir()]
    ids = [s["field"] for s in source.view.get("signatures", [])] if doc.kind == "agreement" else []
    where = doc.path("pdf")
    return render_pdf(
        html,
        base_url=workspace.as_uri() + "/",
        allowed_roots=roots,
        warn=lambda message: ctx.warn(f"{where}: {message}"),
        signature_ids=ids,
        pdf_variant=variant,
        tagged=tagged,
        attachments=attachments,
    )


def _agreement_file(view: Mapping[str, Any]) -> EmbeddedFile:
    """``agreement.json`` from the agreement's client view, dated its effective day."""
    from ..record import RECORD_NAME, agreement_record, record_json

    record = agreement_record(view)
    effective = view["case"]["agreement"]["effective"]
    return EmbeddedFile(
        name=RECORD_NAME,
        data=record_json(record),
        description="What was agreed, as data: parties, commitments, milestones, dates",
        when=datetime(effective.year, effective.month, effective.day),
    )
