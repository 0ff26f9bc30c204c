"""Fast start: help and check never import the heavy libraries."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

from generator.cli import main

from .conftest import FULL_CASE, MINIMAL_CASE, make_workspace

HEAVY = ("weasyprint", "pyhanko", "icalendar", "watchfiles", "aiosmtpd")


def imported_after(args: list[str], cwd, modules: tuple[str, ...] = HEAVY) -> set[str]:
    """Which of ``modules`` are imported once the command ``mend ARGS`` has run."""
    code = (
        "import sys\n"
        "from generator.cli import main\n"
        "try:\n"
        f"    main({args!r}, standalone_mode=False)\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print('HEAVY=' + ','.join(m for m in {modules!r} if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd, check=True
    )
    line = result.stdout.splitlines()[-1]
    assert line.startswith("HEAVY=")
    return set(filter(None, line.removeprefix("HEAVY=").split(",")))


def test_help_imports_nothing_heavy(tmp_path):
    assert imported_after(["--help"], tmp_path) == set()


def test_check_imports_nothing_heavy(tmp_path):
    ws = make_workspace(tmp_path / "ws", {"harbour.yaml": MINIMAL_CASE})
    assert imported_after(["check", "--workspace", str(ws)], tmp_path) == set()


#: What reading and validating a case needs, and ``mend --help`` does not:
#: the case format's pydantic models cost more than all the rest of it.
CASE_MODULES = ("pydantic", "generator.model", "yaml", "ruamel", "jinja2", "babel", "markdown")


def test_help_imports_no_case_model(tmp_path):
    assert imported_after(["--help"], tmp_path, CASE_MODULES) == set()


#: What click imports for none of its own needs before printing help: mend's
#: command definitions must not bring them in either (``PathType`` and
#: ``_help_width`` in cli.py, ``Kind`` in kinds.py).
NOT_FOR_HELP = ("pathlib", "shutil", "dataclasses", "generator.errors", "generator.i18n")


def test_help_imports_only_what_click_needs(tmp_path):
    assert imported_after(["--help"], tmp_path, NOT_FOR_HELP) == set()
    assert imported_after(["log", "--help"], tmp_path, NOT_FOR_HELP) == set()


@pytest.mark.parametrize("columns", [None, "", "0", "-3", "wide", "20", "60", "99", "102", "250"])
def test_help_is_as_wide_as_click_makes_it(monkeypatch, columns):
    """``_help_width`` is click's own rule, without importing shutil for it."""
    from click import formatting

    monkeypatch.setattr(formatting, "FORCED_WIDTH", None)
    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    ours = main.make_context("mend", ["--version"], resilient_parsing=True)
    theirs = click.Context(main, info_name="mend", max_content_width=100)
    assert ours.terminal_width == formatting.HelpFormatter(max_width=100).width
    assert main.get_help(ours) == main.get_help(theirs)
    log = main.commands["log"]
    ours_log = click.Context(log, info_name="log", parent=ours)
    theirs_log = click.Context(log, info_name="log", parent=theirs)
    assert log.get_help(ours_log) == log.get_help(theirs_log)


def test_a_forced_width_is_left_to_click(monkeypatch):
    from click import formatting

    monkeypatch.setattr(formatting, "FORCED_WIDTH", 64)
    assert main.make_context("mend", ["--version"], resilient_parsing=True).terminal_width is None


def test_path_options_give_paths():
    ctx = main.commands["build"].make_context("build", ["--workspace", "here", "--out", "there"])
    assert ctx.params["workspace"] == Path("here") and ctx.params["out"] == Path("there")
    assert isinstance(ctx.params["workspace"], Path)


def test_agreement_pdf_imports_no_signing(tmp_path):
    """One agreement PDF has empty signature fields: pyHanko signs and verifies, later.

    Nor does it search the installed packages' metadata: not for pydantic's
    plugins (plugins.py), not for Markdown's extensions (render.py).
    """
    ws = make_workspace(tmp_path / "ws", {"acme.yaml": FULL_CASE})
    args = ["agreement", "acme", "--workspace", str(ws), "--today", "2026-11-22"]
    unused = (
        "pyhanko",
        "pyhanko_certvalidator",
        "icalendar",
        "ruamel",
        "aiosmtpd",
        "watchfiles",
        "importlib.metadata",
    )
    assert imported_after([*args, "--format", "pdf"], tmp_path, unused) == set()
    assert (ws / "output" / "acme" / "agreement.pdf").is_file()


#: What ``mend log`` never uses when all goes well: rendering, and
#: pydantic's search for plugins through every installed package's
#: metadata (see plugins.py).
NOT_FOR_LOG = (
    "importlib.metadata",
    "difflib",  # "did you mean", for messages only
    "jinja2",
    "markdown",
    "babel",
    "weasyprint",
    "pyhanko",
)


def test_log_imports_only_what_it_edits_with(tmp_path):
    ws = make_workspace(tmp_path / "ws", {"harbour.yaml": MINIMAL_CASE})
    args = ["log", "harbour", "--workspace", str(ws), "--today", "2026-11-22", "--summary", "Met."]
    assert imported_after(args, tmp_path, NOT_FOR_LOG) == set()
    assert "summary: Met." in (ws / "content" / "harbour.yaml").read_text(encoding="utf-8")


def test_plugins_still_looked_for_unless_switched_off(tmp_path):
    """Without PYDANTIC_DISABLE_PLUGINS, pydantic's own loader answers, as it did."""
    code = (
        "import sys\n"
        "import generator.model\n"
        "from pydantic.plugin._loader import get_plugins\n"
        "print(list(get_plugins()), type(sys.modules['pydantic.plugin._loader']).__name__,\n"
        "      'importlib.metadata' in sys.modules)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["[]", "module", "True"]


def test_the_command_exits_as_before_with_its_garbage_spared(tmp_path):
    """``mend`` freezes its objects for the exit (gcpause.spare_exit); codes and output stay."""
    ws = make_workspace(tmp_path / "ws", {"harbour.yaml": MINIMAL_CASE, "bad.yaml": "title: 1\n"})
    command = [sys.executable, "-m", "generator.cli", "check", "--workspace", str(ws)]
    result = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 1
    assert "1 valid, 1 invalid" in result.stdout
    assert "error: content/bad.yaml" in result.stderr
    assert "Traceback" not in result.stderr


def test_main_in_a_process_that_goes_on_freezes_nothing(tmp_path):
    """Tests and ``mend serve`` call main() and live on: their garbage is still collected.

    ``mend plan`` holds the collector off while it builds (gcpause.no_gc),
    and ``mend log`` too; only the ``mend`` command's own process (cli.run)
    freezes what they made.
    """
    ws = make_workspace(tmp_path / "ws", {"harbour.yaml": MINIMAL_CASE})
    commands = [
        ["plan", "harbour", "--workspace", str(ws), "--format", "md", "--today", "2026-11-22"],
        ["log", "harbour", "--workspace", str(ws), "--summary", "Met.", "--today", "2026-11-22"],
        ["--help"],
    ]
    code = (
        "import gc\n"
        "from generator.cli import main\n"
        f"for args in {commands!r}:\n"
        "    try:\n"
        "        main(args)\n"
        "    except SystemExit as exc:\n"
        "        assert not exc.code, exc.code\n"
        "print(gc.get_freeze_count(), gc.isenabled())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, check=True
    )
    assert result.stdout.split()[-2:] == ["0", "True"]


def test_a_spared_value_outlives_its_references_only_in_a_process_that_ends(monkeypatch):
    """``gcpause.spare``: freed as usual in tests and ``mend serve``; left for the exit in ``mend``."""
    import gc
    import weakref

    from generator import gcpause

    class Value:
        pass

    value = Value()
    ref = weakref.ref(value)
    gcpause.spare(value)
    del value
    assert ref() is None
    monkeypatch.setattr(gcpause, "_ENDING", True)
    value = Value()
    ref = weakref.ref(value)
    gcpause.spare(value)
    del value
    assert ref() is not None
    gc.collect()  # the command's collector is off, then frozen: no collection ever frees it
    assert ref() is None
