"""Nothing lost, nothing leaked: failing builds, killed writers, hostile templates.

A build that fails keeps every earlier output as it was; no file is ever seen
half-written; ``mend log`` killed at any moment leaves the case file whole;
and a template that reaches for an internal field in a client-facing
document gets an error, never the data.
"""

from __future__ import annotations

import errno
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.build import build
from generator.cache import MANIFEST_NAME as MANIFEST
from generator.case import load_case
from generator.cli import main
from generator.output import atomic_write

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
    assert not report.ok and "ZeroDivisionError" in report.messages[0], report.messages
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


def test_atomic_write_sets_the_mode_before_the_rename(tmp_path: Path) -> None:
    """The file never appears with more permissions than it ends with, or other ones."""
    target = tmp_path / "case.yaml"
    target.write_bytes(b"old")
    os.chmod(target, 0o640)
    seen: list[int] = []
    real_replace = os.replace

    def watching_replace(src: str | Path, dst: str | Path) -> None:
        seen.append(os.stat(src).st_mode & 0o7777)
        real_replace(src, dst)

    os.replace = watching_replace  # type: ignore[assignment]
    try:
        atomic_write(target, b"new", durable=True)
        atomic_write(tmp_path / "key.p12", b"secret", mode=0o600)
        atomic_write(tmp_path / "plan.html", b"page")
    finally:
        os.replace = real_replace
    assert seen == [0o640, 0o600, 0o644]
    assert target.read_bytes() == b"new" and target.stat().st_mode & 0o7777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case.yaml", "key.p12", "plan.html"]


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
        assert not report.ok and "SecurityError" in report.messages[0], report.messages
    if report.ok:  # the template printed only what the client view holds
        text = (out / "plan.html").read_text() + (out / "plan.md").read_text()
        assert not [s for s in SENTINELS if s in text]
    else:
        assert all("plan" in f for f in report.messages), report.messages
        assert not [s for s in SENTINELS if any(s in f for f in report.messages)]
        assert not (out / "plan.html").exists()


def test_naming_an_internal_field_says_why_it_failed(tmp_path: Path) -> None:
    ws = make_workspace(
        tmp_path / "ws",
        {"acme.yaml": FULL_CASE},
        templates={"html/plan.html": "{{ case.client.culture }}"},
    )
    report = build(ws, today=TODAY, formats=("html",), kinds=("plan",))
    assert report.messages == [
        "content/acme.yaml: templates/html/plan.html:1: `culture` is an internal field: a "
        "client-facing document cannot use internal fields (they appear only in internal/ "
        "documents)"
    ]


# -- filesystem faults: one message, nothing lost, no temp left ---------------------------

BUILD = ("md", "html", "eml", "ics")


def mend(*args: str):
    """Run mend in-process as a user would, catching what click does not."""
    return CliRunner().invoke(main, list(args))


def assert_one_error(result, pattern: str) -> str:
    """Exit 1 with exactly one line on stderr matching ``pattern``, no traceback."""
    assert result.exit_code == 1, result.output
    # click turned it into a message: any other exception would be a traceback
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert re.fullmatch(pattern, lines[0]), lines[0]
    assert "Traceback" not in result.output
    return lines[0]


def temps(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*.tmp"))


def built_then_changed(tmp_path: Path) -> tuple[Path, dict[str, bytes]]:
    """A workspace built once, whose case then changed so that every file would change."""
    ws = make_workspace(tmp_path / "ws", {"acme.yaml": FULL_CASE})
    assert build(ws, today=TODAY, formats=BUILD).ok
    (ws / "content" / "acme.yaml").write_text(
        FULL_CASE.replace("Brightline Studio", "Brightline Studios"), encoding="utf-8"
    )
    return ws, snapshot(ws / "output")


def build_args(ws: Path) -> list[str]:
    return ["build", "-w", str(ws), "--today", TODAY.isoformat(), "-f", ",".join(BUILD)]


def test_a_file_where_the_case_folder_should_be_gives_one_message(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", {"acme.yaml": FULL_CASE})
    (ws / "output").mkdir()
    (ws / "output" / "acme").write_text("a note the user left", encoding="utf-8")
    result = mend(*build_args(ws))
    assert_one_error(
        result, r"error: cannot write output/acme/\S+: output/acme is a file, not a folder"
    )
    assert (ws / "output" / "acme").read_text(encoding="utf-8") == "a note the user left"
    assert temps(ws) == []


def test_a_file_where_a_subfolder_should_be_keeps_every_earlier_file(tmp_path: Path) -> None:
    ws, _ = built_then_changed(tmp_path)
    out = ws / "output"
    shutil.rmtree(out / "acme" / "internal")
    (out / "acme" / "internal").write_text("not a folder", encoding="utf-8")
    before = snapshot(out)
    result = mend(*build_args(ws))
    assert_one_error(
        result,
        r"error: cannot write output/acme/internal/brief-2026-11-24\.\w+: "
        r"output/acme/internal is a file, not a folder",
    )
    assert snapshot(out) == before  # the case's new plan, agenda, recap: none went in
    assert temps(ws) == []


def test_a_read_only_output_folder_gives_one_message_and_keeps_every_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Root ignores permission bits, so the folder's refusal is simulated: a
    new file in output/acme cannot be created, as in a folder without write
    permission (existing files there can still be read and opened)."""
    ws, before = built_then_changed(tmp_path)
    folder = str(ws / "output" / "acme")
    real_open = os.open

    def open_(path, flags, *args, **kwargs):
        if flags & os.O_CREAT and str(path).startswith(folder) and not os.path.exists(path):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", open_)
    result = mend(*build_args(ws))
    line = assert_one_error(result, r"error: cannot write output/acme/\S+: Permission denied")
    named = line.split()[3].rstrip(":").removeprefix("output/")
    assert named in before  # the message names the file that could not be replaced
    monkeypatch.undo()
    assert snapshot(ws / "output") == before
    assert temps(ws) == []


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to tell files apart")
def test_a_full_disk_gives_one_message_and_keeps_the_last_good_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disk fills up after two files of the case: the third write fails
    with ENOSPC, halfway through the case."""
    ws, before = built_then_changed(tmp_path)
    out = str(ws / "output")
    real_write = os.write
    writes = []

    def write(fd, data):
        name = os.readlink(f"/proc/self/fd/{fd}")
        # The case's files: not the lock, nor the manifest that the failed
        # build then tries to save for the cases it did finish.
        if name.startswith(out) and not name.endswith(".mend-lock") and MANIFEST not in name:
            writes.append(fd)
            if len(writes) > 2:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", write)
    result = mend(*build_args(ws))
    assert_one_error(result, r"error: cannot write output/acme/\S+: No space left on device")
    monkeypatch.undo()
    assert len(writes) == 3
    assert snapshot(ws / "output") == before
    assert temps(ws) == []
    assert mend(*build_args(ws)).exit_code == 0  # room again: the build goes through


def test_temp_files_of_a_killed_build_are_removed_by_the_next(tmp_path: Path) -> None:
    """A build killed between writing its files and renaming them leaves
    temporary files and its pid in the lock file; the next build removes them."""
    ws = make_workspace(tmp_path / "ws", {"acme.yaml": FULL_CASE})
    assert build(ws, today=TODAY, formats=BUILD).ok
    out = ws / "output"
    before = snapshot(out)
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_BUILD, str(out)],
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert temps(out) == [
        f"acme/.plan.html.{killed.stdout.strip()}.tmp",
        f"acme/internal/.brief-2026-11-24.md.{killed.stdout.strip()}.tmp",
    ]
    report = build(ws, today=TODAY, formats=BUILD)
    assert report.ok and not report.written
    assert temps(out) == []
    assert snapshot(out) == before


KILLED_BUILD = """
import os, signal, sys
from pathlib import Path, PurePosixPath
from generator.output import BuildLock, Staging
out = Path(sys.argv[1])
BuildLock(out, out.parent).__enter__()
staging = Staging(out, out.parent)
staging.add(PurePosixPath("acme/plan.html"), b"half of a build")
staging.add(PurePosixPath("acme/internal/brief-2026-11-24.md"), b"half of a build")
print(os.getpid(), flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_temp_files_left_before_there_was_a_lock_are_removed(tmp_path: Path) -> None:
    """Earlier versions of mend, killed mid-write, left ``.<name>.<pid>.tmp``
    files and no lock file: the first build that takes the lock removes them."""
    ws = make_workspace(tmp_path / "ws", {"acme.yaml": FULL_CASE})
    (ws / "output" / "acme").mkdir(parents=True)
    (ws / "output" / "acme" / ".plan.html.4242.tmp").write_text("half", encoding="utf-8")
    (ws / "output" / ".index.html.4242.tmp").write_text("half", encoding="utf-8")
    assert build(ws, today=TODAY, formats=BUILD).ok
    assert temps(ws) == []


def test_recaps_are_written_as_they_are_made_not_held_until_the_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When each recap renders, every recap before it is already on disk
    (under its temporary name until the case is complete): memory holds one
    recap, not all of them."""
    extra = "".join(
        f"  - date: 2026-11-{day}\n    attendees: [Dana Okafor]\n    summary: Call {day}.\n"
        for day in range(11, 19)
    )
    case = FULL_CASE.replace("  - date: 2026-11-24\n", extra + "  - date: 2026-11-24\n", 1)
    ws = make_workspace(tmp_path / "ws", {"acme.yaml": case})
    folder = ws / "output" / "acme"
    from generator.writers import eml

    on_disk: list[int] = []
    real = eml.write

    def write(doc, source, ctx):
        on_disk.append(len(list(folder.glob(".recap-*.tmp"))) if folder.is_dir() else 0)
        return real(doc, source, ctx)

    monkeypatch.setattr(eml, "write", write)
    assert build(ws, today=TODAY, formats=("eml",)).ok
    assert on_disk == list(range(9))  # the kickoff and eight calls
    assert len(list(folder.glob("recap-*.eml"))) == 9 and temps(ws) == []


def test_other_commands_that_write_give_one_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file", encoding="utf-8")
    assert_one_error(
        mend("init", str(blocker / "ws")),
        rf"error: cannot write {re.escape(str(blocker))}/ws/\S+: "
        rf"{re.escape(str(blocker))} is a file, not a folder",
    )
    assert_one_error(
        mend("keygen", "Sam Rivera", "--out", str(blocker / "sam.p12")),
        rf"error: cannot write {re.escape(str(blocker))}/sam.p12: "
        rf"{re.escape(str(blocker))} is a file, not a folder",
    )
    ws = make_workspace(tmp_path / "ws", {"acme.yaml": FULL_CASE})
    case = ws / "content" / "acme.yaml"
    before = case.read_bytes()
    real_open = os.open

    def open_(path, flags, *args, **kwargs):
        if flags & os.O_CREAT and str(path).startswith(str(ws / "content")):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", open_)
    assert_one_error(
        mend("log", "acme", "-w", str(ws), "--today", TODAY.isoformat(), "--decision", "Freeze"),
        r"error: cannot write content/acme.yaml: No space left on device",
    )
    monkeypatch.undo()
    assert case.read_bytes() == before
    assert sorted(p.name for p in case.parent.iterdir()) == ["acme.yaml"]
