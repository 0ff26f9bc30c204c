"""The command line, run in-process with click's CliRunner."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from generator.cli import main

from .conftest import FULL_CASE

REPO = Path(__file__).resolve().parent.parent


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_help_lists_the_commands():
    result = run("--help")
    assert result.exit_code == 0
    for command in ("build", "check", "brief", "agenda", "plan", "recap", "agreement"):
        assert command in result.output


def test_check_valid_workspace(workspace):
    result = run("check", "--workspace", str(workspace), "--today", "2026-11-22")
    assert result.exit_code == 0
    assert "2 valid, 0 invalid" in result.output


def test_check_broken_case_prints_precise_errors_and_exits_1(workspace):
    path = workspace / "content" / "acme.yaml"
    path.write_text(
        FULL_CASE.replace("due: 2026-12-04", "due: 2026-13-01", 1).replace(
            "  milestones:", "  mielstones: []\n  milestones:"
        )
    )
    result = run("check", "acme", "--workspace", str(workspace))
    assert result.exit_code == 1
    assert (
        "content/acme.yaml:56: plan.mielstones: unknown key `mielstones` at plan: did you mean `milestones`?"
        in result.output
    )
    assert 'content/acme.yaml:60: plan.milestones[0].due: not a date: "2026-13-01"' in result.output
    assert "Traceback" not in result.output


def test_build_and_single_documents(workspace):
    result = run("build", "-w", str(workspace), "--today", "2026-11-22", "--format", "md,html")
    assert result.exit_code == 0, result.output
    assert "0 failed" in result.output
    result = run(
        "agenda",
        "acme",
        "-w",
        str(workspace),
        "--today",
        "2026-11-22",
        "-f",
        "md",
        "--out",
        str(workspace / "x"),
    )
    assert result.exit_code == 0, result.output
    assert [p.name for p in (workspace / "x" / "acme").iterdir()] == ["agenda-2026-11-24.md"]


def test_no_agenda_without_a_next_meeting(workspace):
    result = run("agenda", "harbour", "-w", str(workspace), "--today", "2026-11-22", "-f", "md")
    assert result.exit_code == 1
    assert "no agenda to build" in result.output and "plan.checkins" in result.output


def test_bad_command_line_is_exit_2(workspace):
    assert run("build", "--format", "docx", "-w", str(workspace)).exit_code == 2
    assert run("build", "--today", "tomorrow", "-w", str(workspace)).exit_code == 2


def test_unknown_case(workspace):
    result = run("plan", "nope", "-w", str(workspace))
    assert result.exit_code == 1 and "no case `nope`" in result.output


def test_example_workspace_builds(tmp_path):
    ws = tmp_path / "example"
    shutil.copytree(REPO / "content", ws / "content")
    result = run("check", "-w", str(ws), "--today", "2026-11-22")
    assert result.exit_code == 0, result.output
    assert "5 valid, 0 invalid, 0 warnings" in result.output
    result = run("build", "-w", str(ws), "--today", "2026-11-22", "--format", "md,html")
    assert result.exit_code == 0, result.output
    out = ws / "output"
    assert (out / "acme-portal" / "agenda-2026-11-24.html").is_file()
    assert (out / "harbour-bakery" / "internal" / "brief-2026-11-26.md").is_file()
    assert (out / "northwind-billing" / "agreement.html").is_file()
