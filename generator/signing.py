"""Signing agreement PDFs and checking their signatures, with pyHanko.

An agreement PDF comes out of the build with one empty signature field per
signatory (see :mod:`generator.writers.pdf`). Each party fills theirs with
:func:`sign_pdf`, as an *incremental update*: the bytes an earlier party signed
stay exactly as they were, so every earlier signature stays valid. A party
without a certificate from a CA makes one with :func:`keygen`: a self-signed
certificate proves the file is unchanged since that key signed it, not who
holds the key, which is why :func:`verify_pdf` reports integrity and trust
separately and trusts only the certificates it is given.
"""

from __future__ import annotations

import contextlib
import html
import io
import logging
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from .errors import SignatureError, WriteError, display_path
from .output import atomic_write

#: How pyHanko formats the signing time for the appearance; parsed back right away.
_TS_FORMAT = "%Y-%m-%dT%H:%M:%S%z"

#: Object identifier of the "document signing" extended key usage (RFC 9336).
_DOCUMENT_SIGNING_OID = "1.3.6.1.5.5.7.3.36"

#: The signature appearance: the top of the block, where a hand signature would go,
#: in ink blue; transparent elsewhere, so the block's printed name stays readable.
_APPEARANCE_HTML = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><style>
@page {{ size: {width}pt {height}pt; margin: 0; }}
html, body {{ margin: 0; }}
body {{
  height: {height}pt; overflow: hidden; box-sizing: border-box;
  padding: {pad}pt {pad}pt 0; color: #1f3a93; font-family: sans-serif;
  font-size: {size}pt; line-height: 1.25; overflow-wrap: anywhere;
}}
.name {{ font-weight: bold; font-size: 1.15em; }}
</style></head><body>
<div class="name">Signed by {name}</div>
<div>{time}</div>
</body></html>
"""


def _write_atomically(path: Path, data: bytes, mode: int | None = None) -> None:
    """Replace ``path`` with ``data`` durably: a signature or a key is not
    something a build can make again. ``mode`` defaults to the mode of the
    file replaced (a key is written 0600)."""
    try:
        atomic_write(path, data, durable=True, mode=mode)
    except OSError as exc:  # a full disk, a read-only folder, a file where a folder should be
        raise WriteError.from_os_error(exc, path, str(path)) from None


# -- Keys -----------------------------------------------------------------------------


def certificate_path(key: Path) -> Path:
    """Where :func:`keygen` puts the public certificate of a key: ``dana.p12`` -> ``dana.crt``."""
    return key.with_suffix(".crt")


def keygen(
    name: str,
    out: Path,
    *,
    passphrase: bytes | None = None,
    email: str | None = None,
    cert_out: Path | None = None,
    days: int = 3650,
    overwrite: bool = False,
) -> None:
    """Make a self-signed signing certificate and its key, saved as PKCS#12.

    The PKCS#12 file at ``out`` holds the private key and certificate, encrypted
    with ``passphrase`` when one is given (AES-256), and is readable only by its
    owner. The certificate alone goes to ``cert_out`` (default:
    :func:`certificate_path`) in PEM, to hand to the other party, who passes it
    to ``mend verify --trust``. The key is RSA 3072, which every PDF reader
    verifies; the certificate carries the key usages PDF validators look for
    (digital signature, non-repudiation, document signing).

    An existing file is never replaced unless ``overwrite`` is true: a key
    overwritten by mistake cannot be recovered.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

    if not name.strip():
        raise SignatureError("a certificate needs the signer's name")
    cert_out = cert_out if cert_out is not None else certificate_path(out)
    if cert_out.resolve() == out.resolve():
        raise SignatureError(f"the key and the certificate cannot both go to {out}")
    if not overwrite:
        for path in (out, cert_out):
            if path.exists():
                raise SignatureError(f"{path} already exists; not replacing a key or certificate")

    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name.strip())])
    now = datetime.now(UTC).replace(microsecond=0)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        # An hour of slack for clocks that run a little behind ours.
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage(
                [ObjectIdentifier(_DOCUMENT_SIGNING_OID), ExtendedKeyUsageOID.EMAIL_PROTECTION]
            ),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if email:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.RFC822Name(email)]), critical=False
        )
    cert = builder.sign(key, hashes.SHA256())
    encryption = (
        serialization.BestAvailableEncryption(passphrase)
        if passphrase
        else serialization.NoEncryption()
    )
    bundle = pkcs12.serialize_key_and_certificates(
        name.strip().encode("utf-8"), key, cert, None, encryption
    )
    _write_atomically(out, bundle, 0o600)  # only the owner may read the key
    _write_atomically(cert_out, cert.public_bytes(serialization.Encoding.PEM), 0o644)


def _load_signer(key: Path, passphrase: bytes | None) -> Any:
    from pyhanko.sign import signers

    try:
        data = key.read_bytes()
    except OSError as exc:
        raise SignatureError(f"cannot read the key {key}: {exc.strerror or exc}") from None
    try:
        return signers.SimpleSigner.load_pkcs12_data(data, other_certs=(), passphrase=passphrase)
    except (ValueError, TypeError):
        hint = "wrong passphrase" if passphrase else "it may need a passphrase"
        raise SignatureError(f"cannot open the key {key}: not a PKCS#12 file, or {hint}") from None


def _common_name(cert: Any) -> str:
    """The signer's name as a person reads it, from an asn1crypto certificate."""
    native = cert.subject.native
    return (
        native.get("common_name") or native.get("organization_name") or cert.subject.human_friendly
    )


# -- Reading -----------------------------------------------------------------------------


def _read_pdf(data: bytes, pdf: Path) -> Any:
    """pyHanko's reader over the bytes, or a clear error for a file it cannot parse."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        reader.root  # noqa: B018 - parses the catalog: fail here, not halfway through
    except Exception as exc:
        raise SignatureError(
            f"cannot read {pdf} as a PDF ({exc}); the file is damaged or was changed"
        ) from None
    return reader


def _page_indexes(reader: Any) -> dict[int, int]:
    """Object number of each page -> its index, in reading order."""
    indexes: dict[int, int] = {}
    stack = [reader.root.raw_get("/Pages")]
    while stack:
        ref = stack.pop()
        node = ref.get_object()
        if node.get("/Type") == "/Pages" or "/Kids" in node:
            stack.extend(reversed(list(node.raw_get("/Kids"))))
        elif hasattr(ref, "idnum"):
            indexes[ref.idnum] = len(indexes)
    return indexes


def _widget(field_obj: Any) -> Any:
    """The widget annotation of a signature field: the field itself, or its first kid."""
    if "/Rect" in field_obj or "/Kids" not in field_obj:
        return field_obj
    return field_obj["/Kids"][0].get_object()


def _field_page(field_obj: Any, pages: dict[int, int]) -> int | None:
    try:
        page_ref = _widget(field_obj).raw_get("/P")
    except (KeyError, IndexError):
        return None
    return pages.get(getattr(page_ref, "idnum", -1))


# -- Signing -----------------------------------------------------------------------------


def _render_appearance(name: str, when: datetime, width: float, height: float) -> bytes:
    """The visible signature, drawn by WeasyPrint so that any script prints.

    pyHanko's own text stamp uses Courier without an embedded font, which
    garbles names outside Latin-1 and is not allowed in PDF/A; WeasyPrint
    embeds what it uses. Nothing is fetched: the fetcher allows no file.
    """
    from weasyprint import HTML

    from .writers.pdf import make_url_fetcher

    size = max(5.0, min(10.0, height * 0.14))
    page = _APPEARANCE_HTML.format(
        width=f"{width:.3f}",
        height=f"{height:.3f}",
        pad=f"{min(8.0, height * 0.08):.2f}",
        size=f"{size:.2f}",
        name=html.escape(name),
        time=when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
    )
    return HTML(string=page, url_fetcher=make_url_fetcher((), lambda _m: None)).write_pdf()


def _stamp_style(workdir: Path) -> Any:
    """A pyHanko stamp style whose appearance is a page WeasyPrint renders to the box."""
    from pyhanko.pdf_utils import content, layout
    from pyhanko.stamp import StaticStampStyle, TextStampStyle

    @dataclass(frozen=True)
    class RenderedStampStyle(TextStampStyle):
        # TextStampStyle only for the hook: pyHanko hands a text style the signer's
        # name and the signing time it also writes into the signature.
        workdir: str = ""

        def create_stamp(self, writer, box, text_params):  # pyHanko API, untyped
            when = datetime.strptime(text_params["ts"], _TS_FORMAT)
            path = Path(self.workdir) / "appearance.pdf"
            path.write_bytes(
                _render_appearance(text_params.get("signer", ""), when, box.width, box.height)
            )
            static = StaticStampStyle(
                background=content.ImportedPdfPage(str(path)),
                background_opacity=1.0,
                border_width=0,
                background_layout=layout.SimpleBoxLayoutRule(
                    x_align=layout.AxisAlignment.ALIGN_MIN,
                    y_align=layout.AxisAlignment.ALIGN_MAX,
                    margins=layout.Margins(),
                ),
            )
            return static.create_stamp(writer, box, text_params)

    return RenderedStampStyle(timestamp_format=_TS_FORMAT, border_width=0, workdir=str(workdir))


def sign_pdf(
    pdf: Path,
    key: Path,
    *,
    passphrase: bytes | None,
    field: str | None,
    out: Path,
    reason: str | None = None,
) -> str:
    """Sign one empty signature field of ``pdf`` with the PKCS#12 ``key``; return its name.

    With ``field`` None the first empty field, in the order of the form, is
    signed. The signature goes in as an incremental update, so signatures made
    before stay valid, and shows the signer's name (from the certificate) and
    the signing time in the field's box. ``out`` may be ``pdf`` itself: the new
    file replaces the old atomically, so a failure never leaves half a file.

    :raises SignatureError: unreadable PDF or key, no such field, field already
        signed, or no empty field left.
    """
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.sign.general import SigningError

    try:
        data = pdf.read_bytes()
    except OSError as exc:
        raise SignatureError(f"cannot read {pdf}: {exc.strerror or exc}") from None
    signer = _load_signer(key, passphrase)
    reader = _read_pdf(data, pdf)
    all_fields = [
        (name, value is not None) for name, value, _ref in fields.enumerate_sig_fields(reader)
    ]
    empty = [name for name, filled in all_fields if not filled]
    if field is None:
        if not all_fields:
            raise SignatureError(f"{pdf} has no signature fields")
        if not empty:
            raise SignatureError(f"every signature field of {pdf} is signed already")
        field = empty[0]
    elif field not in dict(all_fields):
        known = ", ".join(name for name, _ in all_fields) or "none"
        raise SignatureError(f"{pdf} has no signature field {field!r} (fields: {known})")
    elif field not in empty:
        raise SignatureError(f"signature field {field!r} of {pdf} is signed already")

    name = _common_name(signer.signing_cert)
    meta = signers.PdfSignatureMetadata(
        field_name=field, name=name, reason=reason, md_algorithm="sha256"
    )
    output = io.BytesIO()
    with tempfile.TemporaryDirectory(prefix="mend-sign-") as workdir:
        pdf_signer = signers.PdfSigner(meta, signer, stamp_style=_stamp_style(Path(workdir)))
        try:
            writer = IncrementalPdfFileWriter.from_reader(reader)
            pdf_signer.sign_pdf(writer, existing_fields_only=True, output=output)
        except SigningError as exc:
            raise SignatureError(f"cannot sign {pdf}: {exc}") from None
    _write_atomically(out, output.getvalue())
    return field


# -- Verifying --------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldReport:
    """One signature field of a PDF, and how its signature checks out if it has one."""

    name: str
    #: 1-based page number of the field's widget, when it has one.
    page: int | None
    signed: bool
    signer: str | None = None
    #: The time the signer's software claims (from the signature, not a time-stamp authority).
    signed_at: datetime | None = None
    #: The digest of the signed bytes matches: nothing in them changed.
    intact: bool | None = None
    #: The signature itself verifies against the certificate's public key.
    valid: bool | None = None
    #: The signature covers every byte of the file.
    covers_document: bool | None = None
    #: Which revision it signed and how many the file has (1-based).
    revision: int | None = None
    revisions: int | None = None
    #: What the revisions after it changed: "none", "signatures only", "signature
    #: maintenance", "form filling", "annotations" or "other changes".
    later_changes: str | None = None
    #: The later changes are ones a signed document allows (signing, form filling).
    changes_allowed: bool | None = None
    #: The certificate chains to one of the ``trust`` certificates.
    trusted: bool | None = None
    #: Why it is or is not trusted, for people: "self-signed", "trusted via Dana Okafor".
    trust_note: str | None = None
    #: What went wrong, in words, when the signature does not hold.
    problem: str | None = None

    @property
    def ok(self) -> bool:
        """An empty field is fine; a signature must be intact, valid and followed only by allowed changes."""
        if not self.signed:
            return True
        return bool(self.intact and self.valid and self.changes_allowed) and self.problem is None


@dataclass(frozen=True)
class VerifyReport:
    """Every signature field of a PDF, signed or not, in the order of its form."""

    path: Path
    fields: list[FieldReport] = field(default_factory=list)
    #: Names of the certificates that were trusted, for the report.
    trusted_certificates: list[str] = field(default_factory=list)

    @property
    def signatures(self) -> list[FieldReport]:
        return [f for f in self.fields if f.signed]

    @property
    def ok(self) -> bool:
        """True when every signature present holds; trust is reported, not required."""
        return all(f.ok for f in self.signatures)


def _load_trust(trust: Sequence[Path]) -> list[Any]:
    from pyhanko.keys import load_certs_from_pemder_data

    certs: list[Any] = []
    for path in trust:
        try:
            loaded = list(load_certs_from_pemder_data(path.read_bytes()))
        except OSError as exc:
            raise SignatureError(
                f"cannot read the certificate {path}: {exc.strerror or exc}"
            ) from None
        except Exception:
            raise SignatureError(f"{path} is not a certificate (PEM or DER)") from None
        if not loaded:
            raise SignatureError(f"{path} holds no certificate")
        certs.extend(loaded)
    return certs


@contextlib.contextmanager
def _quiet_pyhanko() -> Iterator[None]:
    """Silence pyHanko's own warnings while verifying: the report says it all.

    An untrusted self-signed certificate is the normal case here, and pyHanko
    logs each one with a traceback.
    """
    loggers = [logging.getLogger(name) for name in ("pyhanko", "pyhanko_certvalidator")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


def _later_changes(status: Any, signed_fields: set[str]) -> str:
    from pyhanko.sign.diff_analysis import DiffResult, ModificationLevel
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    if status.coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return "none"
    diff = status.diff_result
    if not isinstance(diff, DiffResult):
        return "other changes"
    level = diff.modification_level
    if level == ModificationLevel.NONE:
        return "none"
    if level == ModificationLevel.LTA_UPDATES:
        return "signature maintenance"
    if level == ModificationLevel.FORM_FILLING:
        return "signatures only" if diff.changed_form_fields <= signed_fields else "form filling"
    if level == ModificationLevel.ANNOTATIONS:
        return "annotations"
    return "other changes"


def _trust_note(status: Any) -> str:
    cert = status.signing_cert
    if status.trusted:
        anchor = status.validation_path.trust_anchor if status.validation_path else None
        root = getattr(anchor, "certificate", None) if anchor is not None else None
        return f"trusted via {_common_name(root)}" if root is not None else "trusted"
    if cert.self_signed != "no":
        return "self-signed, not in --trust"
    indication = status.trust_problem_indic
    return f"untrusted ({indication.name.lower().replace('_', ' ')})" if indication else "untrusted"


def _check_signature(embedded: Any, context: Any, signed_fields: set[str], revisions: int) -> dict:
    """The report entries of one signature; never raises."""
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    revision = embedded.signed_revision + 1
    try:
        status = validate_pdf_signature(embedded, context)
    except Exception as exc:  # a damaged signature must not become a traceback
        return {
            "revision": revision,
            "revisions": revisions,
            "intact": False,
            "valid": False,
            "problem": f"the signature cannot be checked ({exc.__class__.__name__}: {exc})",
        }
    coverage = status.coverage
    later = _later_changes(status, signed_fields)
    allowed = bool(status.docmdp_ok) and later != "other changes"
    if coverage is not None and coverage < SignatureCoverageLevel.ENTIRE_REVISION:
        allowed = False
    problem = None
    if not status.intact:
        problem = "the signed content was changed after signing"
    elif not status.valid:
        problem = "the signature does not match the signer's certificate"
    elif not allowed:
        problem = (
            "the document was changed after signing in a way a signed document does not allow"
            if coverage is not None and coverage >= SignatureCoverageLevel.ENTIRE_REVISION
            else "the signature does not cover a whole revision of the file"
        )
    when = status.signer_reported_dt or embedded.self_reported_timestamp
    return {
        "signer": _common_name(status.signing_cert),
        "signed_at": when.astimezone(UTC) if when else None,
        "intact": bool(status.intact),
        "valid": bool(status.valid),
        "covers_document": coverage == SignatureCoverageLevel.ENTIRE_FILE,
        "revision": revision,
        "revisions": revisions,
        "later_changes": later,
        "changes_allowed": allowed,
        "trusted": bool(status.trusted),
        "trust_note": _trust_note(status),
        "problem": problem,
    }


def verify_pdf(pdf: Path, *, trust: Sequence[Path] = ()) -> VerifyReport:
    """Check every signature of ``pdf``; list every signature field, signed or not.

    For each signature: who signed and when (as their software claims), whether
    the signed bytes are intact, whether it covers the whole file or only an
    earlier revision and what the later revisions changed, and whether its
    certificate chains to one of the ``trust`` certificates (PEM or DER files).
    Only those are trusted, never the system's web certificates, and nothing is
    fetched from the network. ``report.ok`` needs every signature to hold; trust
    is a separate column, since self-signed keys are the common case.

    :raises SignatureError: the file or a trust certificate cannot be read, or
        the PDF cannot be parsed (damaged, or changed in its structure).
    """
    from pyhanko.sign import fields
    from pyhanko_certvalidator import ValidationContext

    try:
        data = pdf.read_bytes()
    except OSError as exc:
        raise SignatureError(f"cannot read {pdf}: {exc.strerror or exc}") from None
    roots = _load_trust(trust)
    context = ValidationContext(trust_roots=roots, allow_fetching=False)
    reports: list[FieldReport] = []
    with _quiet_pyhanko():
        reader = _read_pdf(data, pdf)
        try:
            pages = _page_indexes(reader)
            sig_fields = list(fields.enumerate_sig_fields(reader))
            embedded = {sig.field_name: sig for sig in reader.embedded_regular_signatures}
            revisions = reader.total_revisions
        except Exception as exc:
            raise SignatureError(
                f"cannot read the signature fields of {pdf} ({exc}); the file is damaged or was changed"
            ) from None
        signed_fields = {name for name, value, _ref in sig_fields if value is not None}
        for name, value, ref in sig_fields:
            index = _field_page(ref.get_object(), pages)
            page = index + 1 if index is not None else None
            if value is None:
                reports.append(FieldReport(name=name, page=page, signed=False))
                continue
            sig = embedded.get(name)
            if sig is None:
                kind = value.get("/Type") if hasattr(value, "get") else None
                problem = (
                    "the field holds a document time-stamp, which mend does not check"
                    if kind == "/DocTimeStamp"
                    else "the field holds something that is not a readable signature"
                )
                reports.append(
                    FieldReport(
                        name=name,
                        page=page,
                        signed=True,
                        intact=False,
                        valid=False,
                        problem=problem,
                    )
                )
                continue
            details = _check_signature(sig, context, signed_fields, revisions)
            reports.append(FieldReport(name=name, page=page, signed=True, **details))
    return VerifyReport(
        path=pdf, fields=reports, trusted_certificates=[_common_name(c) for c in roots]
    )


def _yes(value: bool | None) -> str:
    return "yes" if value else "no"


def format_report(report: VerifyReport, base: Path | None = None) -> str:
    """The report as lines for a terminal: one block per field, then the verdict."""
    shown = display_path(report.path, base)
    signed = report.signatures
    lines = [
        f"{shown}: {len(report.fields)} signature field{'s' if len(report.fields) != 1 else ''}, "
        f"{len(signed)} signed"
    ]
    for f in report.fields:
        where = f" (page {f.page})" if f.page else ""
        if not f.signed:
            lines.append(f"  {f.name}: not signed yet{where}")
            continue
        who = f"signed by {f.signer}" if f.signer else "signed"
        when = f" on {f.signed_at:%Y-%m-%d %H:%M:%S} UTC" if f.signed_at else ""
        lines.append(f"  {f.name}: {who}{when}{where}")
        if f.covers_document:
            covers = "the whole document"
        elif f.revision and f.revisions:
            covers = f"revision {f.revision} of {f.revisions}, followed by {f.later_changes or 'unknown changes'}"
            covers += " (allowed)" if f.changes_allowed else " (NOT allowed)"
        else:
            covers = "unknown"
        lines.append(f"    intact: {_yes(f.intact)}; valid: {_yes(f.valid)}; covers: {covers}")
        if f.trust_note:
            lines.append(f"    trust: {f.trust_note}")
        if f.problem:
            lines.append(f"    PROBLEM: {f.problem}")
    if not signed:
        lines.append("No signatures yet.")
    elif report.ok:
        lines.append(
            f"OK: every signature holds ({len(signed)} of {len(report.fields)} fields signed)."
        )
    else:
        bad = [f.name for f in signed if not f.ok]
        lines.append(f"FAILED: {', '.join(bad)} {'does' if len(bad) == 1 else 'do'} not hold.")
    return "\n".join(lines)
