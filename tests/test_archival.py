"""The agreement made to be kept: PDF/A-3b, tagged, carrying agreement.json, PDF/A after signing.

The PDF/A checks read the file with pikepdf (qpdf), not with the pyHanko
that wrote the signatures, so the writer does not grade its own work.
"""

from __future__ import annotations

import json
from pathlib import Path

import pikepdf
import pytest

from generator.build import build
from generator.record import RECORD_NAME, compare_records, read_record
from generator.signing import keygen, sign_pdf, verify_pdf

from .conftest import FULL_CASE, SENTINELS, TODAY, make_workspace
from .pdfa import embedded_record, pdfa_problems


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = make_workspace(tmp_path_factory.mktemp("ws"), {"acme.yaml": FULL_CASE})
    assert build(ws, today=TODAY, formats=("pdf",), kinds=("agreement",), cases=["acme"]).ok
    return ws / "output" / "acme" / "agreement.pdf"


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("keys")
    keygen("Dana Okafor", folder / "dana.p12")
    keygen("Sam Rivera", folder / "sam.p12")
    return {"dana": folder / "dana.p12", "sam": folder / "sam.p12"}


def test_the_agreement_is_pdfa_3b_by_default(built: Path) -> None:
    assert pdfa_problems(built) == []
    with pikepdf.open(built) as pdf:
        meta = pdf.open_metadata()
        assert meta.pdfa_status == "3B"
        # Tagged, so that a screen reader follows the structure, in the page's language.
        assert pdf.Root.MarkInfo.Marked is True
        assert "/StructTreeRoot" in pdf.Root
        assert str(pdf.Root.Lang) == "en"
        # agreement.json is an associated file of the document, listed once.
        (spec,) = list(pdf.Root.AF)
        assert spec.AFRelationship == "/Data"
        assert str(spec.UF) == RECORD_NAME
        assert spec.EF.F.Subtype == "/application/json"


def test_agreement_json_holds_what_was_agreed(built: Path) -> None:
    record = json.loads(embedded_record(built))
    assert record["format"] == 1 and record["generator"].startswith("mend ")
    assert record["case"] == "acme"
    assert record["title"] == "Getting the Acme portal back on track"
    assert [p["organisation"] for p in record["parties"]] == [
        "Acme Logistics Ltd",
        "Brightline Studio",
    ]
    agreement = record["agreement"]
    assert agreement["effective"] == "2026-11-25" and agreement["review"] == "2027-01-26"
    assert [s["name"] for s in agreement["signatories"]] == ["Dana Okafor", "Sam Rivera"]
    texts = [c["text"] for c in agreement["commitments"]]
    assert "Weekly written status every Friday by 16:00" in texts
    assert all("due" in c for c in agreement["commitments"])
    assert [m["id"] for m in record["milestones"]] == ["tests-green", "relaunch"]
    # Where a milestone stands today is not part of what was agreed.
    assert all("status" not in m for m in record["milestones"])
    # mend's own reader finds the same record.
    assert read_record(built) == record


def test_no_internal_field_reaches_agreement_json(built: Path) -> None:
    data = embedded_record(built).decode("utf-8")
    for sentinel in SENTINELS:
        assert sentinel not in data
    for key in ("culture", "listening", "client_view", "our_view", "internal_notes"):
        assert f'"{key}"' not in data


def test_the_same_case_gives_the_same_bytes(tmp_path: Path, built: Path) -> None:
    ws = make_workspace(tmp_path / "again", {"acme.yaml": FULL_CASE})
    assert build(ws, today=TODAY, formats=("pdf",), kinds=("agreement",), cases=["acme"]).ok
    assert (ws / "output" / "acme" / "agreement.pdf").read_bytes() == built.read_bytes()


def test_archival_can_be_turned_off(tmp_path: Path) -> None:
    ws = make_workspace(
        tmp_path / "ws", {"acme.yaml": FULL_CASE}, config="[pdf]\narchival = false\n"
    )
    assert build(ws, today=TODAY, formats=("pdf",), kinds=("agreement",), cases=["acme"]).ok
    with pikepdf.open(ws / "output" / "acme" / "agreement.pdf") as pdf:
        assert pdf.open_metadata().pdfa_status == ""
        assert "/AF" not in pdf.Root and len(pdf.attachments) == 0


def test_signature_fields_lock_themselves(built: Path) -> None:
    """FieldMDP Include of the field itself: never All, which breaks the second signer."""
    with pikepdf.open(built) as pdf:
        for field in pdf.Root.AcroForm.Fields:
            lock = field.Lock
            assert lock.Action == "/Include"
            assert [str(n) for n in lock.Fields] == [str(field.T)]


def test_stays_pdfa_after_every_signature(
    tmp_path: Path, built: Path, keys: dict[str, Path]
) -> None:
    """PDF/A requires Info's Producer to equal the XMP's: pyHanko made them differ."""
    first, second = tmp_path / "one.pdf", tmp_path / "two.pdf"
    assert pdfa_problems(built) == []
    sign_pdf(built, keys["sam"], passphrase=None, field="sig-sam-rivera", out=first)
    assert pdfa_problems(first) == []
    sign_pdf(first, keys["dana"], passphrase=None, field=None, out=second)
    assert pdfa_problems(second) == []
    assert verify_pdf(second).ok
    # The record is still there, unchanged, in the signed file.
    assert embedded_record(second) == embedded_record(built)


def test_the_pdfa_check_catches_what_signing_used_to_break(tmp_path: Path, built: Path) -> None:
    """The checker itself: an Info Producer the XMP does not share is reported."""
    broken = tmp_path / "broken.pdf"
    with pikepdf.open(built) as pdf:
        pdf.docinfo["/Producer"] = "WeasyPrint 70.0; pyHanko 0.38.0"
        pdf.save(broken, fix_metadata_version=False)
    assert any("Producer" in p for p in pdfa_problems(broken))


def test_a_signed_copy_is_compared_with_the_record(built: Path) -> None:
    record = read_record(built)
    assert compare_records(record, record).matches
