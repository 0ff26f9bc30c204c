"""A small offline PKI for the signing tests, made with ``cryptography``.

A root CA, an intermediate, signers issued by the intermediate (PKCS#12,
with their chain), a time-stamp authority whose certificate carries the
timeStamping extended key usage, and a CRL from each CA. The TSA answers
RFC 3161 requests over HTTP on 127.0.0.1 (pyHanko's ``DummyTimeStamper``
behind ``http.server``), so ``mend sign --tsa URL`` goes through the real
HTTP path. Modes make it fail the ways a real TSA fails: down, slow,
garbage.
"""

from __future__ import annotations

import contextlib
import http.server
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

NOW = datetime.now(UTC).replace(microsecond=0)


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Mend Test PKI"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def _key() -> rsa.RSAPrivateKey:
    # RSA: pyHanko's DummyTimeStamper signs with RSA only.
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class Issued:
    cert: x509.Certificate
    key: rsa.RSAPrivateKey

    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)


def _issue(
    cn: str,
    issuer: Issued | None,
    *,
    ca: bool = False,
    eku: list[x509.ObjectIdentifier] | None = None,
    crl_url: str | None = None,
) -> Issued:
    key = _key()
    subject = _name(cn)
    signing_key = issuer.key if issuer else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=365 * (10 if ca else 2)))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
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
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False,
        )
    if eku:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage(eku), critical=ExtendedKeyUsageOID.TIME_STAMPING in eku
        )
    if crl_url:
        builder = builder.add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        [x509.UniformResourceIdentifier(crl_url)], None, None, None
                    )
                ]
            ),
            critical=False,
        )
    return Issued(builder.sign(signing_key, hashes.SHA256()), key)


def _crl(ca: Issued) -> x509.CertificateRevocationList:
    return (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.cert.subject)
        .last_update(NOW - timedelta(hours=1))
        .next_update(NOW + timedelta(days=30))
        .add_extension(x509.CRLNumber(1), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()),
            critical=False,
        )
        .sign(ca.key, hashes.SHA256())
    )


@dataclass
class Pki:
    folder: Path
    root: Issued
    intermediate: Issued
    tsa: Issued
    signers: dict[str, Issued] = field(default_factory=dict)

    @property
    def root_pem(self) -> Path:
        return self.folder / "root.crt"

    def p12(self, name: str) -> Path:
        return self.folder / f"{name}.p12"

    @property
    def crls(self) -> list[Path]:
        return [self.folder / "root.crl", self.folder / "intermediate.crl"]

    @property
    def chain(self) -> list[Path]:
        return [self.folder / "intermediate.crt", self.folder / "tsa.crt"]


def make_pki(folder: Path, names: dict[str, str]) -> Pki:
    """A root, an intermediate, a TSA and one signer per ``{slug: common name}``."""
    folder.mkdir(parents=True, exist_ok=True)
    crl_base = "http://127.0.0.1:9/crl"  # never fetched: the CRLs are given as files
    root = _issue("Mend Test Root CA", None, ca=True)
    intermediate = _issue(
        "Mend Test Intermediate CA", root, ca=True, crl_url=f"{crl_base}/root.crl"
    )
    tsa = _issue(
        "Mend Test TSA",
        intermediate,
        eku=[ExtendedKeyUsageOID.TIME_STAMPING],
        crl_url=f"{crl_base}/intermediate.crl",
    )
    pki = Pki(folder, root, intermediate, tsa)
    (folder / "root.crt").write_bytes(root.pem())
    (folder / "intermediate.crt").write_bytes(intermediate.pem())
    (folder / "tsa.crt").write_bytes(tsa.pem())
    (folder / "root.crl").write_bytes(_crl(root).public_bytes(serialization.Encoding.DER))
    (folder / "intermediate.crl").write_bytes(
        _crl(intermediate).public_bytes(serialization.Encoding.DER)
    )
    for slug, cn in names.items():
        signer = _issue(
            cn,
            intermediate,
            eku=[x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36"), ExtendedKeyUsageOID.EMAIL_PROTECTION],
            crl_url=f"{crl_base}/intermediate.crl",
        )
        pki.signers[slug] = signer
        pki.p12(slug).write_bytes(
            pkcs12.serialize_key_and_certificates(
                cn.encode(),
                signer.key,
                signer.cert,
                [intermediate.cert, root.cert],
                serialization.NoEncryption(),
            )
        )
    return pki


# -- The time-stamp authority ------------------------------------------------------------


class Tsa:
    """An RFC 3161 server on 127.0.0.1; ``mode`` is "ok", "down", "slow" or "garbage"."""

    def __init__(self, pki: Pki) -> None:
        from asn1crypto import keys as asn1_keys
        from asn1crypto import x509 as asn1_x509
        from pyhanko.sign.timestamps import DummyTimeStamper

        der = serialization.Encoding.DER
        tsa_cert = asn1_x509.Certificate.load(pki.tsa.cert.public_bytes(der))
        tsa_key = asn1_keys.PrivateKeyInfo.load(
            pki.tsa.key.private_bytes(
                der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        chain = [
            asn1_x509.Certificate.load(pki.intermediate.cert.public_bytes(der)),
            asn1_x509.Certificate.load(pki.root.cert.public_bytes(der)),
        ]
        self.stamper = DummyTimeStamper(tsa_cert=tsa_cert, tsa_key=tsa_key, certs_to_embed=chain)
        self.mode = "ok"
        self.requests = 0
        self.slow_seconds = 3.0

    def answer(self, body: bytes) -> tuple[int, str, bytes]:
        from asn1crypto import tsp

        self.requests += 1
        if self.mode == "garbage":
            return 200, "application/timestamp-reply", b"\x30\x03garbage"
        if self.mode == "slow":
            time.sleep(self.slow_seconds)
        request = tsp.TimeStampReq.load(body)
        return 200, "application/timestamp-reply", self.stamper.request_tsa_response(request).dump()


@contextlib.contextmanager
def serve_tsa(tsa: Tsa) -> Iterator[str]:
    """Serve ``tsa`` on a free port of 127.0.0.1; yields its URL."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server API
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            try:
                status, kind, data = tsa.answer(body)
            except Exception:
                status, kind, data = 400, "text/plain", b"bad request"
            try:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:  # the client gave up (slow mode)
                pass

        def log_message(self, *_args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/tsa"
    finally:
        server.shutdown()
        server.server_close()


def free_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens: a TSA that is down."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/tsa"
