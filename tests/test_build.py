"""Building a workspace: deterministic, atomic, and nothing good lost."""

from __future__ import annotations

from datetime import date
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
    assert again.written == [] and again.skipped == 9  # index.html is always re-rendered
    assert again.unchanged == ["index.html"]


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


def outputs_written(report, out: Path) -> set[str]:
    return set(report.written)


def test_editing_one_template_rebuilds_exactly_the_documents_that_use_it(workspace):
    out = workspace / "output"
    build(workspace, today=TODAY, formats=("md", "html"))
    override = workspace / "templates" / "md" / "agenda.md"
    override.parent.mkdir(parents=True)
    override.write_text("# Agenda for {{ case.title }}\n")
    report = build(workspace, today=TODAY, formats=("md", "html"))
    assert outputs_written(report, out) == {"acme/agenda-2026-11-24.md"}
    assert report.skipped == 8
    # A template that every HTML page includes rebuilds every HTML page.
    style = workspace / "templates" / "html" / "style.css"
    style.parent.mkdir(parents=True)
    style.write_text("body { color: black; }")
    report = build(workspace, today=TODAY, formats=("md", "html"))
    assert outputs_written(report, out) == {
        "acme/agenda-2026-11-24.html",
        "acme/plan.html",
        "acme/agreement.html",
        "acme/internal/brief-2026-11-24.html",
        "harbour/plan.html",
        "index.html",
    }


def test_editing_one_case_rebuilds_only_that_case(workspace):
    out = workspace / "output"
    build(workspace, today=TODAY, formats=("md", "html"))
    (workspace / "content" / "harbour.yaml").write_text(
        MINIMAL_CASE.replace("A small case", "A smaller case")
    )
    report = build(workspace, today=TODAY, formats=("md", "html"))
    assert outputs_written(report, out) == {"harbour/plan.md", "harbour/plan.html", "index.html"}
    assert report.skipped == 7


def test_removing_a_case_removes_its_outputs(workspace):
    out = workspace / "output"
    build(workspace, today=TODAY, formats=("md", "html"))
    (out / "notes.txt").write_text("mine")  # not mend's: never touched
    (workspace / "content" / "acme.yaml").unlink()
    report = build(workspace, today=TODAY, formats=("md", "html"))
    assert not (out / "acme").exists()
    assert len(report.removed) == 7
    assert (out / "notes.txt").read_text() == "mine"
    assert "Acme" not in (out / "index.html").read_text()


def test_a_new_today_replaces_the_past_agenda(workspace):
    out = workspace / "output"
    build(workspace, today=TODAY, formats=("md", "html"))
    report = build(workspace, today=date(2026, 11, 25), formats=("md", "html"))
    assert (out / "acme" / "agenda-2026-12-01.md").is_file()
    assert not (out / "acme" / "agenda-2026-11-24.md").exists()
    assert "acme/agenda-2026-11-24.md" in report.removed


def test_force_renders_everything(workspace):
    build(workspace, today=TODAY, formats=("md", "html"))
    report = build(workspace, today=TODAY, formats=("md", "html"), force=True)
    assert report.skipped == 0 and len(report.unchanged) == 10


def test_output_is_identical_whatever_jobs(tmp_path):
    cases = {f"case-{i}.yaml": FULL_CASE.replace("id: acme", f"id: case-{i}") for i in range(70)}
    ws = make_workspace(tmp_path / "ws", cases)
    one = build(ws, today=TODAY, formats=("md", "html"), out=tmp_path / "one", jobs=1)
    two = build(ws, today=TODAY, formats=("md", "html"), out=tmp_path / "two", jobs=2)
    assert one.ok and two.ok and len(one.written) == len(two.written) == 70 * 7 + 1
    assert snapshot(tmp_path / "one") == snapshot(tmp_path / "two") or _same_but_manifest(tmp_path)


def _same_but_manifest(tmp_path: Path) -> bool:
    one, two = snapshot(tmp_path / "one"), snapshot(tmp_path / "two")
    one.pop(".mend-manifest.json"), two.pop(".mend-manifest.json")
    return one == two
