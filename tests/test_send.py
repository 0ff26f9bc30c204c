"""Sending recaps to a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import email.policy
import socket
from email.parser import BytesParser
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner

from generator.build import build
from generator.cli import main

from .conftest import FULL_CASE, TODAY, make_workspace

REFUSED = "lee@acme.example"


class Recorder:
    """An SMTP handler that keeps what arrives and refuses one address."""

    def __init__(self) -> None:
        self.envelopes: list[tuple[str, list[str], bytes]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == REFUSED:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(
            (envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
        )
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield recorder, controller.port
    finally:
        controller.stop()


@pytest.fixture
def recap(tmp_path) -> tuple[Path, Path]:
    ws = make_workspace(tmp_path / "ws", {"acme.yaml": FULL_CASE})
    assert build(ws, today=TODAY, formats=("eml",)).ok
    return ws, ws / "output" / "acme" / "recap-2026-11-10.eml"


def configure(ws: Path, port: int, extra: str = "") -> None:
    (ws / "mend.toml").write_text(
        f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n{extra}'
    )


def test_delivers_to_every_recipient_but_the_refused_one(smtp, recap):
    recorder, port = smtp
    ws, eml = recap
    configure(ws, port)
    result = CliRunner().invoke(main, ["send", str(eml), "-w", str(ws)])
    assert result.exit_code == 1  # one recipient failed
    assert "sent   recap-2026-11-10.eml -> dana@acme.example: accepted" in result.output
    assert (
        "FAILED recap-2026-11-10.eml -> lee@acme.example: 550 5.1.1 no such user" in result.output
    )
    assert "2 delivered, 1 failed" in result.output
    ((sender, rcpts, data),) = recorder.envelopes
    assert sender == "sam@brightline.example"
    assert rcpts == ["dana@acme.example", "ana@brightline.example"]
    sent = BytesParser(policy=email.policy.default).parsebytes(data)
    original = BytesParser(policy=email.policy.default).parsebytes(eml.read_bytes())
    assert sent["Message-ID"] == original["Message-ID"] and sent["Subject"] == original["Subject"]
    # The body arrives byte for byte.
    assert data.split(b"\r\n\r\n", 1)[1] == eml.read_bytes().split(b"\r\n\r\n", 1)[1]


def test_all_accepted_exits_0_and_bcc_is_not_transmitted(smtp, recap):
    recorder, port = smtp
    ws, eml = recap
    configure(ws, port)
    data = eml.read_bytes().replace(
        b"Lee Chen <lee@acme.example>", b"Lee Chen <lee.chen@acme.example>"
    )
    data = data.replace(
        b"MIME-Version: 1.0\r\n", b"Bcc: archive@brightline.example\r\nMIME-Version: 1.0\r\n", 1
    )
    eml.write_bytes(data)
    result = CliRunner().invoke(main, ["send", str(eml), "-w", str(ws)])
    assert result.exit_code == 0, result.output
    ((_, rcpts, sent),) = recorder.envelopes
    assert "archive@brightline.example" in rcpts
    assert b"Bcc:" not in sent and b"archive@brightline.example" not in sent


def test_password_comes_from_the_environment(recap, monkeypatch):
    ws, eml = recap
    configure(ws, free_port(), 'user = "sam"\npassword_env = "MEND_TEST_PASSWORD"\n')
    monkeypatch.delenv("MEND_TEST_PASSWORD", raising=False)
    result = CliRunner().invoke(main, ["send", str(eml), "-w", str(ws)])
    assert result.exit_code == 1 and "MEND_TEST_PASSWORD is not set" in result.output


def test_connection_refused_is_a_clear_error(recap):
    ws, eml = recap
    port = free_port()
    configure(ws, port)
    result = CliRunner().invoke(main, ["send", str(eml), "-w", str(ws)])
    assert result.exit_code == 1
    assert f"cannot connect to SMTP server 127.0.0.1:{port}" in result.output
    assert "Traceback" not in result.output


def test_dry_run_connects_to_nothing(recap):
    ws, eml = recap
    result = CliRunner().invoke(main, ["send", "--dry-run", str(eml), "-w", str(ws)])
    assert result.exit_code == 0
    assert "to   dana@acme.example" in result.output and "nothing sent" in result.output
