"""Signing and verifying agreement PDFs: keys, a two-party round trip, tampering, ink.

Real keys, real pyHanko signatures on PDFs rendered by the PDF writer; poppler
renders the signed page to prove the signature is visible where it belongs.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import stat
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pypdf
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12
from PIL import Image

from generator.errors import MendError, SignatureError
from generator.signing import (
    FieldReport,
    VerifyReport,
    certificate_path,
    format_report,
    keygen,
    sign_pdf,
    verify_pdf,
)
from generator.writers.pdf import render_pdf

FIXTURES = Path(__file__).parent / "fixtures" / "pdf"
AGREEMENT = (FIXTURES / "agreement.html").read_text(encoding="utf-8")
IDS = ("sig-dana-okafor", "sig-sam-rivera")

needs_poppler = pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs pdftoppm")


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("keys")
    keygen(
        "Dana Okafor", folder / "dana.p12", passphrase=b"dana's secret", email="dana@acme.example"
    )
    keygen("Sam Rivera", folder / "sam.p12")
    return {"dana": folder / "dana.p12", "sam": folder / "sam.p12"}


@pytest.fixture(scope="module")
def rendered() -> bytes:
    return render_pdf(AGREEMENT, base_url=None, signature_ids=IDS)


@pytest.fixture
def agreement(tmp_path: Path, rendered: bytes) -> Path:
    path = tmp_path / "agreement.pdf"
    path.write_bytes(rendered)
    return path


@pytest.fixture
def signed_twice(agreement: Path, keys: dict[str, Path]) -> tuple[Path, Path]:
    """(after Dana signed, after Sam signed too), each its own file."""
    first = agreement.with_name("signed-1.pdf")
    second = agreement.with_name("signed-2.pdf")
    sign_pdf(agreement, keys["dana"], passphrase=b"dana's secret", field=None, out=first)
    sign_pdf(first, keys["sam"], passphrase=None, field=None, out=second)
    return first, second


def byte_ranges(data: bytes) -> list[list[int]]:
    return [[int(n) for n in m.split()] for m in re.findall(rb"/ByteRange\s*\[([\d\s]+)\]", data)]


# -- Keys ------------------------------------------------------------------------------


def test_keygen_writes_a_protected_pkcs12_and_a_certificate(keys: dict[str, Path]) -> None:
    data = keys["dana"].read_bytes()
    key, cert, _ = pkcs12.load_key_and_certificates(data, b"dana's secret")
    assert key is not None and cert is not None
    with pytest.raises(ValueError):
        pkcs12.load_key_and_certificates(data, b"wrong")
    assert stat.S_IMODE(os.stat(keys["dana"]).st_mode) == 0o600

    public = x509.load_pem_x509_certificate(certificate_path(keys["dana"]).read_bytes())
    assert public == cert
    assert public.subject.rfc4514_string() == "CN=Dana Okafor"
    assert public.issuer == public.subject  # self-signed
    san = public.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.RFC822Name) == ["dana@acme.example"]
    usage = public.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment
    assert not public.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert public.not_valid_after_utc - datetime.now(UTC) > timedelta(days=3000)


def test_keygen_without_passphrase(keys: dict[str, Path]) -> None:
    key, cert, _ = pkcs12.load_key_and_certificates(keys["sam"].read_bytes(), None)
    assert cert.subject.rfc4514_string() == "CN=Sam Rivera"


def test_keygen_never_replaces_a_key(tmp_path: Path, keys: dict[str, Path]) -> None:
    target = tmp_path / "dana.p12"
    target.write_bytes(b"precious")
    with pytest.raises(SignatureError, match="already exists"):
        keygen("Someone Else", target)
    assert target.read_bytes() == b"precious"
    assert not certificate_path(target).exists()


# -- Signing ---------------------------------------------------------------------------


def test_two_party_round_trip(signed_twice: tuple[Path, Path], keys: dict[str, Path]) -> None:
    first, second = signed_twice
    before = datetime.now(UTC)

    report = verify_pdf(second)
    assert isinstance(report, VerifyReport)
    assert report.ok
    assert [f.name for f in report.fields] == list(IDS)
    dana, sam = report.fields
    assert isinstance(dana, FieldReport)
    for f in (dana, sam):
        assert f.signed and f.intact and f.valid and f.changes_allowed
        assert f.page == 2
        assert f.problem is None
        assert f.signed_at is not None and abs(f.signed_at - before) < timedelta(minutes=5)
        assert f.trusted is False and "self-signed" in (f.trust_note or "")
    assert (dana.signer, sam.signer) == ("Dana Okafor", "Sam Rivera")
    # Dana signed revision 2 of 3; only Sam's signature came after.
    assert dana.covers_document is False
    assert (dana.revision, dana.revisions) == (2, 3)
    assert dana.later_changes == "signatures only"
    # Sam's signature covers every byte.
    assert sam.covers_document is True
    assert sam.later_changes == "none"

    text = format_report(report)
    assert "2 signature fields, 2 signed" in text
    assert "sig-dana-okafor: signed by Dana Okafor on " in text
    assert "covers: revision 2 of 3, followed by signatures only (allowed)" in text
    assert "covers: the whole document" in text
    assert text.splitlines()[-1].startswith("OK: every signature holds")


def test_signing_is_an_incremental_update(agreement: Path, signed_twice: tuple[Path, Path]) -> None:
    first, second = signed_twice
    original, one, two = agreement.read_bytes(), first.read_bytes(), second.read_bytes()
    assert one.startswith(original)
    assert two.startswith(one)
    # Sam's signature covers the whole file but its own /Contents hole.
    (dana_range,), sam_range = byte_ranges(one), byte_ranges(two)[-1]
    assert dana_range[2] + dana_range[3] == len(one)
    assert sam_range[2] + sam_range[3] == len(two)


def test_trust_is_a_separate_column(signed_twice: tuple[Path, Path], keys: dict[str, Path]) -> None:
    _, second = signed_twice
    report = verify_pdf(second, trust=[certificate_path(keys["dana"])])
    dana, sam = report.fields
    assert dana.trusted is True and dana.trust_note == "trusted via Dana Okafor"
    assert sam.trusted is False
    assert report.ok  # trust does not decide integrity
    assert report.trusted_certificates == ["Dana Okafor"]
    assert "trust: trusted via Dana Okafor" in format_report(report)


def test_half_signed_document(signed_twice: tuple[Path, Path]) -> None:
    first, _ = signed_twice
    report = verify_pdf(first)
    assert report.ok
    dana, sam = report.fields
    assert dana.signed and dana.covers_document
    assert not sam.signed and sam.page == 2
    assert "sig-sam-rivera: not signed yet (page 2)" in format_report(report)


def test_unsigned_document_lists_empty_fields(agreement: Path) -> None:
    report = verify_pdf(agreement)
    assert [(f.name, f.signed, f.page) for f in report.fields] == [(n, False, 2) for n in IDS]
    assert report.ok and report.signatures == []
    assert format_report(report).splitlines()[-1] == "No signatures yet."


def test_sign_in_place_picks_fields_in_order(agreement: Path, keys: dict[str, Path]) -> None:
    mode = agreement.stat().st_mode
    first = sign_pdf(agreement, keys["sam"], passphrase=None, field=None, out=agreement)
    second = sign_pdf(agreement, keys["sam"], passphrase=None, field=None, out=agreement)
    assert (first, second) == IDS
    assert verify_pdf(agreement).ok
    # Written atomically: no temporary file left beside it.
    assert sorted(p.name for p in agreement.parent.iterdir()) == ["agreement.pdf"]
    assert stat.S_IMODE(agreement.stat().st_mode) == stat.S_IMODE(mode)
    with pytest.raises(SignatureError, match="every signature field .* is signed already"):
        sign_pdf(agreement, keys["sam"], passphrase=None, field=None, out=agreement)


def test_sign_a_named_field(agreement: Path, keys: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out.pdf"
    assert sign_pdf(agreement, keys["sam"], passphrase=None, field="sig-sam-rivera", out=out)
    dana, sam = verify_pdf(out).fields
    assert not dana.signed and sam.signed
    with pytest.raises(SignatureError, match="'sig-sam-rivera' .* is signed already"):
        sign_pdf(out, keys["sam"], passphrase=None, field="sig-sam-rivera", out=out)


def test_sign_errors_are_clear(agreement: Path, keys: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out.pdf"
    with pytest.raises(SignatureError, match=r"no signature field 'sig-nobody' \(fields: sig-dana"):
        sign_pdf(agreement, keys["sam"], passphrase=None, field="sig-nobody", out=out)
    with pytest.raises(SignatureError, match="wrong passphrase"):
        sign_pdf(agreement, keys["dana"], passphrase=b"guess", field=None, out=out)
    with pytest.raises(SignatureError, match="may need a passphrase"):
        sign_pdf(agreement, keys["dana"], passphrase=None, field=None, out=out)
    plain = tmp_path / "plain.pdf"
    plain.write_bytes(render_pdf("<p>No fields here.</p>", base_url=None))
    with pytest.raises(SignatureError, match="has no signature fields"):
        sign_pdf(plain, keys["sam"], passphrase=None, field=None, out=out)
    not_pdf = tmp_path / "notes.pdf"
    not_pdf.write_text("just text")
    with pytest.raises(SignatureError, match="cannot read .* as a PDF"):
        sign_pdf(not_pdf, keys["sam"], passphrase=None, field=None, out=out)
    with pytest.raises(SignatureError, match="cannot read"):
        sign_pdf(tmp_path / "missing.pdf", keys["sam"], passphrase=None, field=None, out=out)
    assert not out.exists()
    assert issubclass(SignatureError, MendError)


# -- Tampering -------------------------------------------------------------------------


def flip(data: bytes, position: int) -> bytes:
    changed = bytearray(data)
    changed[position] ^= 0x01
    return bytes(changed)


def test_one_changed_byte_fails_verification(
    signed_twice: tuple[Path, Path], tmp_path: Path
) -> None:
    _, second = signed_twice
    tampered = tmp_path / "tampered.pdf"
    # Byte 10 is in the binary comment after %PDF-1.7: inside every signed range,
    # and harmless to the parser, so the check itself has to catch it.
    tampered.write_bytes(flip(second.read_bytes(), 10))
    report = verify_pdf(tampered)
    assert not report.ok
    for f in report.fields:
        assert f.intact is False
        assert f.problem == "the signed content was changed after signing"
    text = format_report(report)
    assert "PROBLEM: the signed content was changed after signing" in text
    assert text.splitlines()[-1] == "FAILED: sig-dana-okafor, sig-sam-rivera do not hold."


def test_any_changed_byte_fails_cleanly(signed_twice: tuple[Path, Path], tmp_path: Path) -> None:
    """Wherever the change lands in the signed bytes, the answer is a failure, not a crash."""
    _, second = signed_twice
    data = second.read_bytes()
    start, first_len, second_start, second_len = byte_ranges(data)[-1]
    positions = [first_len * i // 12 for i in range(1, 12)]
    positions += [second_start + second_len * i // 4 for i in range(1, 4)]
    tampered = tmp_path / "tampered.pdf"
    for position in positions:
        tampered.write_bytes(flip(data, position))
        try:
            report = verify_pdf(tampered)
        except SignatureError as exc:
            assert "damaged or was changed" in str(exc)
            continue
        assert not report.ok, position
        assert any(f.problem for f in report.fields), position


def test_added_page_content_after_signing_is_not_allowed(
    signed_twice: tuple[Path, Path], tmp_path: Path
) -> None:
    """An incremental update that rewrites a page passes the byte check but not the policy."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    first, _ = signed_twice
    with first.open("rb") as handle:
        writer = IncrementalPdfFileWriter(handle)
        page_ref = writer.find_page_for_modification(0)[0]
        stream = generic.StreamObject(stream_data=b"BT /F1 24 Tf 100 700 Td (Void) Tj ET")
        page = page_ref.get_object()
        page["/Contents"] = writer.add_object(stream)
        writer.update_container(page)
        out = io.BytesIO()
        writer.write(out)
    changed = tmp_path / "changed.pdf"
    changed.write_bytes(out.getvalue())
    report = verify_pdf(changed)
    (dana, _) = report.fields
    assert dana.intact and not dana.changes_allowed
    assert not report.ok
    assert "changed after signing in a way a signed document does not allow" in (dana.problem or "")


def test_verify_errors_are_clear(tmp_path: Path, agreement: Path) -> None:
    with pytest.raises(SignatureError, match="cannot read"):
        verify_pdf(tmp_path / "missing.pdf")
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"%PDF-1.7\nnothing else")
    with pytest.raises(SignatureError, match="damaged or was changed"):
        verify_pdf(junk)
    bad_trust = tmp_path / "bad.crt"
    bad_trust.write_text("not a certificate")
    with pytest.raises(SignatureError, match="bad.crt"):
        verify_pdf(agreement, trust=[bad_trust])


# -- What the reader sees ------------------------------------------------------------------


def field_rects(path: Path) -> dict[str, tuple[float, float, float, float]]:
    reader = pypdf.PdfReader(path)
    rects = {}
    for ref in reader.trailer["/Root"]["/AcroForm"]["/Fields"]:
        obj = ref.get_object()
        rects[obj["/T"]] = tuple(float(v) for v in obj["/Rect"])
    return rects


def ink_in(image: Image.Image, rect: tuple[float, float, float, float], dpi: int) -> int:
    """Dark pixels in the top half of a field, inside its 3px border: where the stamp goes."""
    scale = dpi / 72
    x1, y1, x2, y2 = (v * scale for v in rect)
    top = image.height - y2
    box = (int(x1) + 4, int(top) + 4, int(x2) - 4, int(top + (y2 - y1) / 2))
    region = image.crop(box)
    return sum(1 for value in region.tobytes() if value < 160)


@needs_poppler
def test_signature_is_visible_in_its_block(
    agreement: Path, signed_twice: tuple[Path, Path], tmp_path: Path
) -> None:
    dpi = 50
    _, second = signed_twice

    def page_two(pdf: Path) -> Image.Image:
        prefix = tmp_path / pdf.stem
        subprocess.run(
            ["pdftoppm", "-r", str(dpi), "-png", "-f", "2", "-l", "2", "-singlefile"]
            + [str(pdf), str(prefix)],
            check=True,
        )
        return Image.open(f"{prefix}.png").convert("L")

    rects = field_rects(second)
    before, after = page_two(agreement), page_two(second)
    for name in IDS:
        assert ink_in(before, rects[name], dpi) == 0, f"{name} has ink before signing"
        assert ink_in(after, rects[name], dpi) > 20, f"{name} shows no signature"


def test_appearance_fills_the_field(signed_twice: tuple[Path, Path]) -> None:
    """Each signed field got a new appearance the size of its rectangle."""
    _, second = signed_twice
    reader = pypdf.PdfReader(second)
    for ref in reader.trailer["/Root"]["/AcroForm"]["/Fields"]:
        field = ref.get_object()
        assert field["/V"]["/Type"] == "/Sig"
        x1, y1, x2, y2 = (float(v) for v in field["/Rect"])
        bx1, by1, bx2, by2 = (float(v) for v in field["/AP"]["/N"].get_object()["/BBox"])
        # pyHanko sizes appearances in whole points.
        assert abs(bx2 - bx1) == pytest.approx(x2 - x1, abs=1)
        assert abs(by2 - by1) == pytest.approx(y2 - y1, abs=1)


@needs_poppler
def test_appearance_text_is_readable(signed_twice: tuple[Path, Path]) -> None:
    """Poppler prints the stamp: the signer's name and the signing time, in UTC."""
    _, second = signed_twice
    text = subprocess.run(
        ["pdftotext", "-f", "2", "-l", "2", str(second), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    report = verify_pdf(second)
    for f in report.fields:
        assert f"Signed by {f.signer}" in text
        assert f"{f.signed_at:%Y-%m-%d %H:%M:%S} UTC" in text


def test_signing_a_pdfa_keeps_its_identification(tmp_path: Path, keys: dict[str, Path]) -> None:
    pdf = tmp_path / "a.pdf"
    pdf.write_bytes(render_pdf(AGREEMENT, base_url=None, signature_ids=IDS, pdf_variant="a-2b"))
    sign_pdf(pdf, keys["sam"], passphrase=None, field=None, out=pdf)
    reader = pypdf.PdfReader(pdf)
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8")
    assert 'pdfaid:part="2"' in xmp and 'pdfaid:conformance="B"' in xmp
    assert verify_pdf(pdf).ok
