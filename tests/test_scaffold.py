"""``mend init`` and ``mend new``: a new workspace, and a case by interview.

The interview is driven the way a person would: through its prompts, one
answer each, checking that the questions come in the order of the method.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable
from datetime import date
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from generator.build import Workspace, build
from generator.case import load_case
from generator.cli import main
from generator.coach import coach
from generator.config import load_config
from generator.errors import MendError
from generator.prompts import Interview
from generator.scaffold import init, new_case, write_new

from .conftest import FULL_CASE, TODAY, make_workspace

FOUR_FILES = ("mend.toml", "content/example-case.yaml", "templates/README.md", ".gitignore")


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input)


# -- mend init ------------------------------------------------------------------------


def test_init_writes_the_four_things(tmp_path):
    ws = tmp_path / "new-ws"
    written = init(ws, today=TODAY)
    assert sorted(p.relative_to(ws).as_posix() for p in written) == sorted(FOUR_FILES)
    toml = (ws / "mend.toml").read_text(encoding="utf-8")
    assert toml.startswith("#") and "# variant" in toml  # commented, defaults shown
    tomllib.loads(toml)
    assert load_config(ws).timezone == "UTC"
    assert (ws / ".gitignore").read_text(encoding="utf-8").splitlines() == ["output/"]
    readme = (ws / "templates/README.md").read_text(encoding="utf-8")
    assert "html/plan.html" in readme and "<!-- theme files -->" not in readme
    assert "`html/base.html`: the one HTML layout" in readme
    assert sorted(p.name for p in (ws / "templates").iterdir()) == ["README.md"]
    assert sorted(p.name for p in (ws / "content").iterdir()) == ["example-case.yaml"]
    example = (ws / "content/example-case.yaml").read_text(encoding="utf-8")
    assert "<today" not in example and "# INTERNAL" in example


def test_init_never_overwrites_and_writes_nothing_on_conflict(tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / ".gitignore").write_text("secrets/\n", encoding="utf-8")
    (ws / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(MendError, match=r"already has \.gitignore"):
        init(ws, today=TODAY)
    assert (ws / ".gitignore").read_text(encoding="utf-8") == "secrets/\n"
    assert sorted(p.name for p in ws.iterdir()) == [".gitignore", "notes.txt"]

    result = run("init", str(ws))
    assert result.exit_code == 1
    assert "never overwrites" in result.output and "Traceback" not in result.output


def test_init_into_a_folder_with_other_files_then_again(tmp_path):
    ws = tmp_path / "clone"
    ws.mkdir()
    (ws / "LICENSE").write_text("MIT", encoding="utf-8")
    result = run("init", str(ws))
    assert result.exit_code == 0, result.output
    for rel in FOUR_FILES:
        assert f"wrote {ws / rel}" in result.output
    before = {rel: (ws / rel).read_bytes() for rel in FOUR_FILES}
    (ws / "mend.toml").write_text('timezone = "Europe/Paris"\n', encoding="utf-8")
    again = run("init", str(ws))
    assert again.exit_code == 1
    assert (ws / "mend.toml").read_text(encoding="utf-8") == 'timezone = "Europe/Paris"\n'
    assert (ws / ".gitignore").read_bytes() == before[".gitignore"]


def test_init_refuses_a_file_as_the_folder(tmp_path):
    target = tmp_path / "file"
    target.write_text("x", encoding="utf-8")
    result = run("init", str(target))
    assert result.exit_code in (1, 2) and "Traceback" not in result.output


@pytest.mark.parametrize("today", [TODAY, date(2027, 2, 28)])
def test_example_case_checks_clean_and_builds(tmp_path, today):
    ws = tmp_path / "ws"
    init(ws, today=today)
    casefile = load_case(ws / "content/example-case.yaml", today=today)
    assert casefile.warnings == []
    assert coach(casefile, today) == []  # a model case: nothing to coach

    result = run("check", "--workspace", str(ws), "--today", today.isoformat(), "--strict")
    assert result.exit_code == 0, result.output
    report = build(ws, today=today, formats=("md", "html", "eml", "ics"))
    assert report.failed == [] and report.warnings == []
    out = ws / "output"
    made = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert {"index.html", "example-case/plan.html", "example-case/checkins.ics"} <= made
    assert any(m.startswith("example-case/agenda-") for m in made)  # an upcoming check-in
    assert any(m.startswith("example-case/internal/brief-") for m in made)
    assert any(m.startswith("example-case/recap-") for m in made)  # the kickoff was held


# -- mend new: a scripted person at the prompts ----------------------------------------


class Person:
    """Answers prompts from a script of (words the prompt must contain, answer)."""

    def __init__(self, script: Iterable[tuple[str, str]]) -> None:
        self.script = list(script)
        self.asked: list[str] = []
        self.shown: list[str] = []

    def prompt(self, text: str, **_: object) -> str:
        self.asked.append(text)
        assert self.script, f"an unexpected question: {text!r}"
        expected, answer = self.script.pop(0)
        assert expected in text, f"asked {text!r}, expected a question about {expected!r}"
        self.shown.append(f"? {text}")
        return answer

    def echo(self, text: str = "", **_: object) -> None:
        self.shown.append(click.unstyle(str(text)))

    def interview(self) -> Interview:
        return Interview(prompt=self.prompt, echo=self.echo)

    def done(self) -> None:
        assert self.script == [], f"questions never asked: {self.script}"


#: Every question of the interview answered, in the method's order.
FULL_ANSWERS = [
    # 1. Be prepared
    ("Title of the case", "Getting the Globex launch back on track"),
    ("Client organisation", "Globex Corporation"),
    ("Case id", ""),  # takes the suggestion
    ("Time zone", "Europe/Dublin"),
    ("how the client decides", "SENTINEL-CULTURE every spend goes to Hank"),
    ("Client contact 1, name", "Hank Scorpio"),
    ("role", "CEO"),
    ("email", "hank@globex.example"),
    ("phone", "+1 555 0100"),
    ("Client contact 2, name", "Frank Grimes"),
    ("role", ""),
    ("email", ""),
    ("phone", ""),
    ("Client contact 3, name", ""),
    ("Our organisation", "Brightline Studio"),
    ("Team member 1, name", "Sam Rivera"),
    ("role", "Account lead"),
    ("email", "sam@brightline.example"),
    ("phone", ""),
    ("Team member 2, name", ""),
    ("What happened", "The launch slipped two weeks and we said so late."),
    ("When it happened", "2026-11-02"),
    ("What it cost", "A press day was cancelled."),
    # 2. Get the facts
    ("Fact 1", "SENTINEL-FACT launch moved from 2 to 16 November"),
    ("whose account", "rec"),  # an unambiguous start of "record"
    ("disputed", "y"),
    ("note", "SENTINEL-FACTNOTE they remember the 9th"),
    ("Fact 2", ""),
    # 3. Find the feelings
    ("Feeling 1", "SENTINEL-FEELING let down in front of the press"),
    ("who feels it", "Hank Scorpio"),
    ("what shows it", "SENTINEL-EVIDENCE stopped answering calls"),
    ("Feeling 2", ""),
    # 4. What was left unsaid
    ("Unsaid 1", "SENTINEL-UNSAID whether they are talking to another agency"),
    ("Unsaid 2", ""),
    # 5. Questions to ask
    ("Question 1", "SENTINEL-QUESTION help me understand what the press day meant"),
    ("Question 2", ""),
    # 6. Restatements
    ("Restatement 1", "SENTINEL-RESTATE you need dates you can announce"),
    ("Restatement 2", ""),
    # 7. Framing
    ("as the client sees it", "SENTINEL-CLIENTVIEW the agency hides bad news"),
    ("as we see it", "SENTINEL-OUROWNVIEW scope grew without re-planning"),
    ("framing both sides can agree on", "Neither of us had an early warning."),
    # 8. What we own
    ("Mistake 1", "We told you about the slip too late."),
    ("Mistake 2", ""),
    ("apology", "We are sorry for the cancelled press day."),
    # 9. Affirmations
    ("Affirmation 1", "Your team tested the beta within a day."),
    ("Affirmation 2", ""),
    # 10. The plan
    ("Objective 1", "A launch date both sides trust"),
    ("Objective 2", ""),
    ("Milestone 1", "Release candidate signed off"),
    ("due", "2026-12-04"),
    ("owner", ""),  # the lead, suggested
    ("objective", "1"),
    ("Milestone 2", ""),
    # 11. Check-ins
    ("Cadence", "weekly"),
    ("first check-in", "2026-11-24"),
    ("weekday", ""),
    ("time", "10:00"),
    ("minutes", ""),
    ("channel", "video call"),
    ("link", "https://meet.example/globex"),
    ("last check-in by", "2027-01-26"),
]

#: Only what is required; every optional question left empty.
MINIMAL_ANSWERS = [
    ("Title of the case", "Harbour rebrand"),
    ("Client organisation", "Harbour Bakery"),
    ("Case id", "harbour"),
    ("Time zone", ""),
    ("how the client decides", ""),
    ("Client contact 1, name", "Mo Byrne"),
    ("role", ""),
    ("email", ""),
    ("phone", ""),
    ("Client contact 2, name", ""),
    ("Our organisation", ""),
    ("Team member 1, name", "Ciara Walsh"),
    ("role", ""),
    ("email", ""),
    ("phone", ""),
    ("Team member 2, name", ""),
    ("What happened", "The client felt ignored."),
    ("When it happened", ""),
    ("What it cost", ""),
    ("Fact 1", ""),
    ("Feeling 1", ""),
    ("Unsaid 1", ""),
    ("Question 1", ""),
    ("Restatement 1", ""),
    ("as the client sees it", ""),
    ("as we see it", ""),
    ("framing both sides can agree on", ""),
    ("Mistake 1", ""),
    ("apology", ""),
    ("Affirmation 1", ""),
    ("Objective 1", ""),
    ("Milestone 1", "Brand review"),
    ("due", "2026-12-10"),
    ("owner", ""),
    ("Milestone 2", ""),
    ("Cadence", ""),
]

METHOD_SECTIONS = (
    "1. Be prepared",
    "2. Get the facts",
    "3. Find the feelings",
    "4. What was left unsaid",
    "5. Questions to ask",
    "6. Let them know you got it",
    "7. Frame the problem",
    "8. What we own",
    "9. Affirmations",
    "10. The plan",
    "11. Check-ins",
)


def empty_workspace(tmp_path: Path) -> Workspace:
    root = tmp_path / "ws"
    (root / "content").mkdir(parents=True)
    return Workspace.open(root)


def interview(ws: Workspace, script, **options) -> tuple[Person, Path]:
    person = Person(script)
    written = new_case(ws, today=TODAY, ui=person.interview(), **options)
    person.done()
    return person, written.path


def test_new_walks_the_method_in_order_and_writes_a_valid_commented_case(tmp_path):
    ws = empty_workspace(tmp_path)
    person, path = interview(ws, FULL_ANSWERS)

    # The sections came in the method's order, each before its questions.
    headings = [line for line in person.shown if line.strip() in METHOD_SECTIONS]
    assert [h.strip() for h in headings] == list(METHOD_SECTIONS)
    shown = "\n".join(person.shown)
    assert shown.index("3. Find the feelings") < shown.index("? Feeling 1")
    assert shown.index("? Feeling 1") < shown.index("4. What was left unsaid")
    assert "e.g. Getting the Acme portal relaunch back on track" in shown  # an example answer

    assert path == ws.content / "globex-corporation.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Getting the Globex launch back on track\n")
    assert "# Find the feelings" in text and "# INTERNAL" in text
    assert "# meetings:" in text and "# agreement:" in text  # what to write next

    cf = load_case(path, today=TODAY)
    case = cf.case
    assert cf.id == "globex-corporation" and cf.warnings == []
    assert case.title == "Getting the Globex launch back on track"
    assert str(case.timezone) == "Europe/Dublin"
    assert [c.name for c in case.client.contacts] == ["Hank Scorpio", "Frank Grimes"]
    assert case.client.contacts[0].primary and not case.client.contacts[1].primary
    assert case.client.contacts[0].phone == "+1 555 0100"
    assert case.team.members[0].lead and case.team.organisation == "Brightline Studio"
    assert case.incident.occurred == date(2026, 11, 2)
    fact = case.listening.facts[0]
    assert (fact.source, fact.disputed) == ("record", True)
    assert case.listening.feelings[0].who == "Hank Scorpio"
    assert case.listening.unsaid == ["SENTINEL-UNSAID whether they are talking to another agency"]
    assert len(case.listening.questions) == len(case.listening.restatements) == 1
    assert case.framing.shared == "Neither of us had an early warning."
    assert case.ownership.mistakes == ["We told you about the slip too late."]
    assert case.affirmations == ["Your team tested the beta within a day."]
    [objective] = case.plan.objectives
    [milestone] = case.plan.milestones
    assert (milestone.title, milestone.due, milestone.owner) == (
        "Release candidate signed off",
        date(2026, 12, 4),
        "Sam Rivera",
    )
    assert milestone.objective == objective.id
    checkins = case.plan.checkins
    assert (checkins.cadence, checkins.starts, checkins.duration) == (
        "weekly",
        date(2026, 11, 24),
        30,
    )
    assert checkins.time.strftime("%H:%M") == "10:00"
    assert checkins.until == date(2027, 1, 26)

    # And it builds, with the internal answers kept out of the client's plan.
    report = build(ws.root, today=TODAY, formats=("md", "html"))
    assert report.failed == []
    plan = (ws.root / "output/globex-corporation/plan.html").read_text(encoding="utf-8")
    assert "Release candidate signed off" in plan
    assert "SENTINEL" not in plan


def test_new_accepts_empty_answers_for_every_optional_question(tmp_path):
    ws = empty_workspace(tmp_path)
    _, path = interview(ws, MINIMAL_ANSWERS)
    assert path.name == "harbour.yaml"
    case = load_case(path, today=TODAY).case
    assert case.listening is None and case.framing is None and case.ownership is None
    assert case.affirmations == [] and case.plan.checkins is None
    assert case.plan.milestones[0].owner == "Ciara Walsh"
    text = path.read_text(encoding="utf-8")
    assert "# No listening notes yet" in text and "# checkins:" in text


def test_new_asks_again_after_a_wrong_answer(tmp_path):
    ws = empty_workspace(tmp_path)
    script = list(MINIMAL_ANSWERS)
    at = script.index(("When it happened", ""))
    script[at : at + 1] = [("When it happened", "2026-13-01"), ("When it happened", "2026-11-01")]
    at = script.index(("due", "2026-12-10"))
    script[at : at + 1] = [("due", "2026-02-30"), ("due", "soon"), ("due", "2026-12-10")]
    at = script.index(("Client contact 1, name", "Mo Byrne"))
    script[at : at + 1] = [("Client contact 1, name", ""), ("Client contact 1, name", "Mo Byrne")]
    person, path = interview(ws, script)
    shown = "\n".join(person.shown)
    assert 'not a date: "2026-13-01"' in shown
    assert "An answer is needed here." in shown
    case = load_case(path, today=TODAY).case
    assert case.incident.occurred == date(2026, 11, 1)
    assert case.plan.milestones[0].due == date(2026, 12, 10)


def test_new_never_overwrites(tmp_path):
    root = make_workspace(tmp_path / "ws", {"harbour.yaml": FULL_CASE.replace("id: acme", "")})
    ws = Workspace.open(root)
    before = (root / "content/harbour.yaml").read_bytes()

    # --id naming an existing case: refused before the first question.
    result = run("new", "--workspace", str(root), "--id", "harbour", input="")
    assert result.exit_code == 1
    assert "content/harbour.yaml already exists" in result.output
    assert "Traceback" not in result.output

    # Typed in the interview: said why, and asked again.
    script = list(MINIMAL_ANSWERS)
    at = script.index(("Case id", "harbour"))
    script[at : at + 1] = [("Case id", "harbour"), ("Case id", "harbour-2")]
    person, path = interview(ws, script)
    assert "already exists: choose another id" in "\n".join(person.shown)
    assert path.name == "harbour-2.yaml"

    # A file that appears while the interview runs is not replaced either.
    script = list(MINIMAL_ANSWERS)
    script[script.index(("Case id", "harbour"))] = ("Case id", "harbour-3")
    person = Person(script)
    asked = person.prompt

    def prompt(text: str, **kw: object) -> str:
        if text.startswith("Cadence"):
            (root / "content/harbour-3.yaml").write_text("mine\n", encoding="utf-8")
        return asked(text, **kw)

    person.prompt = prompt  # type: ignore[method-assign]
    with pytest.raises(MendError, match="already exists"):
        new_case(ws, today=TODAY, ui=person.interview())
    assert (root / "content/harbour-3.yaml").read_text(encoding="utf-8") == "mine\n"
    assert (root / "content/harbour.yaml").read_bytes() == before
    assert not list((root / "content").glob(".*"))  # no temporary file left behind


def test_write_new_refuses_a_taken_name_even_at_the_last_moment(tmp_path):
    target = tmp_path / "content" / "case.yaml"
    write_new(target, b"first\n", "content/case.yaml")
    with pytest.raises(MendError, match="content/case.yaml already exists"):
        write_new(target, b"second\n", "content/case.yaml")
    assert target.read_bytes() == b"first\n"
    assert [p.name for p in target.parent.iterdir()] == ["case.yaml"]


def test_new_from_an_existing_case_suggests_every_answer(tmp_path):
    root = make_workspace(tmp_path / "ws", {"acme.yaml": FULL_CASE})
    ws = Workspace.open(root)
    source = load_case(root / "content/acme.yaml", today=TODAY).case
    # Enter at every question keeps the suggestion; the id must be new.
    person = Person([])
    person.prompt = lambda text, **_: "acme-2" if text.startswith("Case id") else ""  # type: ignore[method-assign]
    written = new_case(ws, today=TODAY, source="acme", ui=person.interview())
    assert "Suggested answers come from content/acme.yaml" in "\n".join(person.shown)
    case = load_case(written.path, today=TODAY).case

    assert case.title == source.title and case.timezone == source.timezone
    assert case.client == source.client
    assert case.team.members == source.team.members
    assert case.incident == source.incident
    assert case.listening == source.listening
    assert case.framing == source.framing
    assert case.ownership == source.ownership
    assert case.affirmations == source.affirmations
    assert case.plan.objectives == source.plan.objectives
    # Ids, titles, dates, owners and objectives carry over; statuses start again.
    assert [(m.id, m.title, m.due, m.owner, m.objective) for m in case.plan.milestones] == [
        (m.id, m.title, m.due, m.owner or source.team.members[0].name, m.objective)
        for m in source.plan.milestones
    ]
    assert case.plan.checkins.cadence == source.plan.checkins.cadence
    assert case.plan.checkins.starts == source.plan.checkins.starts
    assert case.meetings == [] and case.agreement is None


def test_new_from_can_drop_a_suggestion(tmp_path):
    root = make_workspace(tmp_path / "ws", {"acme.yaml": FULL_CASE})
    ws = Workspace.open(root)

    def answer(text: str, **_: object) -> str:
        if text.startswith("Case id"):
            return "acme-lite"
        if text.startswith(("Internal: how the client decides", "Fact 1", "Client contact 2")):
            return "-"  # drop the suggested answer
        return ""

    person = Person([])
    person.prompt = answer  # type: ignore[method-assign]
    written = new_case(ws, today=TODAY, source="acme", ui=person.interview())
    case = load_case(written.path, today=TODAY).case
    assert case.client.culture is None
    assert [c.name for c in case.client.contacts] == ["Dana Okafor"]
    assert case.listening.facts == []


def test_new_through_the_command_line(tmp_path):
    root = tmp_path / "ws"
    assert run("init", str(root), "--today", TODAY.isoformat()).exit_code == 0
    answers = "\n".join(answer for _, answer in MINIMAL_ANSWERS) + "\n"
    result = run("new", "--workspace", str(root), "--today", TODAY.isoformat(), input=answers)
    assert result.exit_code == 0, result.output
    out = result.output
    positions = [out.index(section) for section in METHOD_SECTIONS]
    assert positions == sorted(positions)
    assert "wrote content/harbour.yaml" in out
    assert "coach:" in out  # no affirmations, no check-ins: the coach says so
    check = run("check", "--workspace", str(root), "--today", TODAY.isoformat(), "harbour")
    assert check.exit_code == 0, check.output


def test_new_stops_cleanly_when_the_input_ends(tmp_path):
    root = tmp_path / "ws"
    (root / "content").mkdir(parents=True)
    result = run("new", "--workspace", str(root), input="Harbour rebrand\n")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert list((root / "content").iterdir()) == []


# -- the written text, byte for byte -------------------------------------------------

GOLDEN = Path(__file__).parent / "golden"

#: A ``--from`` case whose texts need every way of writing a YAML scalar:
#: colons, hashes, indicators, words YAML 1.1 or 1.2 reads as other types,
#: escapes, several lines, trailing spaces and non-ASCII.
AWKWARD_CASE = """\
title: "Harbour: the rebrand # again"
timezone: Europe/Dublin
client:
  organisation: "- Harbour & Co"
  culture: "yes"
  contacts:
    - name: "Mo Byrne"
      role: "0o17"
      email: mo@harbour.example
      phone: "+353 1 555 0100"
    - name: "Siobhán Ó Briain"
      role: "~tilde"
      phone: "1:30"
team:
  organisation: "@studio"
  members:
    - name: "Ciara Walsh"
      role: "null"
incident:
  summary: "Tabs\\there and a \\"quote\\" and a bell \\a and a line\\u2028separator"
  occurred: 2026-10-30
  impact: "Two lines,\\nthe second with a trailing space   "
listening:
  facts:
    - text: "'single' and \\"double\\""
      source: client
      disputed: true
      note: "a note: with a colon"
  unsaid: ["  leading spaces", "trailing spaces  ", "%percent", "*star", "[bracket"]
  questions: ["Help me understand: why?"]
  restatements: ["1e3", "0x1F", "2026-11-10", "true", "Off"]
ownership:
  mistakes: ["We said \\"soon\\"", "émoji 🎉 too"]
  apology: |-
    We are sorry.

    Truly.
framing:
  shared: "x\\ty"
affirmations: ["> folded?", "| literal?", "!tag", "&anchor", "`tick"]
plan:
  objectives:
    - id: trust
      text: "Trust: back"
  milestones:
    - id: review
      title: "Brand review #1"
      due: 2026-12-10
      objective: trust
  checkins:
    cadence: fortnightly
    weekday: thursday
    time: "09:30"
    duration: 45
    channel: "video: Teams"
    starts: 2026-11-26
"""


@pytest.mark.parametrize("name", ["full", "minimal", "from-acme", "from-awkward"])
def test_new_writes_the_golden_text(tmp_path, name):
    """The case text ``mend new`` writes, byte for byte (regenerate as test_golden.py says)."""
    if name.startswith("from-"):
        source = {"from-acme": FULL_CASE, "from-awkward": AWKWARD_CASE}[name]
        root = make_workspace(tmp_path / "ws", {"source.yaml": source})
        person = Person([])
        person.prompt = lambda text, **_: "copy" if text.startswith("Case id") else ""  # type: ignore[method-assign]
        written = new_case(
            Workspace.open(root), today=TODAY, source="source", ui=person.interview()
        )
        path = written.path
    else:
        script = FULL_ANSWERS if name == "full" else MINIMAL_ANSWERS
        _, path = interview(empty_workspace(tmp_path), script)
    actual = path.read_text(encoding="utf-8")
    golden = GOLDEN / f"new-{name}.yaml"
    if os.environ.get("MEND_UPDATE_GOLDEN"):
        golden.write_text(actual, encoding="utf-8")
    assert actual == golden.read_text(encoding="utf-8")


def test_new_from_escapes_the_control_characters_of_its_suggestions(tmp_path):
    """A suggestion from a case file reaches the terminal escaped, as every message does.

    ``culture`` here would set the terminal's title if it were printed raw
    in the prompt that offers it as the suggested answer.
    """
    hostile = FULL_CASE.replace(
        "culture: SENTINEL-CULTURE decisions go through a steering committee",
        'culture: "\\e]0;pwned\\aSENTINEL-CULTURE"',
    )
    root = make_workspace(tmp_path / "ws", {"acme.yaml": hostile})
    answers = "\n" * 200
    result = run(
        "new", "--workspace", str(root), "--today", TODAY.isoformat(), "--from", "acme",
        input=answers,
    )  # fmt: skip
    assert "\\x1b]0;pwned\\x07SENTINEL-CULTURE" in result.output
    assert "\x1b" not in click.unstyle(result.output) and "\x07" not in result.output
