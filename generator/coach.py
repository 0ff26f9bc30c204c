"""Coaching: what a seasoned account lead would point out in a valid case.

Validation (``case.py``) says whether mend can read a case; coaching says
whether the case is ready for the conversation it prepares. Each check is a
habit of the method in DESIGN.md (open with affirmations, own mistakes with
an apology, restate what was heard, give every action an owner and a date,
keep check-ins close together, get both parties to sign). A warning names
the field it is about, so an editor can jump to it, and says in one sentence
why it matters: advice without a reason is easy to ignore.

Coaching never stops a build; ``mend check --strict`` turns it into a gate.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

from .case import CaseFile
from .errors import Problem
from .progress import current_statuses, is_overdue
from .schedule import meetings_by_date, next_meeting

#: How soon the next check-in should be: trust comes back through steady,
#: visible contact, and two weeks of silence reads as the old neglect.
CHECKIN_HORIZON = timedelta(days=14)


def coach(casefile: CaseFile, today: date) -> list[Problem]:
    """Coaching notes for one valid case, as of ``today``, in file order."""
    notes = [
        *_affirmations(casefile, today),
        *_ownership(casefile),
        *_listening(casefile),
        *_meetings(casefile),
        *_milestones(casefile, today),
        *_checkins(casefile, today),
        *_agreement(casefile),
    ]
    return sorted(notes, key=lambda p: (p.line or 0, p.path))


def _affirmations(cf: CaseFile, today: date) -> Iterator[Problem]:
    nxt = next_meeting(cf.case, today)
    if nxt is not None and not cf.case.affirmations:
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
