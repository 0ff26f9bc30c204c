"""Building a workspace: deterministic, atomic, and nothing good lost."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator import output
from generator.build import build
from generator.cli import main
from generator.serve import Preview

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
    assert any("acme.yaml:" in f and 'not a date: "soon"' in f for f in report.messages)
    assert (out / "acme" / "plan.html").read_bytes() == before
    assert "Brand review v2" in (out / "harbour" / "plan.html").read_text()
    assert "acme.yaml" in (out / "index.html").read_text()  # listed as not built


def test_failures_are_reported_as_data_with_file_line_and_field(tmp_path):
    """serve and the index group failures by file: they read fields, not split strings."""
    broken = textwrap.dedent(FULL_CASE).replace("due: 2026-12-04", "due: soon", 1)
    ws = make_workspace(tmp_path / "ws", {"acme.yaml": broken, "b.yaml": MINIMAL_CASE})
    report = build(ws, today=TODAY, formats=("md",))
    [problem] = report.failed
    assert (problem.file, problem.path) == ("content/acme.yaml", "plan.milestones[0].due")
    assert problem.line == broken.splitlines().index("      due: soon") + 1
    assert problem.message == 'not a date: "soon" (expected YYYY-MM-DD)'
    assert report.messages == [str(problem)]


def test_a_failing_template_writes_nothing_for_that_case(tmp_path):
    ws = make_workspace(tmp_path / "ws", {"acme.yaml": FULL_CASE})
    assert build(ws, today=TODAY, formats=("md", "html")).ok
    before = snapshot(ws / "output")
    (ws / "content" / "acme.yaml").write_text(FULL_CASE.replace("Thank you for", "Many thanks for"))
    broken = ws / "templates" / "html" / "agreement.html"
    broken.parent.mkdir(parents=True)
    broken.write_text("{{ no_such_thing }}")
    report = build(ws, today=TODAY, formats=("md", "html"))
    assert not report.ok and "no_such_thing" in report.messages[0]
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
    assert any('case id "same" is already used by content/a.yaml' in f for f in report.messages)


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


# -- one build at a time per output folder -------------------------------------------------

MEND = [sys.executable, "-m", "generator.cli"]
ROOT = Path(__file__).resolve().parent.parent

HOLD_LOCK = """
import sys, time
from pathlib import Path
from generator.output import BuildLock
out = Path(sys.argv[1])
BuildLock(out, out.parent).__enter__()
print("holding", flush=True)
time.sleep(60)
"""


def dated_outputs(out: Path) -> set[str]:
    return {
        str(p.relative_to(out))
        for p in out.rglob("*")
        if p.is_file() and p.name.startswith(("agenda-", "brief-"))
    }


def test_two_builds_at_once_leave_nothing_the_last_manifest_does_not_own(tmp_path):
    """The issue's reproduction: two `mend build` with different --today at
    once, then a normal build. Before the lock, the later manifest forgot the
    other build's agenda and brief, and no build removed them again."""
    ws = make_workspace(tmp_path / "ws", {"acme.yaml": FULL_CASE, "harbour.yaml": MINIMAL_CASE})
    out = ws / "output"
    common = ["build", "-w", str(ws), "-f", "md,html", "-q"]
    rounds = [
        ("2026-11-22", "2026-12-02"),
        ("2026-12-09", "2026-11-29"),
        ("2026-12-16", "2026-12-23"),
    ]
    for first, second in rounds:
        runs = [
            subprocess.Popen(
                [*MEND, *common, "--today", day],
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            for day in (first, second)
        ]
        for run in runs:
            _, err = run.communicate(timeout=120)
            # The second waits for the first; on a very loaded machine it may
            # give up after its few seconds, and say so.
            assert run.returncode == 0 or "is still writing" in err, err
        subprocess.run([*MEND, *common, "--today", "2026-12-30"], cwd=ROOT, check=True)
        manifest = json.loads((out / ".mend-manifest.json").read_text(encoding="utf-8"))
        owned = {rel for entry in manifest["cases"].values() for rel in entry["outputs"]}
        assert dated_outputs(out) <= owned, f"left behind after {first} and {second}"
        assert dated_outputs(out) == {
            "acme/agenda-2027-01-05.md",
            "acme/agenda-2027-01-05.html",
            "acme/internal/brief-2027-01-05.md",
            "acme/internal/brief-2027-01-05.html",
        }


@pytest.fixture
def held_lock(tmp_path):
    """Another process holding the build lock of tmp_path/ws/output."""
    out = tmp_path / "ws" / "output"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(out)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline().strip() == "holding"
    yield holder
    holder.kill()
    holder.wait()


def test_a_second_build_waits_then_refuses_and_writes_nothing(tmp_path, held_lock, monkeypatch):
    ws = make_workspace(tmp_path / "ws", {"acme.yaml": FULL_CASE})
    monkeypatch.setattr(output, "LOCK_WAIT", 0.3)
    for command in (["build"], ["plan", "acme"], ["recap", "acme"]):
        args = [*command, "-w", str(ws), "--today", TODAY.isoformat()]
        if command[0] == "recap":
            args += ["-f", "eml"]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
        assert result.stderr.splitlines() == [
            f"waiting for another mend build (pid {held_lock.pid}) to finish writing output/ ...",
            f"error: another mend build (pid {held_lock.pid}) is still writing output/ after "
            "0.3 s; nothing was built, run the build again when it has finished",
        ]
    assert sorted(p.name for p in (ws / "output").iterdir()) == [".mend-lock"]
    # The holder dies without releasing: the system drops its lock at once.
    held_lock.kill()
    held_lock.wait()
    result = CliRunner().invoke(
        main, ["build", "-w", str(ws), "--today", TODAY.isoformat(), "-f", "md"]
    )
    assert result.exit_code == 0 and "waiting" not in result.stderr, result.output


def test_serve_rebuild_beside_a_build_waits_then_shows_why(tmp_path, held_lock, monkeypatch):
    ws = make_workspace(tmp_path / "ws", {"acme.yaml": FULL_CASE})
    monkeypatch.setattr(output, "LOCK_WAIT", 0.3)
    said: list[str] = []
    preview = Preview(ws, port=0, today=TODAY, echo=lambda message, error: said.append(message))
    preview.rebuild()  # does not raise: the server keeps running
    assert said[0].startswith("waiting for another mend build")
    assert "is still writing output/" in preview.state.general[0]
    assert not (ws / "output" / "acme").exists()
    held_lock.kill()
    held_lock.wait()
    preview.rebuild()
    assert preview.state.general == [] and (ws / "output" / "acme" / "plan.html").is_file()


def test_staging_refuses_a_folder_or_file_that_links_out_of_the_output(tmp_path: Path) -> None:
    """The folder is resolved once a staging; a link anywhere still takes the file outside."""
    from pathlib import PurePosixPath

    from generator.errors import MendError, WriteError
    from generator.output import Staging

    out = tmp_path / "output"
    outside = tmp_path / "elsewhere"
    (out / "acme").mkdir(parents=True)
    outside.mkdir()
    (out / "linked").symlink_to(outside)
    (out / "acme" / "plan.md").symlink_to(outside / "plan.md")
    staging = Staging(out, tmp_path)
    staging.add(PurePosixPath("acme/agenda.md"), b"fine")
    staging.add(PurePosixPath("acme/internal/brief.md"), b"fine")  # a new folder
    for rel in ("linked/plan.md", "acme/plan.md", "acme/../linked/x.md"):
        with pytest.raises(MendError, match="outside the output folder"):
            staging.add(PurePosixPath(rel), b"no")
    (out / "afile").write_text("")
    with pytest.raises(WriteError):
        staging.add(PurePosixPath("afile/plan.md"), b"no")
    assert sorted(rel for rel, _ in staging.staged) == ["acme/agenda.md", "acme/internal/brief.md"]
    staging.discard()
    assert list(outside.iterdir()) == []
