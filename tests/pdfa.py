"""What a PDF/A-3b file must hold, checked with pikepdf (qpdf), not with mend's own reader.

Not a full validator (veraPDF is Java, not on these machines): the checks a
signing tool is known to break, each a reason a validator rejects the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pikepdf
from pikepdf.models.metadata import DOCINFO_MAPPING, DateConverter

PDFAID = "{http://www.aiim.org/pdfa/ns/id/}"


def _fonts(resources: Any, seen: set[tuple[int, int]]) -> Iterator[tuple[str, Any]]:
    """Every font reachable from a resource dictionary, through form XObjects."""
    if resources is None:
        return
    fonts = resources.get("/Font")
    if fonts is not None:
        yield from fonts.items()
    xobjects = resources.get("/XObject")
    if xobjects is not None:
        for xobj in xobjects.values():
            key = xobj.objgen
            if key in seen or xobj.get("/Subtype") != "/Form":
                continue
            seen.add(key)
            yield from _fonts(xobj.get("/Resources"), seen)


def _appearance_streams(pdf: pikepdf.Pdf) -> Iterator[Any]:
    for page in pdf.pages:
        for annot in page.obj.get("/Annots") or []:
            normal = (annot.get("/AP") or {}).get("/N")
            if isinstance(normal, pikepdf.Stream):
                yield normal
            elif isinstance(normal, pikepdf.Dictionary):
                yield from normal.values()


def _embedded(font: Any) -> bool:
    if font.get("/Subtype") == "/Type3":
        return True
    if font.get("/Subtype") == "/Type0":
        font = font["/DescendantFonts"][0]
    descriptor = font.get("/FontDescriptor")
    return descriptor is not None and any(
        k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")
    )


def _same(info_value: Any, xmp_value: Any, converter: Any) -> bool:
    if converter is DateConverter:
        try:
            return _pdf_date(str(info_value)) == datetime.fromisoformat(str(xmp_value))
        except ValueError:
            return False
    if converter is not None:
        return converter.xmp_from_docinfo(str(info_value)) == xmp_value
    return str(info_value) == str(xmp_value)


def _pdf_date(text: str) -> datetime:
    from pikepdf.models.metadata import decode_pdf_date

    return decode_pdf_date(text)


def pdfa_problems(path: Path, *, part: str = "3", conformance: str = "B") -> list[str]:
    """Why ``path`` is not the PDF/A it claims; empty when it holds."""
    problems: list[str] = []
    with pikepdf.open(path) as pdf:
        meta = pdf.open_metadata()
        if meta.get(f"{PDFAID}part") != part or meta.get(f"{PDFAID}conformance") != conformance:
            problems.append(
                f"XMP claims PDF/A part {meta.get(f'{PDFAID}part')!r} "
                f"conformance {meta.get(f'{PDFAID}conformance')!r}"
            )
        intents = pdf.Root.get("/OutputIntents") or []
        if len([i for i in intents if i.get("/S") == "/GTS_PDFA1"]) != 1:
            problems.append(f"{len(intents)} output intents, PDF/A needs exactly one")
        seen: set[tuple[int, int]] = set()
        for page in pdf.pages:
            for name, font in _fonts(page.obj.get("/Resources"), seen):
                if not _embedded(font):
                    problems.append(f"font {name} ({font.get('/BaseFont')}) is not embedded")
        for stream in _appearance_streams(pdf):
            for name, font in _fonts(stream.get("/Resources"), seen):
                if not _embedded(font):
                    problems.append(
                        f"signature appearance font {name} ({font.get('/BaseFont')}) is not embedded"
                    )
        info = pdf.trailer.get("/Info")
        if info is not None:
            for mapping in DOCINFO_MAPPING:
                if mapping.name not in info:
                    continue
                xmp_value = meta.get(f"{{{mapping.ns}}}{mapping.key}")
                if xmp_value is None or not _same(info[mapping.name], xmp_value, mapping.converter):
                    problems.append(
                        f"Info {mapping.name} {str(info[mapping.name])!r} "
                        f"disagrees with XMP {mapping.key} {xmp_value!r}"
                    )
        if part == "3":
            for spec in pdf.Root.get("/AF") or []:
                if "/AFRelationship" not in spec:
                    problems.append(f"associated file {spec.get('/F')} has no AFRelationship")
    return problems


def embedded_record(path: Path) -> bytes:
    """The bytes of ``agreement.json`` in the PDF, read by pikepdf."""
    with pikepdf.open(path) as pdf:
        return bytes(pdf.attachments["agreement.json"].get_file().read_bytes())
