"""Broken case files: each is refused with one exact, located message.

``tests/corpus/broken/`` holds hand-written broken cases, the mistakes people
make when they type YAML and paste text from clients' emails, and a few
hostile ones. ``expected.txt`` there gives every line each must print. Every
file is run through the real CLI (``mend check``, ``mend build`` and a
one-document command): exit 1, exactly the expected lines, no traceback, and
nothing written. Files that are pointless to commit (50 MB, not UTF-8) are
generated here.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import tracemalloc
from datetime import time as clock
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from generator.case import load_case
from generator.cli import main
from generator.errors import CaseError
from generator.reader import MAX_FILE_BYTES, CaseLoader, _composer_is_bounded, compose_case

from .conftest import TODAY

CORPUS = Path(__file__).parent / "corpus" / "broken"
BASE_CASE = (CORPUS.parent / "valid-base.yaml").read_text(encoding="utf-8")


def expectations() -> dict[str, list[str]]:
    """``expected.txt`` as file name -> the exact lines (without ``error: ``)."""
    expected: dict[str, list[str]] = {}
    for line in (CORPUS / "expected.txt").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name = line.split(":", 1)[0].removeprefix("content/")
            expected.setdefault(name, []).append(line)
    return expected


EXPECTED = expectations()


def snapshot(root: Path) -> dict[str, str]:
    """Every file under root and a digest of its bytes (streamed: one is 50 MB)."""
    files = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        with path.open("rb") as handle:
            files[str(path.relative_to(root))] = hashlib.file_digest(handle, "sha256").hexdigest()
    return files


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def error_lines(result: Result) -> list[str]:
    return [
        line.removeprefix("error: ")
        for line in result.stderr.splitlines()
        if line.startswith("error: ")
    ]


def assert_refused(ws: Path, name: str, expected: list[str]) -> None:
    """check, build and one document each exit 1 with exactly ``expected``, writing nothing."""
    out = ws / "output"
    before = snapshot(ws)
    check = run("check", "--workspace", ws, "--today", TODAY.isoformat())
    build = run("build", "--workspace", ws, "--out", out, "--today", TODAY.isoformat())
    plan = run(
        "plan", ws / "content" / name, "--workspace", ws, "--out", out, "--today", TODAY.isoformat()
    )
    for result in (check, build, plan):
        assert result.exit_code == 1, result.output
        assert "Traceback" not in result.output
        assert error_lines(result) == expected
    # check wrote nothing at all; build wrote only the index (which lists
    # the file as not built), its manifest and its lock, nothing for the case.
    after = snapshot(ws)
    written = {k for k in after if k not in before or after[k] != before[k]}
    assert written <= {"output/index.html", "output/.mend-manifest.json", "output/.mend-lock"}, (
        written
    )
    assert {k: after[k] for k in before} == before
    if "output/index.html" in written:
        assert f"content/{name}" in (ws / "output" / "index.html").read_text(encoding="utf-8")


def workspace_with(tmp_path: Path, name: str, data: bytes) -> Path:
    ws = tmp_path / "ws"
    (ws / "content").mkdir(parents=True)
    (ws / "content" / name).write_bytes(data)
    return ws


def test_the_corpus_is_big_and_every_file_has_its_expectation() -> None:
    files = sorted(p.name for p in CORPUS.glob("*.yaml"))
    assert len(files) >= 40
    assert sorted(EXPECTED) == files


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.glob("*.yaml")))
def test_broken_case_is_refused_with_the_exact_message(tmp_path: Path, name: str) -> None:
    ws = workspace_with(tmp_path, name, (CORPUS / name).read_bytes())
    assert_refused(ws, name, EXPECTED[name])


def test_a_broken_case_next_to_a_valid_one_fails_alone(tmp_path: Path) -> None:
    """Errors are per file: the valid case builds, the broken one keeps nothing."""
    name = "42-duplicate-milestone-id.yaml"
    ws = workspace_with(tmp_path, name, (CORPUS / name).read_bytes())
    (ws / "content" / "harbour.yaml").write_text(BASE_CASE, encoding="utf-8")
    result = run("build", "--workspace", ws, "--today", TODAY.isoformat(), "--format", "md")
    assert result.exit_code == 1
    assert error_lines(result) == EXPECTED[name]
    assert (ws / "output" / "harbour" / "plan.md").is_file()
    assert not (ws / "output" / "42-duplicate-milestone-id").exists()


# -- generated files -------------------------------------------------------------------


def test_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    data = BASE_CASE.replace("Mo Byrne", "Zoë Byrne").encode("latin-1")
    offset = data.index(b"\xeb")
    line = data[:offset].count(b"\n") + 1
    ws = workspace_with(tmp_path, "latin1.yaml", data)
    assert_refused(
        ws,
        "latin1.yaml",
        [
            f"content/latin1.yaml:{line}: not UTF-8 text (byte 0xeb at offset {offset}); "
            "save the file as UTF-8"
        ],
    )


def test_a_utf16_file(tmp_path: Path) -> None:
    ws = workspace_with(tmp_path, "utf16.yaml", BASE_CASE.encode("utf-16"))
    assert_refused(
        ws,
        "utf16.yaml",
        ["content/utf16.yaml:1: not UTF-8 text (byte 0xff at offset 0); save the file as UTF-8"],
    )


def test_a_50_mb_file_is_refused_fast_without_reading_it(tmp_path: Path) -> None:
    """The limit is checked on at most MAX_FILE_BYTES + 1 bytes read, never the whole file."""
    ws = tmp_path / "ws"
    (ws / "content").mkdir(parents=True)
    path = ws / "content" / "huge.yaml"
    with path.open("w", encoding="utf-8") as handle:
        handle.write(BASE_CASE)
        block = ("#" * 1023 + "\n") * 1024  # a MiB of comment lines
        for _ in range(50):
            handle.write(block)
    size = path.stat().st_size
    assert size > 50 * 1024 * 1024
    message = (
        f"content/huge.yaml:1: file is too large ({size / 1e6:.1f} MB; "
        f"a case file is limited to {MAX_FILE_BYTES // (1024 * 1024)} MB)"
    )
    tracemalloc.start()
    try:
        assert_refused(ws, "huge.yaml", [message])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 3 * MAX_FILE_BYTES, peak  # not 50 MB, let alone a copy of it


def test_the_alias_bomb_fails_in_little_memory() -> None:
    """Ten levels of ten aliases would be 10**10 values; mend stops at MAX_NODES."""
    path = CORPUS / "59-alias-bomb.yaml"
    tracemalloc.start()
    try:
        with pytest.raises(Exception, match="alias bomb"):
            load_case(path, display="content/bomb.yaml")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 100 * 1024 * 1024, peak


def test_deeply_nested_brackets_are_refused_not_a_crash(tmp_path: Path) -> None:
    """libyaml's composer segfaults near 30,000 nested ``[``; mend stops at MAX_DEPTH first.

    Run in a subprocess, so that a regression fails this test instead of
    killing the whole test run.
    """
    ws = workspace_with(tmp_path, "deep.yaml", b"title: " + b"[" * 100_000 + b"]" * 100_000)
    done = subprocess.run(
        [sys.executable, "-m", "generator.cli", "check", "--workspace", str(ws)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, (done.returncode, done.stderr[-500:])
    assert done.stderr.splitlines() == [
        "error: content/deep.yaml:1: nested too deeply (more than 40 levels)"
    ]


def test_nesting_is_reported_at_the_level_mend_refuses_whatever_pyyaml_refuses(
    tmp_path: Path,
) -> None:
    """The line is the one where level 41 opens, not where libyaml's own limit (1,000) hits.

    PyYAML 6.0.4 bundles a libyaml that refuses 1,000 levels by itself,
    before mend's walk sees level 41; earlier releases do not. Level 41
    opens on line 2 and level 1,001 on line 4, so a message that depended
    on the installed PyYAML would name another line or another sentence.
    """
    text = "title: " + "[" * 20 + "\n  " + "[" * 30 + "\n\n  " + "[" * 1450 + "\n  "
    text += "]" * 1500 + "\n"
    ws = workspace_with(tmp_path, "deep.yaml", text.encode())
    result = CliRunner().invoke(main, ["check", "--workspace", str(ws)])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "error: content/deep.yaml:2: nested too deeply (more than 40 levels)",
        "0 valid, 1 invalid, 0 warnings, 0 coaching notes",
    ]


def _level_41_line(text: str) -> int | None:
    """Where level 41 opens, by walking the pure-Python parser's events (no limit, no recursion).

    ``None`` when the text is no deeper than 40 levels, or its syntax fails
    before level 41 opens.
    """
    depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > 40:
                    return event.start_mark.line + 1
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        return None
    return None


def _nest(depth: int, inner: str = "x") -> str:
    return "[" * depth + inner + "]" * depth


#: More than 40 brackets in each, so that every file is one mend looks at for depth.
_MANY = "filler: [" + ", ".join(["[a]"] * 45) + "]\n"
_BLOCK_45 = "".join(" " * i + f"k{i}:\n" for i in range(45)) + " " * 45 + "leaf: x\n"
_INDENTLESS = (
    "k0:\n" + "".join(" " * (2 * j) + f"- k{j + 1}:\n" for j in range(22)) + " " * 44 + "- x\n"
)
NESTINGS = {
    "flow on one line": "title: " + _nest(45) + "\n",
    "flow over lines": "title: " + "[" * 20 + "\n  " + "[" * 30 + "x" + "]" * 50 + "\n",
    "exactly 41, empty innermost": "title: " + "[" * 39 + "\n  []" + "]" * 39 + "\n" + _MANY,
    "exactly 40": "title: " + _nest(39) + "\n" + _MANY,
    "block mappings": _MANY + _BLOCK_45,
    "indentless block sequences": _MANY + _INDENTLESS,
    "a key that nests": "? " + _nest(44) + "\n: value\n",
    "deep key before a deep value": "? " + "[" * 45 + "\n  " + "]" * 45 + "\n: " + _nest(50) + "\n",
    "inside a tag": "title: !deep " + _nest(45) + "\n",
    "under a duplicate key": "title: x\ntitle:\n  " + _nest(45) + "\n",
    "an alias deep down reuses a shallow anchor": (
        "a: &shallow [[x]]\nb: " + "[" * 39 + "*shallow" + "]" * 39 + "\n" + _MANY
    ),
    "an anchor's own alias inside it": "a: &loop [x, *loop, " + _nest(45) + "]\n",
    "the second document": "title: x\n---\n" + "\n" * 5 + "b: " + _nest(45) + "\n",
    "deep before a syntax error": "title: " + _nest(45) + "\n" * 3 + "bad: [unclosed\n",
    "a syntax error before deep": "bad: [unclosed\n" + "\n" * 3 + "title: " + _nest(45) + "\n",
    "deep before an undefined alias": "title: " + _nest(45) + "\nb: *nowhere\n",
    "past libyaml's own limit": "a: "
    + "[" * 20
    + "\n"
    + "[" * 30
    + "\n"
    + _nest(1450)
    + "]" * 50
    + "\n",
}


@pytest.mark.parametrize("text", NESTINGS.values(), ids=NESTINGS.keys())
def test_the_refused_level_is_where_the_parser_opens_level_41(text: str) -> None:
    """Whether mend walks the parser's events or the composed tree, it refuses the same line.

    The reference here walks the pure-Python parser's events; mend composes
    first where libyaml bounds its own nesting and looks at the tree. Keys
    before values, tags, duplicate keys, aliases (which open no level) and a
    level 41 that holds nothing must all come out where the events put them.
    """
    expected = _level_41_line(text)
    try:
        compose_case(text, "deep.yaml")
    except CaseError as exc:
        [problem] = exc.problems
        refused = problem.line if "nested too deeply" in problem.message else None
    else:
        refused = None
    assert refused == expected


def test_libyaml_composing_past_its_own_limit_does_not_crash(tmp_path: Path) -> None:
    """Where mend composes before looking at depth, no depth of any kind can crash libyaml.

    libyaml's limit (1,000 levels) counts brackets and indentation apart, and
    an indentless sequence adds a level without indenting: the deepest a
    file can nest before libyaml refuses it is all three at once. That file
    is composed in a subprocess, in the main thread and in a thread (whose
    stack may be smaller), so that a crash fails this test, not the run.
    """
    if not _composer_is_bounded(CaseLoader):
        pytest.skip("this libyaml sets no nesting limit: mend walks the events first")
    script = tmp_path / "compose.py"
    script.write_text(
        "import sys, threading, yaml\n"
        "from generator.reader import CaseLoader\n"
        "n = 999\n"
        "block = ''.join(' ' * i + f'k{i}:\\n' + ' ' * i + '- ' for i in range(n))\n"
        "text = block + '[' * n + 'x' + ']' * n + '\\n'\n"
        "def compose():\n"
        "    try:\n"
        "        yaml.compose(text, Loader=CaseLoader)\n"
        "        print('composed')\n"
        "    except yaml.YAMLError as exc:\n"
        "        print('refused:', str(exc).splitlines()[0])\n"
        "compose()\n"
        "thread = threading.Thread(target=compose)\n"
        "thread.start()\n"
        "thread.join()\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, (done.returncode, done.stderr[-500:])
    assert len(done.stdout.splitlines()) == 2, done.stdout


# -- YAML 1.1 traps: read as the text written --------------------------------------------


def test_yaml_11_traps_in_text_fields_keep_the_text_written(tmp_path: Path) -> None:
    """Where a field is text, `no`, `10:00`, a date or a number is that text.

    PyYAML resolves YAML 1.1 types (``no`` is false, ``10:00`` is 600, a
    date is a date); mend reads every scalar as the characters written and
    lets the field's type decide, so a title or a decision is never changed.
    """
    traps = ["no", "Yes", "off", "10:00", "2026-11-24", "1e3", "0x1F", "012", "1_000", ".inf"]
    text = (
        BASE_CASE.replace("title: Harbour Bakery rebrand back on track", "title: no")
        .replace("  organisation: Harbour Bakery", "  organisation: 2026-11-24")
        .replace(
            "    heard: [You felt we stopped listening after the first round]",
            "    heard: [" + ", ".join(traps) + "]",
        )
        .replace("      title: Menu boards printed", "      title: 10:00")
        .replace("    - id: menu-boards", "    - id: 2026-11-24")
        .replace("    channel: phone call", "    channel: on")
        .replace("      primary: true", "      primary: yes")
        .replace('    time: "09:30"', "    time: 09:30")
    )
    ws = workspace_with(tmp_path, "traps.yaml", text.encode())
    case = load_case(ws / "content" / "traps.yaml").case
    assert case.title == "no"
    assert case.client.organisation == "2026-11-24"
    assert case.meetings[0].heard == traps
    assert case.plan.milestones[1].title == "10:00" and case.plan.milestones[1].id == "2026-11-24"
    assert case.plan.checkins.channel == "on"
    assert case.client.contacts[0].primary is True  # a boolean field: yes/no are booleans
    assert case.plan.checkins.time == clock(9, 30)  # a time field: 09:30 is the time
    result = run("build", "--workspace", ws, "--today", TODAY.isoformat(), "--format", "md")
    assert result.exit_code == 0, result.output
    plan = (ws / "output" / "traps" / "plan.md").read_text(encoding="utf-8")
    assert plan.startswith("# Recovery plan: no\n") and "2026-11-24 and" in plan
    assert "10:00" in plan and "- 1\\_000\n" in plan


# -- what reaches the terminal ------------------------------------------------------------

#: What a terminal acts on: C0 controls but the line feed, DEL, C1 controls, the
#: line and paragraph separators, and bidi embeddings, overrides and isolates.
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def test_control_characters_in_a_case_never_reach_the_terminal_raw(tmp_path: Path) -> None:
    """Errors, warnings, coaching notes and build report lines show them as escapes.

    The file's own name holds ESC ] 0 ; ... BEL (retitles an xterm); an
    attendee holds a C1 CSI and a right-to-left override, which YAML allows
    as escapes in double quotes and a text field lets through: the warning
    about an unknown person quotes the name.
    """
    name = "harbour\x1b]0;pwned\x07.yaml"
    text = BASE_CASE.replace(
        "    kind: kickoff\n", '    kind: kickoff\n    attendees: ["Mo\\x9b31m \\u202eByrne"]\n'
    )
    ws = workspace_with(tmp_path, name, ("id: harbour\n" + text).encode())
    broken = BASE_CASE.replace("      due: 2027-01-15", '      due: "\\u2066\\e[2J2027"')
    (ws / "content" / "other\u202e.yaml").write_text("id: other\n" + broken, encoding="utf-8")
    today = TODAY.isoformat()
    check = run("check", "--workspace", ws, "--today", today)
    build = run("build", "--workspace", ws, "--today", today, "--format", "md")
    for result in (check, build):
        assert result.exit_code == 1
        assert not RAW_CONTROL.search(result.output), repr(result.output)
    shown = "content/harbour\\x1b]0;pwned\\x07.yaml:"
    assert (
        f'warning: {shown}39: meetings[0].attendees[0]: unknown person "Mo\\x9b31m \\u202eByrne"'
        in check.stderr
    )
    assert f"coach: {shown}" in check.stderr
    assert (
        'error: content/other\\u202e.yaml:27: plan.milestones[1].due: not a date: "\\u2066\\x1b[2J2027"'
        in build.stderr
    )
    assert ", 1 failed in " in build.stdout  # the other case built: the report line


def test_every_message_of_the_cli_goes_through_the_escaping_edge() -> None:
    """cli.py prints only through ``say`` (and serve logs through ``Preview.echo``)."""
    import ast

    import generator.cli
    import generator.serve

    for module, allowed in ((generator.cli, {"say"}), (generator.serve, {"_plain_echo"})):
        tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef) or func.name in allowed:
                continue
            for node in ast.walk(func):
                if isinstance(node, ast.Call):
                    callee = ast.unparse(node.func)
                    assert callee not in {"click.echo", "click.secho", "print"}, (
                        f"{module.__name__}.{func.name} prints with {callee}, not through the edge"
                    )


# -- what content/ holds that is not a case file -------------------------------------------


def test_folders_dangling_links_and_fifos_named_yaml_are_reported(tmp_path: Path) -> None:
    """Not skipped in silence: each is an error naming the path and what it is.

    Run in subprocesses with a timeout, so that opening the FIFO (which
    blocks until someone writes to it) fails this test instead of hanging.
    """
    ws = workspace_with(tmp_path, "harbour.yaml", BASE_CASE.encode())
    content = ws / "content"
    (content / "archive.yaml").mkdir()
    (content / "gone.yml").symlink_to("moved-away.yaml")
    os.mkfifo(content / "pipe.yaml")
    (content / "notes.txt.d").mkdir()  # not named like a case: not a case, not a problem
    expected = [
        "error: content/archive.yaml: a folder, not a case file",
        "error: content/gone.yml: a symbolic link to moved-away.yaml, which does not exist, "
        "not a case file",
        "error: content/pipe.yaml: a named pipe (FIFO), not a case file",
    ]
    today = TODAY.isoformat()
    for command in (["check"], ["build", "--format", "md"]):
        done = subprocess.run(
            [sys.executable, "-m", "generator.cli", *command, "--workspace", str(ws)]
            + ["--today", today],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 1, done.stderr
        errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
        assert errors == expected, done.stderr
    assert (ws / "output" / "harbour" / "plan.md").is_file()  # the real case still builds


def test_a_duplicate_case_id_gets_the_same_line_from_check_and_build(tmp_path: Path) -> None:
    """The line is where the second file gives the id (line 3 here), in check and build alike.

    Milestone, objective and meeting-date duplicates are corpus files
    42-44, run through check, build and plan above.
    """
    ws = workspace_with(tmp_path, "a.yaml", ("# first\nid: harbour\n" + BASE_CASE).encode())
    (ws / "content" / "b.yaml").write_text("# copy\n\nid: harbour\n" + BASE_CASE, encoding="utf-8")
    expected = ['content/b.yaml:3: id: case id "harbour" is already used by content/a.yaml']
    today = TODAY.isoformat()
    check = run("check", "--workspace", ws, "--today", today)
    build = run("build", "--workspace", ws, "--today", today, "--format", "md")
    again = run("build", "--workspace", ws, "--today", today, "--format", "md")  # a.yaml skipped
    for result in (check, build, again):
        assert result.exit_code == 1
        assert error_lines(result) == expected
