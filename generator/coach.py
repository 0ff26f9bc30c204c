"""Coaching: what a seasoned account lead would point out in a valid case.

Validation (``case.py``) says whether mend can read a case; coaching says
whether the case is ready for the conversation it prepares. Each check is a
habit of the method in DESIGN.md (open with affirmations, own mistakes with
an apology, restate what was heard, give every action an owner and a date,
keep check-ins close together, get both parties to sign, follow through on
every commitment, and mind the tone of what the client reads). A warning
names the field it is about, so an editor can jump to it, and says in one
sentence why it matters: advice without a reason is easy to ignore.

The tone check reads the phrase list in ``tone.toml`` (data, not code), plus
what a workspace adds in ``mend.toml``, less what it switches off. Phrases
match whole words, ignoring case and punctuation, so an honest sentence
that happens to hold the letters of one ("we should have told you" holds
"you should have" only as letters across words, never as words) is left
alone.

Coaching never stops a build; ``mend check --strict`` turns it into a gate.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar

from .case import CaseFile
from .commitments import standings
from .errors import Problem
from .model import Meeting
from .progress import current_statuses, is_overdue
from .reader import Path_
from .schedule import held_meetings, meetings_by_date, next_meeting

if TYPE_CHECKING:
    from .config import CoachSettings

#: How soon the next check-in should be: trust comes back through steady,
#: visible contact, and two weeks of silence reads as the old neglect.
CHECKIN_HORIZON = timedelta(days=14)


def coach(casefile: CaseFile, today: date, settings: CoachSettings | None = None) -> list[Problem]:
    """Coaching notes for one valid case, as of ``today``, in file order.

    ``settings`` is the workspace's ``[coach]`` (phrases it adds to the tone
    check or switches off).
    """
    notes = [
        *_positives(casefile),
        *_affirmations(casefile, today),
        *_ownership(casefile),
        *_listening(casefile),
        *_meetings(casefile),
        *_milestones(casefile, today),
        *_checkins(casefile, today),
        *_agreement(casefile),
        *_follow_through(casefile, today),
        *_tone(casefile, phrases(settings)),
    ]
    return sorted(notes, key=lambda p: (p.line or 0, p.path))


def _no_positive(cf: CaseFile) -> bool:
    return not cf.case.affirmations and not any(m.positives for m in cf.case.meetings)


def _positives(cf: CaseFile) -> Iterator[Problem]:
    if _no_positive(cf):
        yield cf.problem(
            ("affirmations",),
            "no positive recorded anywhere (no affirmations, no meeting positives): "
            "a recovery that names only problems tells the client nothing is working, "
            "so write down what is going well and thank them for specific things",
        )


def _affirmations(cf: CaseFile, today: date) -> Iterator[Problem]:
    nxt = next_meeting(cf.case, today)
    # With no positive at all, _positives has said it (once is enough).
    if nxt is not None and not cf.case.affirmations and not _no_positive(cf):
        yield cf.problem(
            ("affirmations",),
            f"no affirmations before the meeting on {nxt.date.isoformat()}: "
            "the agenda opens with what is going well, and a client who hears "
            "only about problems hears that nothing is working",
        )


def _ownership(cf: CaseFile) -> Iterator[Problem]:
    ownership = cf.case.ownership
    if ownership is None:
        return
    if ownership.mistakes and not (ownership.apology or "").strip():
        yield cf.problem(
            ("ownership", "apology"),
            "mistakes are listed but there is no apology: naming a mistake "
            "without saying sorry for it sounds like a report, not like taking responsibility",
        )
    if (ownership.apology or "").strip() and not ownership.mistakes:
        yield cf.problem(
            ("ownership", "mistakes"),
            "an apology that names no mistake owns nothing: list in "
            "ownership.mistakes what exactly we are sorry for",
        )


def _listening(cf: CaseFile) -> Iterator[Problem]:
    listening = cf.case.listening
    if listening is None:
        return
    for i, fact in enumerate(listening.facts):
        if fact.disputed and not (fact.note or "").strip():
            yield cf.problem(
                ("listening", "facts", i, "disputed"),
                "a disputed fact with no note: write down what each side "
                "believes and on what evidence, so the point can be raised with care, or let go",
            )


def _meetings(cf: CaseFile) -> Iterator[Problem]:
    meetings = cf.case.meetings
    index = {id(m): i for i, m in enumerate(meetings)}
    for meeting in meetings_by_date(cf.case):
        i = index[id(meeting)]
        if meeting.held and not meeting.heard:
            yield cf.problem(
                ("meetings", i, "heard"),
                f"the meeting on {meeting.date.isoformat()} was held but nothing "
                'heard is recorded: the recap\'s "I heard you say" is what '
                "shows the client they were listened to",
            )
        for j, action in enumerate(meeting.actions):
            if action.done:
                continue
            missing = [
                what
                for what, value in (("an owner", action.owner), ("a due date", action.due))
                if not value
            ]
            if missing:
                yield cf.problem(
                    ("meetings", i, "actions", j),
                    f"action without {' or '.join(missing)}: an action that "
                    "is nobody's, or never due, is a promise nobody will keep",
                )


def _milestones(cf: CaseFile, today: date) -> Iterator[Problem]:
    statuses = current_statuses(cf.case, until=today)
    for i, milestone in enumerate(cf.case.plan.milestones):
        status = statuses[milestone.id]
        if is_overdue(milestone, status, today):
            yield cf.problem(
                ("plan", "milestones", i, "due"),
                f'"{milestone.id}" was due {milestone.due.isoformat()} and is '
                f"still {status}: mark it done, or missed with a new date, "
                "because a plan that quietly goes stale stops being believed",
            )


def _checkins(cf: CaseFile, today: date) -> Iterator[Problem]:
    if cf.case.status != "open":
        return
    nxt = next_meeting(cf.case, today)
    horizon = today + CHECKIN_HORIZON
    if nxt is None or nxt.date > horizon:
        when = f"the next is on {nxt.date.isoformat()}" if nxt else "none is planned"
        yield cf.problem(
            ("plan", "checkins"),
            f"no check-in in the next {CHECKIN_HORIZON.days} days ({when}): "
            "trust comes back through steady, visible contact, and a long "
            "silence reads as the old neglect",
        )


def _agreement(cf: CaseFile) -> Iterator[Problem]:
    agreement = cf.case.agreement
    if agreement is None:
        return
    parties = {s.party for s in agreement.signatories}
    missing = [
        name for party, name in (("client", "the client"), ("us", "us")) if party not in parties
    ]
    if missing:
        yield cf.problem(
            ("agreement", "signatories"),
            f"no signatory for {' or '.join(missing)}: an agreement signed by one "
            "side only is a promise, not something both can point back to",
        )


# -- following through ----------------------------------------------------------

#: Words that show an apology or an owned mistake in a meeting's record.
_OWNING = (
    ("sorry",),
    ("apologise",),
    ("apologize",),
    ("apologised",),
    ("apologized",),
    ("apology",),
    ("apologies",),
    ("our", "mistake"),
    ("our", "fault"),
    ("we", "got", "this", "wrong"),
    ("we", "got", "it", "wrong"),
)


def _follow_through(cf: CaseFile, today: date) -> Iterator[Problem]:
    agreement = cf.case.agreement
    if agreement is None:
        return
    items = standings(cf.case, today)
    for s in items:
        c = s.commitment
        name = f'"{c.id}"' if c.id else f'"{c.text}"'
        if s.overdue and c.due is not None and (s.last_update is None or s.last_update < c.due):
            how = (
                f"mend log --commitment {c.id}=STATUS" if c.id else "give it an id and mend log it"
            )
            yield cf.problem(
                ("agreement", "commitments", s.index, "due"),
                f"{name} was due {c.due.isoformat()} and nothing is recorded about it "
                f"since: say where it stands ({how}), because a promise that passes "
                "in silence reads as one quietly dropped",
            )
    yield from _broken_without_apology(cf)
    parties = {c.party for c in agreement.commitments}
    if len(parties) == 1 and "both" not in parties:
        whose, other = ("ours", "the client") if parties == {"us"} else ("the client's", "we")
        yield cf.problem(
            ("agreement", "commitments"),
            f"every commitment is {whose} alone: a recovery both sides carry holds "
            f"better, so agree what {other} will do too (a reply time, a sign-off date)",
        )


def _broken_without_apology(cf: CaseFile) -> Iterator[Problem]:
    """A broken commitment of ours needs an apology or an owned mistake, at or after it broke.

    Looked for in the record of that meeting and of every later held one:
    its summary, what was heard, decisions, concerns and commitment notes.
    """
    held = held_meetings(cf.case)
    index = {id(m): i for i, m in enumerate(cf.case.meetings)}
    ours = (
        {c.id for c in cf.case.agreement.commitments if c.id and c.party in ("us", "both")}
        if cf.case.agreement
        else set()
    )
    broken = [
        (k, j)
        for k, meeting in enumerate(held)
        for j, u in enumerate(meeting.commitments)
        if u.commitment in ours and u.status == "broken"
    ]
    if not broken:
        return
    # Whether that meeting or a later one owns up, worked out once a meeting
    # from the end: looking forward from each broken promise was quadratic.
    owned_from = [False] * (len(held) + 1)
    for k in range(len(held) - 1, -1, -1):
        owned_from[k] = owned_from[k + 1] or any(_owns(text) for text in _record(held[k]))
    for k, j in broken:
        meeting, update = held[k], held[k].commitments[j]
        if not owned_from[k]:
            yield cf.problem(
                ("meetings", index[id(meeting)], "commitments", j, "status"),
                f'"{update.commitment}" of ours was broken on {meeting.date.isoformat()} '
                "and no apology or owned mistake is recorded at or after that meeting: "
                "say sorry for it and what changes now, because a broken promise passed "
                "over in silence breaks trust twice",
            )


def _record(meeting: Meeting) -> Iterator[str]:
    if meeting.summary:
        yield meeting.summary
    yield from meeting.heard
    yield from meeting.decisions
    yield from meeting.concerns
    yield from (u.note for u in meeting.commitments if u.note)


def _owns(text: str) -> bool:
    return bool(_OWNING_INDEX.find(words(text)))


# -- tone ---------------------------------------------------------------------------

T = TypeVar("T")
TONE_FILE = Path(__file__).with_name("tone.toml")
_WORD_RE = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_KINDS = {
    "non-apology": "a non-apology (sorry for their feelings, not for what we did)",
    "blame": "blame, putting the fault on the client",
    "defensive": "defensive or condescending",
    "minimising": "minimising what the client went through",
}


@dataclass(frozen=True)
class Phrase:
    """One phrase of the tone check: its words, what is wrong, what to say instead."""

    text: str
    kind: str
    suggest: str

    @functools.cached_property
    def words(self) -> tuple[str, ...]:
        return words(self.text)


def words(text: str) -> tuple[str, ...]:
    """The words of a text, case-folded, curly apostrophes made straight."""
    return tuple(_WORD_RE.findall(text.casefold().replace("\u2019", "'")))


class _Index(Generic[T]):
    """Word sequences to find in texts, looked up by their first word.

    One pass over a text's words finds every listed sequence in it, so the
    cost of a case is its words, not its words times the list: a case with
    a thousand meetings is read in a few milliseconds.
    """

    def __init__(self, items: Iterable[tuple[tuple[str, ...], T]]) -> None:
        self._by_first: dict[str, list[tuple[tuple[str, ...], T]]] = {}
        for seq, item in items:
            if seq:
                self._by_first.setdefault(seq[0], []).append((seq, item))

    def find(self, found: tuple[str, ...]) -> list[T]:
        """The items whose words occur in ``found``, each once, in the list's order."""
        hits: dict[int, T] = {}
        for i, word in enumerate(found):
            for seq, item in self._by_first.get(word, ()):
                if found[i : i + len(seq)] == seq:
                    hits.setdefault(id(item), item)
        return list(hits.values())


_OWNING_INDEX: _Index[tuple[str, ...]] = _Index((seq, seq) for seq in _OWNING)


@functools.cache
def _shipped() -> tuple[Phrase, ...]:
    data = tomllib.loads(TONE_FILE.read_text(encoding="utf-8"))
    return tuple(Phrase(p["text"], p["kind"], p["suggest"]) for p in data["phrase"])


def phrases(settings: CoachSettings | None = None) -> tuple[Phrase, ...]:
    """mend's tone list, less what the workspace switches off, plus what it adds."""
    shipped = _shipped()
    if settings is None:
        return shipped
    off = {words(text) for text in settings.tone_off}
    added = tuple(Phrase(p.text, p.kind, p.suggest) for p in settings.tone_add)
    return tuple(p for p in shipped if p.words not in off) + added


def _client_texts(cf: CaseFile) -> Iterator[tuple[Path_, str]]:
    """Every client-facing text the tone check reads, with its field's path."""
    case = cf.case
    yield ("incident", "summary"), case.incident.summary
    if case.ownership:
        if case.ownership.apology:
            yield ("ownership", "apology"), case.ownership.apology
        for i, text in enumerate(case.ownership.mistakes):
            yield ("ownership", "mistakes", i), text
    for i, text in enumerate(case.affirmations):
        yield ("affirmations", i), text
    for i, m in enumerate(case.meetings):
        if m.summary:
            yield ("meetings", i, "summary"), m.summary
        for key in ("heard", "decisions", "positives", "concerns"):
            for j, text in enumerate(getattr(m, key)):
                yield ("meetings", i, key, j), text
        for j, u in enumerate(m.commitments):
            if u.note:
                yield ("meetings", i, "commitments", j, "note"), u.note
    if case.agreement:
        if case.agreement.background:
            yield ("agreement", "background"), case.agreement.background
        for i, c in enumerate(case.agreement.commitments):
            yield ("agreement", "commitments", i, "text"), c.text
        for i, a in enumerate(case.agreement.amendments):
            yield ("agreement", "amendments", i, "summary"), a.summary


def _tone(cf: CaseFile, listed: Iterable[Phrase]) -> Iterator[Problem]:
    listed = tuple(listed)
    order = {id(p): n for n, p in enumerate(listed)}
    index = _Index((p.words, p) for p in listed)
    for path, text in _client_texts(cf):
        for phrase in sorted(index.find(words(text)), key=lambda p: order[id(p)]):
            yield cf.problem(
                path,
                f'"{phrase.text}" reads as {_KINDS[phrase.kind]}: {phrase.suggest}',
            )


def signed_copy_notes(cf: CaseFile, signed: Path, today: date) -> list[Problem]:
    """Where the case has moved away from a signed copy of its agreement.

    A case file keeps no history, so only the signed PDF's ``agreement.json``
    can show that a commitment was edited after signing; a change no
    amendment records is a silent edit of what the client signed.
    """
    from .record import compare_signed

    comparison = compare_signed(signed, cf, today)
    notes = []
    for change in comparison.changes:
        advice = (
            "recorded by an amendment: have the amended agreement signed"
            if change.amendment
            else "no amendment records it: a change to what was signed is an amendment, "
            "agreed with the client, not a silent edit"
        )
        notes.append(
            cf.problem(
                ("agreement",),
                f"since {signed.name} was signed, {change.what}: {change.how}; {advice}",
            )
        )
    return notes
