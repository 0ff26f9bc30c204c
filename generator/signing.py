"""Signing agreement PDFs and checking their signatures, with pyHanko.

An agreement PDF comes out of the build with one empty signature field per
signatory (see :mod:`generator.writers.pdf`). Each party fills theirs with
:func:`sign_pdf`, as an *incremental update*: the bytes an earlier party signed
stay exactly as they were, so every earlier signature stays valid. A party
without a certificate from a CA makes one with :func:`keygen` (self-signed,
a team CA, or a key that CA issues): a self-signed certificate proves the
file is unchanged since that key signed it, not who holds the key, which is
why :func:`verify_pdf` reports integrity and trust separately and trusts only
the certificates it is given.

Signatures are PAdES, and go as far as asked: a time-stamp from a TSA (B-T,
see :mod:`generator.tsa`), the validation data in the document security
store (B-LT), a document time-stamp over it all (B-LTA, renewed by
:func:`timestamp_pdf`). Every revision mend writes keeps an archival
agreement valid PDF/A (:func:`_align_producer`).
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import io
import json
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


def _load_issuer(issuer: Path, passphrase: bytes | None) -> tuple[Any, Any, list[Any]]:
    """The CA key, certificate and chain of a ``mend keygen --ca`` file."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import pkcs12

    try:
        data = issuer.read_bytes()
    except OSError as exc:
        raise SignatureError(f"cannot read the CA {issuer}: {exc.strerror or exc}") from None
    try:
        key, cert, chain = pkcs12.load_key_and_certificates(data, passphrase)
    except ValueError:
        hint = "wrong passphrase" if passphrase else "it may need a passphrase"
        raise SignatureError(
            f"cannot open the CA {issuer}: not a PKCS#12 file, or {hint}"
        ) from None
    if key is None or cert is None:
        raise SignatureError(f"{issuer} holds no key and certificate")
    try:
        is_ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        is_ca = False
    if not is_ca:
        raise SignatureError(
            f"{issuer} is not a certificate authority (make one with mend keygen --ca)"
        )
    return key, cert, list(chain)


def keygen(
    name: str,
    out: Path,
    *,
    passphrase: bytes | None = None,
    email: str | None = None,
    cert_out: Path | None = None,
    days: int = 3650,
    overwrite: bool = False,
    ca: bool = False,
    issuer: Path | None = None,
    issuer_passphrase: bytes | None = None,
) -> None:
    """Make a signing certificate and its key, saved as PKCS#12.

    Three kinds: self-signed (the default); a small certificate authority for
    a team (``ca``), which signs nothing but certificates; or a signer's
    certificate issued by such a CA (``issuer``, its ``.p12``), whose chain
    goes into the signer's PKCS#12 so every signature carries it. A client
    then trusts the team's one CA certificate instead of each person's.

    The PKCS#12 file at ``out`` holds the private key and certificate, encrypted
    with ``passphrase`` when one is given (AES-256), and is readable only by its
    owner. The certificate alone goes to ``cert_out`` (default:
    :func:`certificate_path`) in PEM, to hand to the other party, who passes it
    to ``mend verify --trust``. The key is RSA 3072, which every PDF reader
    verifies; a signer's certificate carries the key usages PDF validators look
    for (digital signature, non-repudiation, document signing).

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
    ca_key, ca_cert, ca_chain = (
        _load_issuer(issuer, issuer_passphrase) if issuer is not None else (None, None, [])
    )

    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name.strip())])
    now = datetime.now(UTC).replace(microsecond=0)
    not_after = now + timedelta(days=days)
    if ca_cert is not None:
        # A certificate cannot outlive the CA that vouches for it.
        not_after = min(not_after, ca_cert.not_valid_after_utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject if ca_cert is not None else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        # An hour of slack for clocks that run a little behind ours.
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=not ca,
                content_commitment=not ca,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if not ca:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage(
                [ObjectIdentifier(_DOCUMENT_SIGNING_OID), ExtendedKeyUsageOID.EMAIL_PROTECTION]
            ),
            critical=False,
        )
    if ca_cert is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()),
            critical=False,
        )
    if email:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.RFC822Name(email)]), critical=False
        )
    cert = builder.sign(ca_key if ca_key is not None else key, hashes.SHA256())
    encryption = (
        serialization.BestAvailableEncryption(passphrase)
        if passphrase
        else serialization.NoEncryption()
    )
    chain = [ca_cert, *ca_chain] if ca_cert is not None else None
    bundle = pkcs12.serialize_key_and_certificates(
        name.strip().encode("utf-8"), key, cert, chain, encryption
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


@dataclass(frozen=True)
class ValidationMaterial:
    """What a long-term signature embeds so it can be checked after its certificates expire.

    ``certs``: CA certificates of the signer's and the TSA's chains (PEM or
    DER) beyond those in the key file; ``crls`` and ``ocsps``: revocation
    answers saved to files (DER); ``fetch``: whether pyHanko may fetch what is
    missing from the URLs in the certificates (off unless the user allows it).
    """

    certs: tuple[Path, ...] = ()
    crls: tuple[Path, ...] = ()
    ocsps: tuple[Path, ...] = ()
    fetch: bool = False


def _read_der_or_pem(path: Path, what: str) -> bytes:
    from asn1crypto import pem

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SignatureError(f"cannot read the {what} {path}: {exc.strerror or exc}") from None
    if pem.detect(data):
        _type, _headers, data = pem.unarmor(data)
    return data


def _validation_context(
    signer: Any, material: ValidationMaterial, extra_roots: Sequence[Any] = ()
) -> Any:
    """A context that trusts the signer's own chain: embedding proves, it does not judge.

    The roots are the self-signed certificates among the signer's, the given
    and the TSA's; whoever verifies decides which of them to trust.
    """
    from asn1crypto import crl, ocsp
    from pyhanko_certvalidator import ValidationContext

    certs = list(_load_trust(material.certs)) + list(extra_roots)
    if signer.signing_cert is not None:
        certs.append(signer.signing_cert)
    certs += list(signer.cert_registry or ())
    roots = [c for c in certs if c.self_signed != "no"]
    others = [c for c in certs if c.self_signed == "no"]
    crls = []
    for path in material.crls:
        try:
            crls.append(crl.CertificateList.load(_read_der_or_pem(path, "CRL")))
        except ValueError:
            raise SignatureError(f"{path} is not a CRL (DER or PEM)") from None
    ocsps = []
    for path in material.ocsps:
        try:
            ocsps.append(ocsp.OCSPResponse.load(_read_der_or_pem(path, "OCSP response")))
        except ValueError:
            raise SignatureError(f"{path} is not an OCSP response (DER)") from None
    return ValidationContext(
        trust_roots=roots,
        other_certs=others,
        crls=crls,
        ocsps=ocsps,
        allow_fetching=material.fetch,
        revocation_mode="soft-fail",
    )


def _align_producer(writer: Any) -> None:
    """Make the Info dictionary's Producer say what pyHanko will write in the XMP.

    pyHanko appends itself to Info's Producer ("WeasyPrint 70.0; pyHanko
    0.38.0") but writes only "pyHanko 0.38.0" as the XMP's pdf:Producer, and
    PDF/A requires the two to agree. Set to pyHanko's own string here, in the
    revision being signed, both stay equal in this and every later revision
    (the original revision keeps WeasyPrint's name).
    """
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.metadata.model import VENDOR

    info_ref = writer._info  # pyHanko keeps the trailer's /Info here
    if info_ref is None:
        return
    info = info_ref.get_object()
    if str(info.get("/Producer", "")) != VENDOR:
        info["/Producer"] = generic.TextStringObject(VENDOR)
        writer.update_container(info)


def sign_pdf(
    pdf: Path,
    key: Path,
    *,
    passphrase: bytes | None,
    field: str | None,
    out: Path,
    reason: str | None = None,
    timestamper: Any = None,
    certify: bool = False,
    ltv: ValidationMaterial | None = None,
    archive: bool = False,
) -> str:
    """Sign one empty signature field of ``pdf`` with the PKCS#12 ``key``; return its name.

    With ``field`` None the first empty field, in the order of the form, is
    signed. The signature goes in as an incremental update, so signatures made
    before stay valid, and shows the signer's name (from the certificate) and
    the signing time in the field's box. ``out`` may be ``pdf`` itself: the new
    file replaces the old atomically, so a failure never leaves half a file.

    The signature is PAdES (``ETSI.CAdES.detached``): B-B alone; B-T with a
    ``timestamper`` (see :mod:`generator.tsa`); B-LT with ``ltv``, which
    embeds the chains and revocation data in the document security store;
    B-LTA with ``archive`` too, which adds a document time-stamp over it all.
    ``certify`` makes it a certification signature that allows filling the
    form and signing (DocMDP 2); only the first signature may certify.

    :raises SignatureError: unreadable PDF or key, no such field, field already
        signed, no empty field left, or a TSA that failed while signing.
    """
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.sign.fields import MDPPerm, SigSeedSubFilter
    from pyhanko.sign.general import SigningError
    from pyhanko.sign.signers.pdf_signer import DSSContentSettings, TimestampDSSContentSettings

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
    if certify and len(empty) != len(all_fields):
        raise SignatureError(
            f"{pdf} is signed already: only the first signature can certify a document"
        )
    if archive and (timestamper is None or ltv is None):
        raise SignatureError("an archival signature (--archive) needs --tsa and --ltv")

    name = _common_name(signer.signing_cert)
    meta = signers.PdfSignatureMetadata(
        field_name=field,
        name=name,
        reason=reason,
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
        certify=certify,
        docmdp_permissions=MDPPerm.FILL_FORMS,
        embed_validation_info=ltv is not None,
        validation_context=_validation_context(signer, ltv) if ltv is not None else None,
        use_pades_lta=archive,
        # Named by count, not by pyHanko's random UUID.
        timestamp_field_name=_timestamp_field_name(reader) if archive else None,
        # The TSA's own validation data goes in before the document time-stamp,
        # so that the time-stamp is the file's last revision and covers it all.
        dss_settings=DSSContentSettings(
            next_ts_settings=TimestampDSSContentSettings(update_before_ts=True, include_vri=False)
        ),
    )
    output = io.BytesIO()
    with tempfile.TemporaryDirectory(prefix="mend-sign-") as workdir, _quiet_pyhanko():
        pdf_signer = signers.PdfSigner(
            meta, signer, timestamper=timestamper, stamp_style=_stamp_style(Path(workdir))
        )
        try:
            writer = IncrementalPdfFileWriter.from_reader(reader)
            _align_producer(writer)
            pdf_signer.sign_pdf(writer, existing_fields_only=True, output=output)
        except SigningError as exc:
            raise SignatureError(f"cannot sign {pdf}: {exc}") from None
        except OSError as exc:  # the TSA failed between the probe and the real token
            raise SignatureError(
                f"cannot sign {pdf}: the time-stamp authority failed ({exc})"
            ) from None
    _write_atomically(out, output.getvalue())
    return field


def timestamp_pdf(
    pdf: Path, timestamper: Any, *, out: Path, material: ValidationMaterial | None = None
) -> None:
    """Add a document time-stamp to a signed ``pdf`` (PAdES B-LTA), renewing the archive chain.

    The validation data of the last time-stamp (or of the signatures, the
    first time) goes into the document security store first, then a new
    document time-stamp covers the whole file, so the chain of proof outlives
    the previous time-stamp's certificate.
    """
    from pyhanko.sign.signers.pdf_signer import PdfTimeStamper

    try:
        data = pdf.read_bytes()
    except OSError as exc:
        raise SignatureError(f"cannot read {pdf}: {exc.strerror or exc}") from None
    reader = _read_pdf(data, pdf)
    if not reader.embedded_signatures:
        raise SignatureError(f"{pdf} has no signature to time-stamp")
    from pyhanko.sign import DEFAULT_MD

    asyncio.run(timestamper.async_dummy_response(DEFAULT_MD))
    tsa_roots = list(timestamper.cert_registry)
    context = _validation_context(_NoSigner(), material or ValidationMaterial(), tsa_roots)
    output = io.BytesIO()
    with _quiet_pyhanko():
        try:
            PdfTimeStamper(
                timestamper, field_name=_timestamp_field_name(reader)
            ).update_archival_timestamp_chain(reader, context, in_place=False, output=output)
        except Exception as exc:  # pyHanko raises many kinds; say which step failed
            raise SignatureError(f"cannot time-stamp {pdf}: {exc}") from None
    _write_atomically(out, output.getvalue())


class _NoSigner:
    """Stands in for a signer when only a TSA's chain goes into the context."""

    signing_cert: Any = None
    cert_registry: tuple[Any, ...] = ()


def _timestamp_field_name(reader: Any) -> str:
    """``doc-timestamp-N``: named by count, not by pyHanko's random UUID."""
    from pyhanko.sign import fields

    names = {name for name, _value, _ref in fields.enumerate_sig_fields(reader)}
    n = 1
    while f"doc-timestamp-{n}" in names:
        n += 1
    return f"doc-timestamp-{n}"


# -- Verifying --------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldReport:
    """One signature field of a PDF, and how its signature checks out if it has one."""

    name: str
    #: 1-based page number of the field's widget, when it has one.
    page: int | None
    signed: bool
    #: "signature", "certification" (the first signature, which sets what later
    #: revisions may do) or "document time-stamp".
    kind: str = "signature"
    signer: str | None = None
    #: The time the signer's software claims (from the signature, not a time-stamp authority).
    signed_at: datetime | None = None
    #: The time a time-stamp authority vouches for, and which authority.
    timestamp_at: datetime | None = None
    tsa: str | None = None
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
    #: pyHanko's modification level of the later revisions (NONE, LTA_UPDATES,
    #: FORM_FILLING, ANNOTATIONS, OTHER).
    modification_level: str | None = None
    #: The later changes are ones a signed document allows (signing, form filling).
    changes_allowed: bool | None = None
    #: The revision that changed the document in a way it does not allow, in words:
    #: "revision 4 of 4, after sig-sam-rivera".
    changed_after: str | None = None
    #: The certificate chains to one of the ``trust`` certificates.
    trusted: bool | None = None
    #: Why it is or is not trusted, for people: "self-signed", "trusted via Dana Okafor".
    trust_note: str | None = None
    #: The PAdES baseline level reached: "B-B", "B-T", "B-LT", "B-LTA"; None when not PAdES.
    pades_level: str | None = None
    #: The AdES verdict (ETSI EN 319 102-1) and its sub-indication: "PASSED",
    #: "INDETERMINATE (NO_POE)", "FAILED (HASH_FAILURE)".
    ades: str | None = None
    #: What went wrong, in words, when the signature does not hold.
    problem: str | None = None

    @property
    def ok(self) -> bool:
        """An empty field is fine; a signature must be intact, valid and followed only by allowed changes."""
        if not self.signed:
            return True
        return bool(self.intact and self.valid and self.changes_allowed) and self.problem is None

    def as_data(self) -> dict[str, Any]:
        """The report as JSON data: times in ISO 8601, UTC."""
        data: dict[str, Any] = {}
        for key, value in self.__dict__.items():
            data[key] = value.isoformat() if isinstance(value, datetime) else value
        data["ok"] = self.ok
        return data


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

    def as_data(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "ok": self.ok,
            "trusted_certificates": self.trusted_certificates,
            "fields": [f.as_data() for f in self.fields],
        }


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
        return (
            "self-signed and not in --trust: it proves the file is unchanged since this key "
            "signed it, not who holds the key"
        )
    return (
        f"issued by {_common_name_of_name(cert.issuer)}, which is not in --trust: "
        "pass that CA's certificate with --trust to trust it"
    )


def _common_name_of_name(name: Any) -> str:
    native = name.native
    return native.get("common_name") or native.get("organization_name") or name.human_friendly


def _ades_spec(roots: Sequence[Any]) -> Any:
    """AdES validation settings: these roots only, revocation data from the file only."""
    from pyhanko.sign.validation.policy_decl import (
        PdfSignatureValidationSpec,
        RevinfoOnlineFetchingRule,
        RevocationInfoGatheringSpec,
        SignatureValidationSpec,
    )
    from pyhanko_certvalidator.context import CertValidationPolicySpec
    from pyhanko_certvalidator.policy_decl import (
        CertRevTrustPolicy,
        RevocationCheckingPolicy,
        RevocationCheckingRule,
    )
    from pyhanko_certvalidator.registry import SimpleTrustManager

    rule = RevocationCheckingRule.CHECK_IF_DECLARED
    policy = CertValidationPolicySpec(
        trust_manager=SimpleTrustManager.build(trust_roots=list(roots)),
        revinfo_policy=CertRevTrustPolicy(RevocationCheckingPolicy(rule, rule)),
    )
    return PdfSignatureValidationSpec(
        SignatureValidationSpec(
            cert_validation_policy=policy,
            revinfo_gathering_policy=RevocationInfoGatheringSpec(
                online_fetching_rule=RevinfoOnlineFetchingRule.LOCAL_ONLY
            ),
        )
    )


def _ades_verdict(embedded: Any, roots: Sequence[Any]) -> tuple[str, bool]:
    """The AdES-LTA verdict of one signature in words, and whether it FAILED.

    INDETERMINATE is the usual answer for a self-signed or untrusted key (no
    chain to a trust anchor): that is the trust column's business. FAILED
    (a hash or signature failure, a forbidden modification) always fails.
    """
    from pyhanko.sign.ades.report import AdESStatus
    from pyhanko.sign.validation.ades import ades_lta_validation

    try:
        result = asyncio.run(ades_lta_validation(embedded, _ades_spec(roots)))
    except Exception as exc:  # a damaged signature must not become a traceback
        return f"FAILED (cannot be evaluated: {exc.__class__.__name__})", True
    indic = result.ades_subindic
    status = indic.status
    if status == AdESStatus.PASSED:
        return "PASSED", False
    return f"{status.name} ({getattr(indic, 'name', indic)})", status == AdESStatus.FAILED


def _pades_level(
    embedded: Any, status: Any, vri: set[str], doc_ts_revisions: list[int]
) -> str | None:
    """The PAdES baseline level a signature reached, from what the file holds.

    B-LT needs this signature's own entry in the document security store
    (pyHanko writes one per signature it embeds validation data for); B-LTA a
    document time-stamp after it, over that store.
    """
    import hashlib

    subfilter = embedded.sig_object.get("/SubFilter")
    if subfilter != "/ETSI.CAdES.detached":
        return None
    if getattr(status, "timestamp_validity", None) is None:
        return "B-B"
    contents = embedded.sig_object.get("/Contents")
    key = "/" + hashlib.sha1(bytes(contents)).hexdigest().upper() if contents is not None else ""
    if key not in vri:
        return "B-T"
    if any(r > embedded.signed_revision for r in doc_ts_revisions):
        return "B-LTA"
    return "B-LT"


def _vri_keys(reader: Any) -> set[str]:
    """The signatures the document security store holds validation data for."""
    try:
        dss = reader.root["/DSS"]
        return {str(k) for k in dss["/VRI"]}
    except (KeyError, TypeError):
        return set()


def _first_dss_revision(reader: Any) -> int | None:
    """The first revision (0-based) whose catalog has a /DSS."""
    for revision in range(reader.total_revisions):
        try:
            if "/DSS" in reader.get_historical_root(revision):
                return revision
        except Exception:
            return None
    return None


def _check_signature(
    embedded: Any,
    context: Any,
    roots: Sequence[Any],
    signed_fields: set[str],
    revisions: int,
    vri: set[str],
    doc_ts_revisions: list[int],
    timestamp: bool = False,
) -> dict[str, Any]:
    """The report entries of one signature or document time-stamp; never raises."""
    from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    revision = embedded.signed_revision + 1
    status: Any
    try:
        if timestamp:
            status = validate_pdf_timestamp(embedded, context)
        else:
            status = validate_pdf_signature(embedded, context, context)
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
    # A document time-stamp sets no DocMDP policy of its own: the diff decides.
    docmdp_ok = status.docmdp_ok is not False if timestamp else bool(status.docmdp_ok)
    allowed = docmdp_ok and later != "other changes"
    if coverage is not None and coverage < SignatureCoverageLevel.ENTIRE_REVISION:
        allowed = False
    ades, ades_failed = (None, False) if timestamp else _ades_verdict(embedded, roots)
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
    elif ades_failed:
        problem = f"the AdES validation failed: {ades}"
    level = status.modification_level
    kind = "document time-stamp" if timestamp else "signature"
    if not timestamp and embedded.docmdp_level is not None:
        kind = "certification"
    ts_status = status if timestamp else getattr(status, "timestamp_validity", None)
    result: dict[str, Any] = {
        "kind": kind,
        "signer": _common_name(status.signing_cert),
        "intact": bool(status.intact),
        "valid": bool(status.valid),
        "covers_document": coverage == SignatureCoverageLevel.ENTIRE_FILE,
        "revision": revision,
        "revisions": revisions,
        "later_changes": later,
        "modification_level": level.name if level is not None else None,
        "changes_allowed": allowed,
        "trusted": bool(status.trusted),
        "trust_note": _trust_note(status),
        "pades_level": None if timestamp else _pades_level(embedded, status, vri, doc_ts_revisions),
        "ades": ades,
        "problem": problem,
    }
    if timestamp:
        result["timestamp_at"] = status.timestamp.astimezone(UTC)
        result["tsa"] = _common_name(status.signing_cert)
    else:
        when = status.signer_reported_dt or embedded.self_reported_timestamp
        result["signed_at"] = when.astimezone(UTC) if when else None
        if ts_status is not None:
            result["timestamp_at"] = ts_status.timestamp.astimezone(UTC)
            result["tsa"] = _common_name(ts_status.signing_cert)
            if not (ts_status.intact and ts_status.valid) and problem is None:
                result["problem"] = "the signature's time-stamp does not hold"
    return result


def _changed_after(
    revision: int, revisions: int, signed_revisions: dict[int, str], dss_revision: int | None
) -> str | None:
    """Which update, after which signature, changed a document beyond what it allows.

    The culprit is an update no signature covers: the last one when the file
    ends with one, else the first unsigned one after this signature.
    """
    unsigned = [
        r for r in range(revision, revisions) if r not in signed_revisions and r != dss_revision
    ]
    if not unsigned:
        return None
    culprit = unsigned[-1] if (revisions - 1) in unsigned else unsigned[0]
    before = [name for r, name in sorted(signed_revisions.items()) if r < culprit]
    after = f", after {before[-1]}" if before else ""
    return f"revision {culprit + 1} of {revisions}{after}"


def verify_pdf(pdf: Path, *, trust: Sequence[Path] = ()) -> VerifyReport:
    """Check every signature of ``pdf``; list every signature field, signed or not.

    For each signature: who signed and when (as their software claims, and as
    a time-stamp authority vouches when there is a time-stamp), whether the
    signed bytes are intact, whether it covers the whole file or only an
    earlier revision and what the later revisions changed (and which update
    did, when it was not allowed), the PAdES level reached, the AdES verdict,
    and whether its certificate chains to one of the ``trust`` certificates
    (PEM or DER files). Only those are trusted, never the system's web
    certificates, and nothing is fetched from the network. Document
    time-stamps are listed like signatures. ``report.ok`` needs every
    signature to hold; trust is a separate column, since self-signed keys are
    the common case.

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
            stamps = {sig.field_name: sig for sig in reader.embedded_timestamp_signatures}
            revisions = reader.total_revisions
            dss_revision = _first_dss_revision(reader)
            vri = _vri_keys(reader)
        except Exception as exc:
            raise SignatureError(
                f"cannot read the signature fields of {pdf} ({exc}); the file is damaged or was changed"
            ) from None
        signed_revisions = {
            sig.signed_revision: name for name, sig in [*embedded.items(), *stamps.items()]
        }
        doc_ts_revisions = [sig.signed_revision for sig in stamps.values()]
        signed_fields = {name for name, value, _ref in sig_fields if value is not None}
        for name, value, ref in sig_fields:
            index = _field_page(ref.get_object(), pages)
            page = index + 1 if index is not None else None
            if value is None:
                reports.append(FieldReport(name=name, page=page, signed=False))
                continue
            sig = embedded.get(name) or stamps.get(name)
            if sig is None:
                reports.append(
                    FieldReport(
                        name=name,
                        page=page,
                        signed=True,
                        intact=False,
                        valid=False,
                        problem="the field holds something that is not a readable signature",
                    )
                )
                continue
            details = _check_signature(
                sig,
                context,
                roots,
                signed_fields,
                revisions,
                vri,
                doc_ts_revisions,
                timestamp=name in stamps and name not in embedded,
            )
            if details.get("changes_allowed") is False and details.get("intact"):
                details["changed_after"] = _changed_after(
                    sig.signed_revision + 1, revisions, signed_revisions, dss_revision
                )
                if details["changed_after"] and details.get("problem"):
                    details["problem"] += f" (changed by {details['changed_after']})"
            if name in stamps and name not in embedded:
                page = None  # a document time-stamp has no place on a page
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
        if f.kind == "document time-stamp":
            who = f"document time-stamp by {f.tsa}" if f.tsa else "document time-stamp"
            when = f" at {f.timestamp_at:%Y-%m-%d %H:%M:%S} UTC" if f.timestamp_at else ""
        else:
            verb = "certified" if f.kind == "certification" else "signed"
            who = f"{verb} by {f.signer}" if f.signer else verb
            when = f" on {f.signed_at:%Y-%m-%d %H:%M:%S} UTC" if f.signed_at else ""
        lines.append(f"  {f.name}: {who}{when}{where}")
        if f.kind != "document time-stamp":
            if f.timestamp_at:
                lines.append(
                    f"    time-stamp: {f.timestamp_at:%Y-%m-%d %H:%M:%S} UTC by {f.tsa or 'unknown TSA'}"
                )
            else:
                lines.append("    time-stamp: none (the time is the signer's own clock)")
        if f.covers_document:
            covers = "the whole document"
        elif f.revision and f.revisions:
            covers = f"revision {f.revision} of {f.revisions}, followed by {f.later_changes or 'unknown changes'}"
            covers += " (allowed)" if f.changes_allowed else " (NOT allowed)"
        else:
            covers = "unknown"
        lines.append(f"    intact: {_yes(f.intact)}; valid: {_yes(f.valid)}; covers: {covers}")
        if f.modification_level is not None or f.pades_level is not None:
            level = f"modification level: {(f.modification_level or 'unknown').lower().replace('_', ' ')}"
            pades = f"; PAdES level: {f.pades_level}" if f.pades_level else ""
            if f.kind != "document time-stamp" and f.pades_level is None:
                pades = "; PAdES level: none (not a PAdES signature)"
            ades = f"; AdES: {f.ades}" if f.ades else ""
            lines.append(f"    {level}{pades}{ades}")
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


def report_json(report: VerifyReport) -> str:
    """The report as JSON, for scripts: the same facts as :func:`format_report`."""
    return json.dumps(report.as_data(), ensure_ascii=False, indent=2)
