"""Nothing lost, nothing leaked: failing builds, killed writers, hostile templates.

A build that fails keeps every earlier output as it was; no file is ever seen
half-written; ``mend log`` killed at any moment leaves the case file whole;
and a template that reaches for an internal field in a client-facing
document gets an error, never the data.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from generator.build import build
from generator.case import load_case
from generator.writers import atomic_write

from .conftest import FULL_CASE, SENTINELS, TODAY, make_workspace


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


# -- a failing build keeps what was there ---------------------------------------------------


@pytest.mark.parametrize("broken", ["md/plan.md", "html/agreement.html", "eml/recap.txt"])
def test_a_template_failing_for_one_document_keeps_every_previous_file(
    tmp_path: Path, broken: str
) -> None:
    """The failing document comes late or early in the case's list: either way
    no file of the case changes, not even those rendered before it."""
    ws = make_workspace(tmp_path / "ws", {"acme.yaml": FULL_CASE})
    formats = ("md", "html", "eml", "ics")
    assert build(ws, today=TODAY, formats=formats).ok
    before = snapshot(ws / "output")
    assert len([k for k in before if k.startswith("acme/")]) >= 8
    # A new case text changes every document, so all would be rewritten...
    (ws / "content" / "acme.yaml").write_text(
        FULL_CASE.replace("Brightline Studio", "Brightline Studios"), encoding="utf-8"
    )
    # ...but one template now fails halfway through its page.
    path = ws / "templates" / broken
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("First half of the page.\n{{ 1 // 0 }}\n", encoding="utf-8")
    report = build(ws, today=TODAY, formats=formats)
    assert not report.ok and "ZeroDivisionError" in report.failed[0], report.failed
    after = snapshot(ws / "output")
    case_files = {k: v for k, v in after.items() if k.startswith("acme/")}
    assert case_files == {k: v for k, v in before.items() if k.startswith("acme/")}
    assert not [k for k in after if k.endswith(".tmp")]


def test_atomic_write_that_fails_midway_leaves_the_old_file_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "plan.html"
    target.write_bytes(b"old and complete")

    def failing_write(*args: object) -> None:
        raise OSError(28, "No space left on device")

    real_replace = os.replace
    os.replace = failing_write  # type: ignore[assignment]
    try:
        with pytest.raises(OSError, match="No space"):
            atomic_write(target, b"new" * 1000)
    finally:
        os.replace = real_replace
    assert target.read_bytes() == b"old and complete"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.html"]


# -- `mend log` killed at random moments --------------------------------------------------------


def big_case(meetings: int) -> str:
    """FULL_CASE with many held meetings: a file that takes a while to rewrite."""
    extra = "".join(
        f"  - date: {2024 + i // 300}-{1 + (i // 25) % 12:02d}-{1 + i % 25:02d}\n"
        f"    summary: Meeting {i} went through every open point, one by one, at length.\n"
        f"    decisions: [Decision {i} about the release train, Another decision {i}]\n"
        for i in range(meetings)
    )
    return FULL_CASE.replace("meetings:\n", "meetings:\n" + extra, 1)


def log_command(ws: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "generator.cli",
        "log",
        "acme",
        "--workspace",
        str(ws),
        "--today",
        TODAY.isoformat(),
        "--date",
        "2026-11-17",
        "--decision",
        "Freeze the scope until the relaunch",
    ]


def test_mend_log_killed_at_any_moment_leaves_the_old_or_the_new_file(tmp_path: Path) -> None:
    """SIGKILL at random times across a run: the file is always one whole version.

    The run is timed first without a kill, then killed at moments spread over
    its length (most of which is start-up and validation; the write is at the
    end). Whatever the moment, the case file is byte for byte the old one or
    the one an uninterrupted run writes, and it loads.
    """
    ws = make_workspace(tmp_path / "ws", {"acme.yaml": big_case(300)})
    case = ws / "content" / "acme.yaml"
    old = case.read_bytes()
    started = time.perf_counter()
    subprocess.run(log_command(ws), check=True, capture_output=True)
    length = time.perf_counter() - started
    new = case.read_bytes()
    assert new != old and load_case(case).case.meetings
    shutil.copy(case.with_name("acme.yaml.bak"), tmp_path / "bak")
    assert (tmp_path / "bak").read_bytes() == old

    rng = random.Random(7)
    outcomes = []
    for i in range(12):
        case.write_bytes(old)
        for stale in case.parent.glob("*.bak"):
            stale.unlink()
        process = subprocess.Popen(
            log_command(ws), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(length * (0.5 + 0.6 * i / 11) * rng.uniform(0.9, 1.1))
        process.send_signal(signal.SIGKILL)
        process.wait()
        data = case.read_bytes()
        assert data in (old, new), f"kill {i}: the case file is neither version"
        outcomes.append("new" if data == new else "old")
        backup = case.with_name("acme.yaml.bak")
        if backup.exists():
            assert backup.read_bytes() == old
        # A temporary file a kill may leave is hidden and not a case file.
        leftovers = [p.name for p in case.parent.iterdir() if p.name not in ("acme.yaml",)]
        assert all(n == "acme.yaml.bak" or n.startswith(".acme.yaml.") for n in leftovers)
    check = subprocess.run(
        [sys.executable, "-m", "generator.cli", "check", "--workspace", str(ws)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stderr
    assert "1 valid, 0 invalid" in check.stdout
    assert "old" in outcomes  # some kills landed before the replace


# -- the audience rule under attack -------------------------------------------------------------

ATTACKS = {
    "attribute": "{{ case.client.culture }}",
    "item": "{{ case['listening']['feelings'][0]['feeling'] }}",
    "get": "{{ case.get('listening') or '' }}{{ case.framing.get('our_view') or '' }}",
    "attr filter": "{{ case.framing|attr('client_view') }}",
    "held meeting": "{% for m in held %}{{ m.internal_notes }}{% endfor %}",
    "last held": "{{ last_held.internal_notes }}",
    "meetings": "{{ meetings[0]['internal_notes'] }}",
    "next meeting": "{{ next.meeting.internal_notes if next.meeting else case.nope }}",
    "whole context": "{{ case }}{{ case|tojson }}{{ case|pprint }}",
    "every item": "{% for k, v in case.items() %}{{ k }}={{ v }}{% endfor %}",
    "loop over listening": "{% for f in case.listening.facts %}{{ f.text }}{% endfor %}",
    "self": "{{ self }}{{ self._TemplateReference__context }}",
    "context dump": "{% for k in self._TemplateReference__context %}{{ k }}{% endfor %}",
    "milestones": "{{ milestones }}{{ objectives }}{{ rollup }}{{ upcoming }}{{ doc }}",
    # Python's internals, the classic ways out of a template: the sandbox says no.
    "globals": "{{ cycler.__init__.__globals__.__builtins__.open('CASE_PATH').read() }}",
    "lipsum": "{{ lipsum.__globals__['os'].popen('cat CASE_PATH').read() }}",
    "class walk": "{{ ().__class__.__base__.__subclasses__() }}",
    "format": "{{ '{0.__class__.__init__.__globals__}'.format(cycler) }}",
}
ESCAPES = {"globals", "lipsum", "class walk", "format"}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_a_template_reaching_for_internal_fields_gets_an_error_not_the_data(
    tmp_path: Path, attack: str
) -> None:
    """Every way a user template can name or dump the case, in the client plan."""
    case_path = tmp_path / "ws" / "content" / "acme.yaml"
    template = ATTACKS[attack].replace("CASE_PATH", str(case_path))
    ws = make_workspace(
        tmp_path / "ws",
        {"acme.yaml": FULL_CASE},
        templates={"html/plan.html": template, "md/plan.md": template},
    )
    report = build(ws, today=TODAY, formats=("md", "html"), kinds=("plan",))
    out = ws / "output" / "acme"
    if attack in ESCAPES:
        assert not report.ok and "SecurityError" in report.failed[0], report.failed
    if report.ok:  # the template printed only what the client view holds
        text = (out / "plan.html").read_text() + (out / "plan.md").read_text()
        assert not [s for s in SENTINELS if s in text]
    else:
        assert all("plan" in f for f in report.failed), report.failed
        assert not [s for s in SENTINELS if any(s in f for f in report.failed)]
        assert not (out / "plan.html").exists()


def test_naming_an_internal_field_says_why_it_failed(tmp_path: Path) -> None:
    ws = make_workspace(
        tmp_path / "ws",
        {"acme.yaml": FULL_CASE},
        templates={"html/plan.html": "{{ case.client.culture }}"},
    )
    report = build(ws, today=TODAY, formats=("html",), kinds=("plan",))
    assert report.failed == [
        "content/acme.yaml: templates/html/plan.html:1: `culture` is an internal field: a "
        "client-facing document cannot use internal fields (they appear only in internal/ "
        "documents)"
    ]
