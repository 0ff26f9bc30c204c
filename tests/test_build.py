"""Building a workspace: deterministic, atomic, and nothing good lost."""

from __future__ import annotations

from pathlib import Path

from generator.build import build

from .conftest import FULL_CASE, MINIMAL_CASE, TODAY, make_workspace


def snapshot(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_same_inputs_give_byte_identical_outputs(tmp_path, workspace):
    first = build(workspace, today=TODAY, formats=("md", "html"), out=tmp_path / "one")
    second = build(workspace, today=TODAY, formats=("md", "html"), out=tmp_path / "two")
    assert first.ok and second.ok
    assert snapshot(tmp_path / "one") == snapshot(tmp_path / "two")


def test_layout_of_outputs(workspace):
    assert build(workspace, today=TODAY, formats=("md", "html")).ok
    files = set(snapshot(workspace / "output"))
    assert {
        "index.html",
        "acme/agenda-2026-11-24.md",
        "acme/agenda-2026-11-24.html",
        "acme/plan.md",
        "acme/plan.html",
        "acme/agreement.html",
        "acme/internal/brief-2026-11-24.md",
        "acme/internal/brief-2026-11-24.html",
        "harbour/plan.md",
        "harbour/plan.html",
    } <= files
    # The minimal case has no check-ins and no meetings: no agenda, no brief.
    assert not any(
        f.startswith("harbour/agenda") or "brief" in f and f.startswith("harbour") for f in files
    )


def test_rebuild_leaves_unchanged_files_alone(workspace):
    build(workspace, today=TODAY, formats=("md", "html"))
    again = build(workspace, today=TODAY, formats=("md", "html"))
    assert again.written == [] and len(again.unchanged) == 10


def test_a_bad_case_keeps_its_last_good_output_and_others_build(workspace):
    assert build(workspace, today=TODAY, formats=("md", "html")).ok
    out = workspace / "output"
    before = (out / "acme" / "plan.html").read_bytes()
    (workspace / "content" / "acme.yaml").write_text(
        FULL_CASE.replace("due: 2026-12-04", "due: soon")
    )
    (workspace / "content" / "harbour.yaml").write_text(
        MINIMAL_CASE.replace("Brand review", "Brand review v2")
    )
    report = build(workspace, today=TODAY, formats=("md", "html"))
    assert not report.ok
    assert any("acme.yaml:" in f and 'not a date: "soon"' in f for f in report.failed)
    assert (out / "acme" / "plan.html").read_bytes() == before
    assert "Brand review v2" in (out / "harbour" / "plan.html").read_text()
    assert "acme.yaml" in (out / "index.html").read_text()  # listed as not built


def test_a_failing_template_writes_nothing_for_that_case(tmp_path):
    ws = make_workspace(tmp_path / "ws", {"acme.yaml": FULL_CASE})
    assert build(ws, today=TODAY, formats=("md", "html")).ok
    before = snapshot(ws / "output")
    (ws / "content" / "acme.yaml").write_text(FULL_CASE.replace("Thank you for", "Many thanks for"))
    broken = ws / "templates" / "html" / "agreement.html"
    broken.parent.mkdir(parents=True)
    broken.write_text("{{ no_such_thing }}")
    report = build(ws, today=TODAY, formats=("md", "html"))
    assert not report.ok and "no_such_thing" in report.failed[0]
    after = snapshot(ws / "output")
    assert {k: v for k, v in after.items() if k.startswith("acme/")} == {
        k: v for k, v in before.items() if k.startswith("acme/")
    }
    assert not [p for p in (ws / "output").rglob("*.tmp")]


def test_duplicate_case_ids_are_an_error(tmp_path):
    ws = make_workspace(
        tmp_path / "ws",
        {"a.yaml": "id: same\n" + MINIMAL_CASE, "b.yaml": "id: same\n" + MINIMAL_CASE},
    )
    report = build(ws, today=TODAY, formats=("html",))
    assert any('case id "same" is already used by content/a.yaml' in f for f in report.failed)


def test_index_lists_every_case_with_status_and_links(workspace):
    build(workspace, today=TODAY, formats=("md", "html"))
    index = (workspace / "output" / "index.html").read_text()
    assert "Getting the Acme portal back on track" in index and "A small case" in index
    assert 'href="acme/plan.html"' in index and 'href="acme/agenda-2026-11-24.html"' in index
    assert "internal" not in index.split("<main>")[1]
