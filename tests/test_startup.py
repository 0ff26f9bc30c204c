"""Fast start: help and check never import the heavy libraries."""

from __future__ import annotations

import subprocess
import sys

from .conftest import MINIMAL_CASE, make_workspace

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

