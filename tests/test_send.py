"""Sending recaps to a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import email.policy
import ipaddress
import re
import socket
import ssl
from email.parser import BytesParser
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from generator.build import build
from generator.cli import main
from generator.send import transmitted

from .conftest import make_workspace
from .test_eml import CASE, INJECTING, TODAY

EML = "recap-2026-11-12.eml"
REFUSED = "lee@harbour.example"
USER, PASSWORD = "ciara", "correct horse battery staple"


class Recorder:
    """An SMTP handler that keeps what arrives and can refuse one address."""

    def __init__(self, refuse: str | None = None) -> None:
        self.refuse = refuse
        self.received: list[tuple[str, list[str], bytes]] = []
        self.sessions: list[tuple[bool, bool]] = []  # (TLS, authenticated) per message

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == self.refuse:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append(
            (envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
        )
        self.sessions.append((session.ssl is not None, bool(session.authenticated)))
        return "250 2.0.0 Message accepted"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == USER.encode()
        and auth_data.password == PASSWORD.encode()
    )
    # handled=False: aiosmtpd answers a failure with 535 itself.
    return AuthResult(success=ok, handled=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(recorder: Recorder, **kwargs) -> Controller:
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port(), **kwargs)
    controller.start()
    return controller


@pytest.fixture
def smtp():
    recorder = Recorder(refuse=REFUSED)
    controller = serve(recorder)
    yield recorder, controller.port
    controller.stop()


@pytest.fixture
def workspace(tmp_path) -> Path:
    ws = make_workspace(tmp_path / "ws", {"harbour.yaml": CASE})
    assert build(ws, today=TODAY, formats=("eml",)).ok
    return ws


def eml_of(ws: Path) -> Path:
    return ws / "output" / "harbour" / EML


def configure(ws: Path, port: int, security: str = "none", extra: str = "") -> None:
    (ws / "mend.toml").write_text(
        f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "{security}"\ntimeout = 5\n{extra}',
        encoding="utf-8",
    )


def send(ws: Path, *paths: Path):
    return CliRunner().invoke(main, ["send", *map(str, paths), "-w", str(ws)])


def parse(data: bytes):
    return BytesParser(policy=email.policy.default).parsebytes(data)


# -- delivery --------------------------------------------------------------------------


def test_a_refused_recipient_fails_the_send_but_not_the_others(smtp, workspace):
    recorder, port = smtp
    configure(workspace, port)
    result = send(workspace, eml_of(workspace))
    assert result.exit_code == 1
    out = result.output
    assert f"sent    {EML} -> mo@harbour.example: accepted (250 2.0.0 Message accepted)" in out
    assert f"refused {EML} -> lee@harbour.example: 550 5.1.1 no such user" in out
    assert f"sent    {EML} -> ana@north.example: accepted" in out
    assert "2 delivered, 1 failed" in out
    assert "Error: 1 of 3 recipients did not receive their message" in out
    assert "Traceback" not in out
    ((sender, rcpts, data),) = recorder.received
    assert sender == "ciara@north.example"
    assert rcpts == ["mo@harbour.example", "ana@north.example"]
    # The file's bytes, less the X-Unsent line that only tells Outlook it is a
    # draft, with the Date of sending and a Message-ID that follows the content.
    original = eml_of(workspace).read_bytes()
    restamped = re.compile(rb"^(Date|Message-ID|X-Unsent):.*\r\n", re.MULTILINE)
    assert restamped.sub(b"", data) == restamped.sub(b"", original)
    sent, kept = parse(data), parse(original)
    assert sent["X-Unsent"] is None
    left, right = kept["Message-ID"].strip("<>").split("@")
    assert re.fullmatch(
        rf"<{re.escape(left)}\.[0-9a-f]{{16}}@{re.escape(right)}>", sent["Message-ID"]
    )
    assert sent["Date"].datetime.year >= 2026 and sent["Date"] != kept["Date"]
    assert sent.get_body(("plain",)).get_content() == kept.get_body(("plain",)).get_content()


def test_every_recipient_accepted_and_bcc_is_not_transmitted(workspace):
    recorder = Recorder()
    controller = serve(recorder)
    try:
        configure(workspace, controller.port)
        eml = eml_of(workspace)
        folded = b"Bcc: Archive <archive@north.example>,\r\n Records <records@north.example>\r\n"
        eml.write_bytes(eml.read_bytes().replace(b"MIME-Version:", folded + b"MIME-Version:", 1))
        result = send(workspace, eml)
    finally:
        controller.stop()
    assert result.exit_code == 0, result.output
    assert "5 delivered, 0 failed" in result.output
    ((_, rcpts, data),) = recorder.received
    assert rcpts[-2:] == ["archive@north.example", "records@north.example"]
    assert b"Bcc" not in data and b"archive@" not in data and b"records@" not in data
    assert b"MIME-Version: 1.0\r\n" in data  # the field after Bcc survives


def test_several_messages_in_one_connection(workspace):
    recorder = Recorder()
    controller = serve(recorder)
    try:
        configure(workspace, controller.port)
        folder = eml_of(workspace).parent
        result = send(workspace, folder / EML, folder / "recap-2026-11-26.eml")
    finally:
        controller.stop()
    assert result.exit_code == 0, result.output
    assert len(recorder.received) == 2
    assert "6 delivered, 0 failed" in result.output


def test_a_local_part_in_another_script_needs_smtputf8(tmp_path):
    ws = make_workspace(
        tmp_path / "ws",
        {"harbour.yaml": CASE.replace("mo@harbour.example", "móna@harbour.example")},
    )
    assert build(ws, today=TODAY, formats=("eml",)).ok
    recorder = Recorder()
    utf8 = serve(recorder, enable_SMTPUTF8=True)
    try:
        configure(ws, utf8.port)
        result = send(ws, eml_of(ws))
    finally:
        utf8.stop()
    assert result.exit_code == 0, result.output
    ((_, rcpts, _),) = recorder.received
    assert rcpts[0] == "móna@harbour.example"

    plain = serve(Recorder(), enable_SMTPUTF8=False)
    try:
        configure(ws, plain.port)
        result = send(ws, eml_of(ws))
    finally:
        plain.stop()
    assert result.exit_code == 1
    assert "the server does not support SMTPUTF8" in result.output


# -- connecting and logging in ------------------------------------------------------------


def test_connection_refused_is_one_clear_line(workspace):
    port = free_port()
    configure(workspace, port)
    result = send(workspace, eml_of(workspace))
    assert result.exit_code == 1
    assert result.output == (
        f"Error: cannot connect to SMTP server 127.0.0.1:{port}: Connection refused\n"
    )


def test_the_password_comes_from_the_environment_variable_named(workspace, monkeypatch):
    configure(
        workspace, free_port(), extra=f'user = "{USER}"\npassword_env = "MEND_TEST_PASSWORD"\n'
    )
    monkeypatch.delenv("MEND_TEST_PASSWORD", raising=False)
    result = send(workspace, eml_of(workspace))
    assert result.exit_code == 1
    assert "the environment variable MEND_TEST_PASSWORD is not set" in result.output
    configure(workspace, free_port(), extra=f'user = "{USER}"\n')
    result = send(workspace, eml_of(workspace))
    assert result.exit_code == 1 and "smtp.password_env" in result.output


@pytest.fixture
def tls(tmp_path, monkeypatch) -> ssl.SSLContext:
    """A self-signed certificate for 127.0.0.1 that the client is told to trust."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_path))
    return context


def tls_server(recorder: Recorder, context: ssl.SSLContext) -> Controller:
    return serve(
        recorder,
        tls_context=context,
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
        auth_require_tls=True,
    )


def test_starttls_and_login(workspace, tls, monkeypatch):
    recorder = Recorder()
    controller = tls_server(recorder, tls)
    monkeypatch.setenv("MEND_TEST_PASSWORD", PASSWORD)
    try:
        configure(
            workspace,
            controller.port,
            "starttls",
            f'user = "{USER}"\npassword_env = "MEND_TEST_PASSWORD"\n',
        )
        result = send(workspace, eml_of(workspace))
        assert result.exit_code == 0, result.output
        assert recorder.sessions == [(True, True)]

        monkeypatch.setenv("MEND_TEST_PASSWORD", "wrong")
        result = send(workspace, eml_of(workspace))
    finally:
        controller.stop()
    assert result.exit_code == 1
    assert f"refused the login of {USER}: 535" in result.output
    assert len(recorder.received) == 1


def test_an_untrusted_certificate_is_refused(workspace, tls, monkeypatch):
    monkeypatch.delenv("SSL_CERT_FILE")
    controller = tls_server(Recorder(), tls)
    try:
        configure(workspace, controller.port, "starttls")
        result = send(workspace, eml_of(workspace))
    finally:
        controller.stop()
    assert result.exit_code == 1
    assert f"cannot connect to SMTP server 127.0.0.1:{controller.port}" in result.output
    assert "certificate is not trusted" in result.output


# -- without sending ----------------------------------------------------------------------


def test_dry_run_shows_the_message_and_connects_to_nothing(workspace):
    configure(workspace, free_port())  # nothing listens there
    eml = eml_of(workspace)
    result = CliRunner().invoke(main, ["send", "--dry-run", str(eml), "-w", str(workspace)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == str(eml)
    assert "  From:    Ciara Walsh <ciara@north.example>" in lines
    assert "  To:      Mo Byrne <mo@harbour.example>, Lee Chen <lee@harbour.example>" in lines
    assert "  Cc:      Ana Patel <ana@north.example>" in lines
    assert any(line.startswith("  Subject: ") and "Harbour Bakery" in line for line in lines)
    assert "  Recipients: mo@harbour.example, lee@harbour.example, ana@north.example" in lines
    assert lines[-1] == "dry run: nothing sent (1 messages, 3 recipients)"


def test_a_file_that_is_not_a_message(workspace, tmp_path):
    junk = tmp_path / "notes.eml"
    junk.write_text("just some notes\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["send", "--dry-run", str(junk), "-w", str(workspace)])
    assert result.exit_code == 1
    assert "not a message to send" in result.output and "Traceback" not in result.output


def test_transmitted_drops_whole_fields_only():
    raw = (
        b"From: a@example.com\n"
        b"Bcc: one@example.com,\n"
        b"\ttwo@example.com\n"
        b"X-Unsent: 1\n"
        b"Subject: Bcc: in a subject stays\n"
        b"\n"
        b"Bcc: in the body stays\n"
    )
    assert transmitted(raw) == (
        b"From: a@example.com\r\nSubject: Bcc: in a subject stays\r\n\r\nBcc: in the body stays\r\n"
    )


# -- header injection (issue 14, item 1) ----------------------------------------------------

#: What mend wrote before for the issue's name, as CPython folded it: unquoted,
#: so the name's "<eve@evil.example>," read as a recipient of its own.
INJECTED_TO = (
    b"To: Dana Okafor (Head of Ops) <eve@evil.example>, and a long tail to force the\r\n"
    b" header to fold past 78 chars <mo@harbour.example>,\r\n"
    b" Lee Chen <lee@harbour.example>\r\n"
)


def test_a_name_full_of_specials_reaches_only_the_real_addresses(tmp_path):
    name = INJECTING + ' — Müller (Ωμέγα), "quoted" \\ [x]; a: b@c.example'
    ws = make_workspace(
        tmp_path / "ws", {"harbour.yaml": CASE.replace("name: Mo Byrne", f"name: {q(name)}")}
    )
    assert build(ws, today=TODAY, formats=("eml",)).ok
    recorder = Recorder()
    controller = serve(recorder)
    try:
        configure(ws, controller.port)
        result = send(ws, eml_of(ws))
    finally:
        controller.stop()
    assert result.exit_code == 0, result.output
    ((sender, rcpts, data),) = recorder.received
    assert sender == "ciara@north.example"
    assert rcpts == ["mo@harbour.example", "lee@harbour.example", "ana@north.example"]
    message = parse(data)
    assert [(a.display_name, a.addr_spec) for a in message["To"].addresses] == [
        (name, "mo@harbour.example"),
        ("Lee Chen", "lee@harbour.example"),
    ]


def q(text: str) -> str:
    """A YAML double-quoted scalar."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def with_field(raw: bytes, name: str, new: bytes, keep: bool = False) -> bytes:
    """``raw`` with its ``name`` field (continuation lines too) replaced by ``new``."""
    pattern = re.compile(rb"^" + name.encode() + rb": .*\r\n(?:[ \t].*\r\n)*", re.MULTILINE)
    return pattern.sub(lambda m: (m.group(0) if keep else b"") + new, raw, count=1)


@pytest.mark.parametrize(
    ("field", "new", "keep", "reason"),
    [
        ("To", INJECTED_TO, False, "holds a comment in parentheses"),
        ("Cc", b"Cc: friends: ana@north.example, eve@evil.example;\r\n", False, "group"),
        ("To", b"To: eve@evil.example\r\n", True, "appears 2 times"),
        ("From", b"Reply-To: alice@example.org)<eve@evil.example>\r\n", True, "cannot"),
    ],
)
def test_a_header_that_could_add_a_recipient_is_refused_before_connecting(
    workspace, field, new, keep, reason
):
    """Sent or dry-run, an ambiguous address field stops everything, even other files."""
    recorder = Recorder()
    controller = serve(recorder)
    eml = eml_of(workspace)
    raw = with_field(eml.read_bytes(), field, new, keep)
    eml.write_bytes(raw)
    named = "Reply-To" if new.startswith(b"Reply-To") else field
    other = eml.parent / "recap-2026-11-26.eml"
    try:
        configure(workspace, controller.port)
        sent = send(workspace, other, eml)
        dry = CliRunner().invoke(main, ["send", "--dry-run", str(eml), "-w", str(workspace)])
    finally:
        controller.stop()
    for result in (sent, dry):
        assert result.exit_code == 1, result.output
        assert f"Error: {eml}: {named} header: " in result.output
        assert reason in result.output
        assert "Recipients:" not in result.output and "Traceback" not in result.output
    assert recorder.received == []  # nothing went out, not even the good message
    assert eml.read_bytes() == raw  # and the file is left as it was
