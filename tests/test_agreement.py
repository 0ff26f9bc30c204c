"""The agreement end to end: build it, sign it twice from the CLI, verify it."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from generator.build import build
from generator.cli import main

from .conftest import FULL_CASE, SENTINELS, TODAY, make_workspace


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def agreement(tmp_path_factory) -> Path:
    ws = make_workspace(tmp_path_factory.mktemp("ws"), {"acme.yaml": FULL_CASE})
    assert build(ws, today=TODAY, formats=("pdf",), kinds=("agreement",), cases=["acme"]).ok
    return ws / "output" / "acme" / "agreement.pdf"


def test_agreement_text_and_metadata(agreement):
    reader = PdfReader(agreement)
    text = "\n".join(page.extract_text() for page in reader.pages)
    for expected in (
        "RECOVERY AGREEMENT",
        "Acme Logistics Ltd",
        "Brightline Studio",
        "Weekly written status every Friday by 16:00",
        "Test feedback within two working days",
        "Integration suite green on staging",
        "Tuesday 26 January 2027",
        "The release process let both of us down.",
    ):
        assert expected in text, expected
    assert not any(s in text for s in SENTINELS)
    assert reader.metadata.title == "Recovery agreement: Getting the Acme portal back on track"
    assert reader.metadata.author == "Brightline Studio"
    assert "Acme Logistics Ltd" in reader.metadata.subject


def test_one_empty_signature_field_per_signatory(agreement):
    reader = PdfReader(agreement)
    fields = reader.get_fields()
    assert sorted(fields) == ["sig-dana-okafor", "sig-sam-rivera"]
    assert all(f.get("/FT") == "/Sig" and f.get("/V") is None for f in fields.values())


def test_letter_paper_from_mend_toml(tmp_path):
    ws = make_workspace(
        tmp_path / "ws", {"acme.yaml": FULL_CASE}, config='[pdf]\npage_size = "Letter"\n'
    )
    assert build(ws, today=TODAY, formats=("pdf",), kinds=("plan",), cases=["acme"]).ok
    box = PdfReader(ws / "output" / "acme" / "plan.pdf").pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)


def test_sign_as_us_then_client_and_verify(agreement, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SAM_PASS", "correct horse")
    assert (
        run("keygen", "Sam Rivera", "--out", "sam.p12", "--passphrase-env", "SAM_PASS").exit_code
        == 0
    )
    assert run("keygen", "Dana Okafor", "--out", "dana.p12").exit_code == 0
    result = run(
        "sign",
        str(agreement),
        "--key",
        "sam.p12",
        "--passphrase-env",
        "SAM_PASS",
        "--field",
        "sig-sam-rivera",
        "--out",
        "signed.pdf",
    )
    assert result.exit_code == 0, result.output
    result = run("verify", "signed.pdf")
    assert result.exit_code == 0 and "sig-dana-okafor: not signed yet" in result.output
    assert run("verify", "signed.pdf", "--require-signed").exit_code == 1
    result = run("sign", "signed.pdf", "--key", "dana.p12", "--in-place")
    assert result.exit_code == 0 and "signed sig-dana-okafor" in result.output
    result = run(
        "verify", "signed.pdf", "--trust", "sam.crt", "--trust", "dana.crt", "--require-signed"
    )
    assert result.exit_code == 0, result.output
    assert "signed by Sam Rivera" in result.output and "signed by Dana Okafor" in result.output
    assert "followed by signatures only (allowed)" in result.output
    assert "OK: every signature holds (2 of 2 fields signed)." in result.output
    # One byte changed after signing: verification fails, clearly.
    data = bytearray(Path("signed.pdf").read_bytes())
    at = data.index(b"Recovery agreement") + 1
    data[at] ^= 0x01
    Path("tampered.pdf").write_bytes(bytes(data))
    result = run("verify", "tampered.pdf")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "FAILED" in result.output or "damaged" in result.output


def test_wrong_passphrase_is_a_clear_error(tmp_path, agreement, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PASS", "right")
    run("keygen", "Sam Rivera", "--out", "sam.p12", "--passphrase-env", "PASS")
    monkeypatch.setenv("PASS", "wrong")
    result = run("sign", str(agreement), "--key", "sam.p12", "--passphrase-env", "PASS")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert not Path(agreement.with_name("agreement-signed.pdf")).exists()
