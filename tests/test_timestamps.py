"""Long-term signatures, offline: a test PKI, a TSA on 127.0.0.1, B-B to B-LTA round trips.

Every signature goes through the CLI (`mend sign --tsa URL`), so the real
HTTP path to the time-stamp authority is exercised, and each result is
checked three ways: by `mend verify`, by poppler's `pdfsig` (another
implementation), and for PDF/A by pikepdf.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.build import build
from generator.cli import main
from generator.record import compare_records

from .conftest import FULL_CASE, TODAY, make_workspace
from .pdfa import pdfa_problems
from .pki import Pki, Tsa, free_port_url, make_pki, serve_tsa

needs_pdfsig = pytest.mark.skipif(shutil.which("pdfsig") is None, reason="needs poppler's pdfsig")


def run(*args: str | Path):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"), {"dana": "Dana Okafor", "sam": "Sam Rivera"})


@pytest.fixture(scope="module")
def tsa(pki: Pki) -> Iterator[tuple[Tsa, str]]:
    server = Tsa(pki)
    with serve_tsa(server) as url:
        yield server, url


@pytest.fixture
def ok_tsa(tsa: tuple[Tsa, str]) -> Iterator[str]:
    server, url = tsa
    server.mode = "ok"
    yield url
    server.mode = "ok"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = make_workspace(tmp_path_factory.mktemp("ws"), {"acme.yaml": FULL_CASE})
    assert build(ws, today=TODAY, formats=("pdf",), kinds=("agreement",), cases=["acme"]).ok
    return ws


@pytest.fixture
def agreement(tmp_path: Path, workspace: Path) -> Path:
    path = tmp_path / "agreement.pdf"
    shutil.copyfile(workspace / "output" / "acme" / "agreement.pdf", path)
    return path


def validation_args(pki: Pki) -> list[str | Path]:
    args: list[str | Path] = []
    for cert in (pki.root_pem, *pki.chain):
        args += ["--cert", cert]
    for crl in pki.crls:
        args += ["--crl", crl]
    return args


FIELDS = {"sam": "sig-sam-rivera", "dana": "sig-dana-okafor"}


def sign(pdf: Path, pki: Pki, who: str, *extra: str | Path) -> None:
    result = run("sign", pdf, "--key", pki.p12(who), "--field", FIELDS[who], "--in-place", *extra)
    assert result.exit_code == 0, result.output
    assert pdfa_problems(pdf) == [], "no longer PDF/A after signing"


def verify_json(pdf: Path, pki: Pki, *extra: str | Path) -> dict:
    result = run("verify", pdf, "--trust", pki.root_pem, "--json", *extra)
    data = json.loads(result.output)
    data["exit_code"] = result.exit_code
    return data


def pdfsig(pdf: Path) -> list[str]:
    """pdfsig's report, one block of lines per signature field."""
    out = subprocess.run(["pdfsig", str(pdf)], capture_output=True, text=True).stdout
    return re.split(r"\nSignature #\d+:\n", out)[1:]


def signed(data: dict) -> dict[str, dict]:
    return {f["name"]: f for f in data["fields"] if f["signed"]}


# -- B-B and B-T -----------------------------------------------------------------------


@needs_pdfsig
def test_b_b_then_b_t(agreement: Path, pki: Pki, ok_tsa: str) -> None:
    sign(agreement, pki, "sam")
    sam = signed(verify_json(agreement, pki))["sig-sam-rivera"]
    assert sam["pades_level"] == "B-B" and sam["timestamp_at"] is None
    sign(agreement, pki, "dana", "--tsa", ok_tsa)
    data = verify_json(agreement, pki)
    assert data["exit_code"] == 0 and data["ok"]
    dana = signed(data)["sig-dana-okafor"]
    assert dana["pades_level"] == "B-T"
    assert dana["tsa"] == "Mend Test TSA" and dana["timestamp_at"]
    assert dana["trusted"] and dana["trust_note"] == "trusted via Mend Test Root CA"
    blocks = pdfsig(agreement)
    assert all("Signature is Valid" in b for b in blocks)
    assert "Total document signed" in blocks[0]  # Dana's field comes first in the form
    text = run("verify", agreement, "--trust", pki.root_pem).output
    assert "time-stamp: " in text and "by Mend Test TSA" in text
    assert "PAdES level: B-T" in text


def test_tsas_are_tried_in_order(agreement: Path, pki: Pki, ok_tsa: str) -> None:
    down = free_port_url()
    result = run(
        "sign", agreement, "--key", pki.p12("sam"), "--in-place", "--tsa", down, "--tsa", ok_tsa
    )
    assert result.exit_code == 0, result.output
    assert f"time-stamp authority: {ok_tsa}" in result.output
    (sam,) = signed(verify_json(agreement, pki)).values()
    assert sam["pades_level"] == "B-T"


def test_tsa_from_mend_toml(tmp_path: Path, agreement: Path, pki: Pki, ok_tsa: str) -> None:
    ws = make_workspace(tmp_path / "ws", {}, config=f'[signing]\ntsa = ["{ok_tsa}"]\n')
    result = run("sign", agreement, "--key", pki.p12("sam"), "--in-place", "--workspace", ws)
    assert result.exit_code == 0, result.output
    (sam,) = signed(verify_json(agreement, pki)).values()
    assert sam["pades_level"] == "B-T"


def test_every_tsa_failing_writes_nothing(
    tmp_path: Path, agreement: Path, pki: Pki, tsa: tuple[Tsa, str]
) -> None:
    """Down, slow past the timeout, and garbage: exit 1, each URL and why, no file."""
    server, url = tsa
    ws = make_workspace(tmp_path / "ws", {}, config="[signing]\ntsa_timeout = 0.5\n")
    down = free_port_url()
    out = tmp_path / "signed.pdf"
    before = agreement.read_bytes()
    for mode, why in (("garbage", "not a time-stamp reply"), ("slow", "timed out")):
        server.mode = mode
        server.slow_seconds = 2.0
        result = run(
            "sign", agreement, "--key", pki.p12("sam"), "--out", out,
            "--tsa", down, "--tsa", url, "--workspace", ws,
        )  # fmt: skip
        assert result.exit_code == 1
        assert "Traceback" not in result.output
        assert "nothing was signed" in result.output
        assert f"{down}: connection refused" in result.output
        assert f"{url}: " in result.output and why in result.output, result.output
        assert not out.exists()
        assert agreement.read_bytes() == before
    server.mode = "ok"


# -- B-LT, B-LTA and renewing the archive time-stamp ------------------------------------------


@needs_pdfsig
def test_b_lt_and_b_lta_round_trip(agreement: Path, pki: Pki, ok_tsa: str) -> None:
    sign(agreement, pki, "sam", "--certify", "--tsa", ok_tsa, "--ltv", *validation_args(pki))
    sam = signed(verify_json(agreement, pki))["sig-sam-rivera"]
    assert sam["pades_level"] == "B-LT" and sam["kind"] == "certification"
    (block,) = [b for b in pdfsig(agreement) if "Sam Rivera" in b]
    assert "Signature is Valid" in block
    sign(agreement, pki, "dana", "--tsa", ok_tsa, "--archive", *validation_args(pki))
    data = verify_json(agreement, pki)
    assert data["exit_code"] == 0, data
    fields = signed(data)
    assert fields["sig-dana-okafor"]["pades_level"] == "B-LTA"
    assert fields["sig-sam-rivera"]["pades_level"] == "B-LTA"
    stamps = [f for f in fields.values() if f["kind"] == "document time-stamp"]
    assert [s["name"] for s in stamps] == ["doc-timestamp-1"]
    # The AdES verdict and the classic one agree on a good file.
    assert fields["sig-dana-okafor"]["ades"] == "PASSED"
    for block in pdfsig(agreement):
        if (
            "Signer Certificate Common Name: Mend Test TSA" not in block
            and "not signed" not in block
        ):
            assert "Signature is Valid" in block

    result = run("timestamp", agreement, "--tsa", ok_tsa, *validation_args(pki))
    assert result.exit_code == 0, result.output
    assert pdfa_problems(agreement) == []
    data = verify_json(agreement, pki)
    assert data["exit_code"] == 0, data
    names = [f["name"] for f in data["fields"] if f["kind"] == "document time-stamp"]
    assert names == ["doc-timestamp-1", "doc-timestamp-2"]


def test_archive_needs_a_tsa(agreement: Path, pki: Pki) -> None:
    result = run("sign", agreement, "--key", pki.p12("sam"), "--in-place", "--archive")
    assert result.exit_code == 1 and "no time-stamp authority given" in result.output


# -- Certify and lock ------------------------------------------------------------------------


def _rewrite_first_page(pdf: Path, content: bytes, add_page: bool = False) -> None:
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    with pdf.open("rb") as handle:
        writer = IncrementalPdfFileWriter(handle, strict=False)
        if add_page:
            page = generic.DictionaryObject(
                {
                    generic.pdf_name("/Type"): generic.pdf_name("/Page"),
                    generic.pdf_name("/MediaBox"): generic.ArrayObject(
                        [generic.NumberObject(n) for n in (0, 0, 595, 842)]
                    ),
                    generic.pdf_name("/Contents"): writer.add_object(
                        generic.StreamObject(stream_data=content)
                    ),
                }
            )
            writer.insert_page(page)
        else:
            page_ref = writer.find_page_for_modification(0)[0]
            page = page_ref.get_object()
            page["/Contents"] = writer.add_object(generic.StreamObject(stream_data=content))
            writer.update_container(page)
        out = io.BytesIO()
        writer.write(out)
    pdf.write_bytes(out.getvalue())


@pytest.mark.parametrize("change", ["changed text", "added page"])
def test_a_change_after_a_locked_signature_fails_naming_it(
    agreement: Path, pki: Pki, ok_tsa: str, change: str
) -> None:
    sign(agreement, pki, "sam", "--certify", "--tsa", ok_tsa)
    _rewrite_first_page(
        agreement, b"BT /F1 24 Tf 72 700 Td (We owe nothing) Tj ET", add_page=change == "added page"
    )
    result = run("verify", agreement, "--trust", pki.root_pem)
    assert result.exit_code == 1
    assert "changed after signing" in result.output
    assert "revision 3 of 3, after sig-sam-rivera" in result.output
    sam = signed(verify_json(agreement, pki))["sig-sam-rivera"]
    assert sam["intact"] and not sam["changes_allowed"]
    assert sam["changed_after"] == "revision 3 of 3, after sig-sam-rivera"
    assert sam["ades"].startswith(("FAILED", "INDETERMINATE"))


def test_a_tampered_byte_fails(agreement: Path, pki: Pki, ok_tsa: str) -> None:
    sign(agreement, pki, "sam", "--tsa", ok_tsa)
    data = bytearray(agreement.read_bytes())
    data[10] ^= 0x01  # in the binary comment: inside the signed bytes, harmless to parsers
    agreement.write_bytes(bytes(data))
    result = run("verify", agreement, "--trust", pki.root_pem)
    assert result.exit_code == 1
    assert "the signed content was changed after signing" in result.output


def test_the_second_signer_keeps_the_certification_valid(
    agreement: Path, pki: Pki, ok_tsa: str
) -> None:
    sign(agreement, pki, "sam", "--certify", "--tsa", ok_tsa)
    sign(agreement, pki, "dana", "--tsa", ok_tsa)
    data = verify_json(agreement, pki)
    assert data["exit_code"] == 0, data
    sam = signed(data)["sig-sam-rivera"]
    assert sam["later_changes"] == "signatures only" and sam["changes_allowed"]
    result = run("sign", agreement, "--key", pki.p12("dana"), "--in-place", "--certify")
    assert result.exit_code == 1


# -- Tied to the case -------------------------------------------------------------------------


def test_verify_case_tells_a_matching_copy_from_a_moved_case(
    tmp_path: Path, workspace: Path, agreement: Path, pki: Pki
) -> None:
    sign(agreement, pki, "sam")
    result = run(
        "verify", agreement, "--case", "acme", "--workspace", workspace, "--today", "2026-11-22"
    )
    assert result.exit_code == 0, result.output
    assert "agreement.json matches case acme" in result.output

    moved = FULL_CASE.replace(
        "Weekly written status every Friday by 16:00", "Monthly written status"
    ).replace(
        "      due: 2026-12-04\n    - party: client", "      due: 2026-12-18\n    - party: client"
    )
    assert moved != FULL_CASE
    ws = make_workspace(tmp_path / "moved", {"acme.yaml": moved})
    result = run("verify", agreement, "--case", "acme", "--workspace", ws)
    assert result.exit_code == 1
    assert "agreement.json differs from case acme" in result.output
    assert "commitment #1: text changed" in result.output
    assert "commitment #1: due date changed" in result.output
    assert "(no amendment records it)" in result.output
    data = json.loads(run("verify", agreement, "--case", "acme", "-w", ws, "--json").output)
    assert data["case"]["matches"] is False
    assert {c["how"] for c in data["case"]["changes"]} == {"text changed", "due date changed"}

    result = run("check", "acme", "--workspace", ws, "--signed", agreement)
    assert result.exit_code == 0
    assert "coach:" in result.output and "no amendment records it" in result.output


def test_an_amendment_records_a_change() -> None:
    """Commitment ids and amendments (case format of 2026-12-01) as the record carries them."""
    signed_record = {
        "case": "acme",
        "agreement": {
            "commitments": [{"id": "weekly-status", "text": "Weekly status", "due": "2026-12-04"}],
            "signatories": [{"name": "Dana Okafor"}],
        },
        "milestones": [],
    }
    current = json.loads(json.dumps(signed_record))
    current["agreement"]["commitments"][0]["due"] = "2026-12-18"
    current["agreement"]["commitments"].append({"id": "sign-off", "text": "Sign-off meeting"})
    current["agreement"]["signatories"].append({"name": "Lee Chen"})
    unrecorded = compare_records(signed_record, current)
    assert not unrecorded.matches and len(unrecorded.unrecorded) == 3
    current["agreement"]["amendments"] = [
        {"date": "2026-12-15", "summary": "Moved", "commitments": ["weekly-status"]}
    ]
    partly = compare_records(signed_record, current)
    by_what = {c.what: c for c in partly.changes}
    assert by_what["commitment weekly-status"].amendment == "2026-12-15"
    assert by_what["commitment sign-off"].amendment is None
    assert by_what["signatory Lee Chen"].amendment == "2026-12-15"
    assert (
        "recorded by the amendment of 2026-12-15" in by_what["commitment weekly-status"].describe()
    )


# -- Certificates a client can trust ----------------------------------------------------------


@needs_pdfsig
def test_team_ca_and_issued_signer(tmp_path: Path, agreement: Path) -> None:
    ca, sam = tmp_path / "ca.p12", tmp_path / "sam.p12"
    assert run("keygen", "Brightline Studio CA", "--ca", "--out", ca).exit_code == 0
    result = run("keygen", "Sam Rivera", "--issuer", ca, "--out", sam)
    assert result.exit_code == 0, result.output
    result = run("sign", agreement, "--key", sam, "--in-place")
    assert result.exit_code == 0, result.output
    trusted = run("verify", agreement, "--trust", tmp_path / "ca.crt")
    assert trusted.exit_code == 0 and "trust: trusted via Brightline Studio CA" in trusted.output
    untrusted = run("verify", agreement)
    assert "issued by Brightline Studio CA, which is not in --trust" in untrusted.output
    (block, *_rest) = [b for b in pdfsig(agreement) if "Sam Rivera" in b]
    assert "Signature is Valid" in block
    # A signer's key is not a CA: it cannot issue.
    result = run("keygen", "Someone", "--issuer", sam, "--out", tmp_path / "x.p12")
    assert result.exit_code == 1 and "not a certificate authority" in result.output
