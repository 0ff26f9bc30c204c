"""Recap emails: one RFC 5322 message per held meeting.

The header section is composed by :mod:`generator.headers`, not by the
email package, whose folding can unquote a long display name (gh-80222)
and lose the spaces between encoded words: a name is always plain words, a
quoted-string or encoded words, a Subject reads back with its spaces, and
lines end in CRLF. Before a message is returned, its header section is
parsed back and refused unless every address field names exactly the
people intended (:func:`_check_head`). A case text field cannot hold a line
break (model.py refuses it), so no value can add a header. Only an address
whose local part is not ASCII is written in UTF-8 (RFC 6532), and ``mend
send`` then asks the server for SMTPUTF8.

The structure is the one Google Calendar and Exchange use for invitations,
because it is the one every mail client has learnt to read::

    multipart/mixed
      multipart/alternative
        text/plain                        the recap, complete on its own
        text/html                         the same, from the theme
        text/calendar; method=REQUEST     Gmail and Outlook show Accept/Decline
      application/ics (invite.ics)        Apple Mail and Thunderbird offer "add"

Without a next check-in there is nothing to invite to, and the message is
only the ``multipart/alternative``. MIME boundaries derive from a hash of
the content and the ``Message-ID`` from the case and the meeting, so a
rebuild writes the same bytes.
"""

from __future__ import annotations

import base64
import contextlib
import email.policy
import functools
import hashlib
import re
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from email.headerregistry import Address
from email.utils import format_datetime
from typing import Any
from zoneinfo import ZoneInfo

from ..documents import Document
from ..errors import CaseError, HeaderError
from ..headers import (
    ADDRESS_FIELDS,
    address_field,
    addresses,
    display_name,
    parse_head,
    unstructured_field,
)
from ..i18n import KINDS, N_, Language, get_language
from ..model import Case, Contact, Meeting, Member, Person
from ..progress import STATUS_LABELS, current_statuses
from ..schedule import changes, following_meeting
from . import BuildContext, Source, template_context
from .ics import changed_occurrence, invitation, occurrence

#: When a meeting has no time of its own or of its check-ins, it is taken to
#: have started at the end of a working day.
DEFAULT_START = time(17, 0)
#: The length of a meeting when the case has no check-ins to say.
DEFAULT_MINUTES = 30
#: Outlook opens a message with this header as a draft to review and send,
#: which is how a user who prefers their own mailbox sends a recap. Other
#: clients ignore it; ``mend send`` removes it.
UNSENT_HEADER = "X-Unsent"
#: The body parts are written line by line as the SMTP policy would: CRLF,
#: lines of at most 78 characters, no ">From" mangling.
BODY_POLICY = email.policy.compat32.clone(linesep="\r\n", mangle_from_=False)
#: Where the people of each header are in a case file.
CONTACTS = ("client", "contacts")
TEAM = ("team", "members")


def recipients(case: Case) -> tuple[list[Contact], list[Member]]:
    """``To``: client contacts with an email, primary first. ``Cc``: the rest of our team."""
    primary = case.primary_contact
    contacts = [c for c in case.client.contacts if c.email]
    contacts.sort(key=lambda c: c is not primary)
    lead = case.lead
    team = [m for m in case.team.members if m.email and m is not lead]
    return contacts, team


def meeting_start(case: Case, meeting: Meeting) -> datetime:
    """When a meeting began: its own time, else the check-in time, else 17:00."""
    assert case.timezone is not None
    checkins = case.plan.checkins
    start = meeting.time or (checkins.time if checkins else None) or DEFAULT_START
    return datetime.combine(meeting.date, start, tzinfo=ZoneInfo(case.timezone))


def meeting_end(case: Case, meeting: Meeting) -> datetime:
    """The ``Date`` of a recap: the end of the meeting, in the case's timezone.

    A recap dated when it was built would change on every build; dated at
    the meeting's end, it sorts in the reader's mailbox where it belongs.
    """
    checkins = case.plan.checkins
    minutes = checkins.duration if checkins else DEFAULT_MINUTES
    return meeting_start(case, meeting) + timedelta(minutes=minutes)


def join_names(names: list[str], lang: Language | None = None) -> str:
    """``A``, ``A and B``, ``A, B and C``: for a greeting, in the message's language."""
    return (lang or get_language(None)).conjoin(names)


def milestone_standing(
    case: Case, meeting: Meeting, lang: Language | None = None
) -> list[dict[str, Any]]:
    """Every milestone as it stood at the end of this meeting.

    Counted up to the meeting's date, not today, so a recap says what was
    true when it was written and does not change as later meetings are
    logged.
    """
    statuses = current_statuses(case, until=meeting.date)
    notes = {p.milestone: p.note for p in meeting.progress}
    return [
        {
            "id": m.id,
            "title": m.title,
            "due": m.due,
            "owner": m.owner,
            "status": statuses[m.id],
            "label": (lang or get_language(None)).gettext(STATUS_LABELS[statuses[m.id]]),
            "updated": m.id in notes,
            "note": notes.get(m.id),
        }
        for m in case.plan.milestones
    ]


def tidy_text(text: str) -> str:
    """Plain text as it should travel: no trailing spaces, one blank line at most."""
    lines = [line.rstrip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n") + "\n"


def build_message(doc: Document, source: Source, ctx: BuildContext) -> bytes | None:
    """The recap of the meeting on ``doc.date``, or None when nobody could receive it."""
    case = source.case
    meeting = next(m for m in case.meetings if m.date == doc.date)
    people = _sendable(source, "recap")
    if people is None:
        ctx.warn(
            str(
                source.where.problem(
                    ("client", "contacts"),
                    f"no client contact has an email, so the recap of {meeting.date} was "
                    "not written (add `email` to the primary contact)",
                )
            )
        )
        return None
    to, cc = people
    lang: Language = source.view["i18n"]
    subject = lang.gettext(N_("Recap of our %(kind)s on %(day)s: %(title)s")) % {
        "kind": lang.phrase(KINDS, meeting.kind),
        "day": lang.short_date(meeting.date),
        "title": case.title,
    }
    end = meeting_end(case, meeting)
    message_id = f"recap-{meeting.date.isoformat()}.{case.id}"
    head = _head(source, to, cc, subject, end, message_id, "recap")
    following = following_meeting(case, meeting.date)
    context = _context(doc, source, meeting, to, following)
    text = tidy_text(ctx.renderer.render(doc.spec.templates_for("eml")[0], context))
    html = ctx.renderer.render(doc.spec.templates_for("eml")[1], {**context, "format": "html"})

    invite = b""
    if following is not None:
        event = occurrence(case, following[0])
        invite = invitation(case, event, ctx.ledger, ctx.today, lang=lang).ical
    return _assemble(head, text, html, invite, "REQUEST")


def _head(
    source: Source,
    to: Sequence[Contact],
    cc: Sequence[Member],
    subject: str,
    when: datetime,
    message_id: str,
    what: str,
) -> str:
    """The header section of a message from the lead to ``to``, copied to ``cc``, checked.

    ``message_id`` is the left-hand side of the ``Message-ID``; ``what``
    names the message in an error ("the recap's To header").
    """
    lead = source.case.lead
    people: dict[str, list[tuple[Person, tuple[str, str]]]] = {
        "From": [(lead, TEAM)],
        "To": [(p, CONTACTS) for p in to],
        "Cc": [(p, TEAM) for p in cc],
    }
    written = {
        field: [(display_name(p.name), _address(source, p, where).addr_spec) for p, where in group]
        for field, group in people.items()
        if group
    }
    head = "\r\n".join(
        [
            *(address_field(field, pairs) for field, pairs in written.items()),
            unstructured_field("Subject", subject),
            f"Date: {format_datetime(when)}",
            f"Message-ID: <{message_id}@{_id_domain(lead)}>",
            "MIME-Version: 1.0",
            f"Content-Language: {source.view['i18n'].code}",
            "X-Mailer: mend",
            f"{UNSENT_HEADER}: 1",
        ]
    )
    _check_head(source, head, people, written, subject, what)
    return head


def _assemble(head: str, text: str, html: str, invite: bytes, method: str) -> bytes:
    # The header section as headers.py wrote and checked it, then the MIME
    # tree, whose first lines are the top-level Content-Type and encoding.
    return (
        head.encode("utf-8")
        + b"\r\n"
        + _body(text, html, invite, method, _stem([head, text, html, invite]))
    )


def _sendable(source: Source, what: str) -> tuple[list[Contact], list[Member]] | None:
    """The recipients of a message from the lead; None (with a warning) when nobody could read it.

    A lead without an email is an error: every message is sent from that address.
    """
    case = source.case
    to, cc = recipients(case)
    if not to:
        return None
    lead = case.lead
    if not lead.email:
        index = case.team.members.index(lead)
        raise CaseError(
            [
                source.where.problem(
                    ("team", "members", index),
                    f"the team lead ({lead.name}) has no `email`; {what}s are sent from "
                    "the lead's address, so add one",
                )
            ]
        )
    return to, cc


def _body(text: str, html: str, invite: bytes, method: str, stem: str) -> bytes:
    """The MIME tree of a recap, written as the email package writes it, at a fifth of its cost.

    The parts are mend's own text and never change shape, so there is no
    tree to build: each part is its header fields (folded by the policy the
    email package's generator folds with), a blank line, and its body in
    quoted-printable or base64, and a multipart is its parts between
    boundaries. These are exactly the bytes of the classic MIME classes
    (``MIMEMultipart``, ``MIMEText`` with a quoted-printable UTF-8 charset,
    ``MIMEBase`` with ``encode_base64``) flattened with BODY_POLICY, which
    tests/test_eml.py checks against them. Measured on the recaps of 40
    generated cases, in one run: 3.7 ms a recap with the classes, 0.76 ms
    written here (4.8x).
    """
    alternative = _multipart(
        "alternative",
        f"=_mend_{stem}_{1 if invite else 0}",
        [_PLAIN_HEAD + _quoted_printable(text), _HTML_HEAD + _quoted_printable(html)]
        + ([_calendar_head(method) + _quoted_printable(invite.decode("utf-8"))] if invite else []),
    )
    if not invite:
        return alternative.encode("ascii")
    attachment = _ATTACHMENT_HEAD + _crlf(base64.encodebytes(invite).decode("ascii"))
    return _multipart("mixed", f"=_mend_{stem}_0", [alternative, attachment]).encode("ascii")


def _fields(*fields: tuple[str, str]) -> str:
    """Header fields as the generator writes them, and the blank line after them."""
    return "".join(BODY_POLICY.fold(name, value) for name, value in fields) + CRLF


def _multipart(subtype: str, boundary: str, parts: list[str]) -> str:
    """A multipart with its Content-Type: parts between delimiters, no preamble or epilogue."""
    delimiter = f"{CRLF}--{boundary}{CRLF}"
    return (
        _fields(("Content-Type", f'multipart/{subtype}; boundary="{boundary}"'))
        + f"--{boundary}{CRLF}"
        + delimiter.join(parts)
        + f"{CRLF}--{boundary}--{CRLF}"
    )


def _quoted_printable(content: str) -> str:
    """What a ``MIMEText`` with a quoted-printable UTF-8 charset holds, with CRLF line ends.

    The same text as ``email.quoprimime.body_encode`` of the UTF-8 bytes
    (76 characters a line, ``=`` soft breaks, never splitting an escape, a
    space or tab at a line's end escaped) once the generator has made every
    line end CRLF. The lines are cut by the same steps; only the escaping
    differs: the email package maps every character through a table, this
    replaces each distinct unsafe byte, which a recap has few of. Four
    times faster on a recap's HTML part; tests/test_eml.py compares the
    two on arbitrary text.
    """
    data = content.encode("utf-8")
    body = data.decode("latin1").replace("=", "=3D")
    for byte in sorted(set(data.translate(None, _QP_SAFE))):
        body = body.replace(chr(byte), f"={byte:02X}")
    if not body:
        return body
    lines: list[str] = []
    append = lines.append
    for line in body.splitlines():
        start = 0
        last_start = len(line) - 1 - _QP_LINE
        while start <= last_start:  # cut before the 76th character, never inside "=XX"
            stop = start + _QP_LINE - 1
            if line[stop - 2] == "=":
                append(line[start : stop - 1])
                start = stop - 2
            elif line[stop - 1] == "=":
                append(line[start:stop])
                start = stop - 1
            else:
                append(line[start:stop] + "=")
                start = stop
        if line and line[-1] in " \t":  # a space at a line's end would be lost in transit
            room = start - last_start
            if room >= 3:
                end = f"={ord(line[-1]):02X}"
            elif room == 2:
                end = f"{line[-1]}={CRLF}"
            else:
                end = f"={CRLF}={ord(line[-1]):02X}"
            append(line[start:-1] + end)
        else:
            append(line[start:])
    if body[-1] in "\r\n":
        append("")
    return CRLF.join(lines)


def _crlf(payload: str) -> str:
    return _LINE_END.sub(CRLF, payload)


@functools.lru_cache(maxsize=8)
def _calendar_head(method: str) -> str:
    # set_param("method") rewrites Content-Type, which moves it after the encoding.
    return _fields(
        ("Content-Transfer-Encoding", "quoted-printable"),
        ("Content-Type", f'text/calendar; charset="utf-8"; method="{method}"'),
    )


CRLF = "\r\n"
#: The bytes quoted-printable writes as they are (RFC 2045 6.7); "=" among
#: them only to be escaped first, as the escapes hold it.
_QP_SAFE = bytes(range(0x20, 0x7F)) + b"\t\r\n"
#: The longest line of quoted-printable (RFC 2045 6.7 (5)).
_QP_LINE = 76
#: The email generator's own line-end pattern (email.generator.NLCRE).
_LINE_END = re.compile(r"\r\n|\r|\n")
_PLAIN_HEAD = _fields(
    ("Content-Type", 'text/plain; charset="utf-8"'),
    ("Content-Transfer-Encoding", "quoted-printable"),
)
_HTML_HEAD = _fields(
    ("Content-Type", 'text/html; charset="utf-8"'),
    ("Content-Transfer-Encoding", "quoted-printable"),
)
_ATTACHMENT_HEAD = _fields(
    ("Content-Type", 'application/ics; name="invite.ics"'),
    ("Content-Transfer-Encoding", "base64"),
    ("Content-Disposition", 'attachment; filename="invite.ics"'),
)


def build_notice(doc: Document, source: Source, ctx: BuildContext) -> bytes | None:
    """The notice that the meeting planned for ``doc.date`` moved or is cancelled.

    It goes to the people the recap's invitation went to, from the lead,
    and carries the changed event itself: ``METHOD:REQUEST`` with the
    moved occurrence, or ``METHOD:CANCEL``, with the UID, RECURRENCE-ID
    and a SEQUENCE above those of the invitations, so the client's
    calendar updates or removes the entry it has. Its ``Date`` is the
    event's stamp: the day the change was first built.
    """
    assert doc.date is not None
    case = source.case
    people = _sendable(source, "notice")
    if people is None:
        ctx.warn(
            str(
                source.where.problem(
                    ("client", "contacts"),
                    f"no client contact has an email, so the notice about {doc.date} was "
                    "not written (add `email` to the primary contact)",
                )
            )
        )
        return None
    to, cc = people
    change = next(c for c in changes(case, date.min) if c.date == doc.date)
    event = changed_occurrence(case, doc.date)
    method = "CANCEL" if event.cancelled else "REQUEST"
    lang: Language = source.view["i18n"]
    calendar = invitation(case, event, ctx.ledger, ctx.today, method=method, lang=lang)
    stamp = calendar.stamp
    what = "check-in" if change.kind == "check-in" else change.kind
    words = {
        "kind": lang.phrase(KINDS, what),
        "day": lang.short_date(change.date),
        "title": case.title,
    }
    if change.moved_to is None:
        subject = lang.gettext(N_("Our %(kind)s on %(day)s is cancelled: %(title)s")) % words
    elif change.moved_to == change.date and change.time is not None:
        subject = lang.gettext(N_("Our %(kind)s on %(day)s moves to %(time)s: %(title)s")) % {
            **words,
            "time": change.time.strftime("%H:%M"),
        }
    else:
        subject = lang.gettext(N_("Our %(kind)s on %(day)s moves to %(new_day)s: %(title)s")) % {
            **words,
            "new_day": lang.short_date(change.moved_to),
        }
    head = _head(
        source, to, cc, subject, stamp, f"notice-{doc.date.isoformat()}.{case.id}", "notice"
    )
    checkins = case.plan.checkins
    context = {
        **template_context(doc, source, "eml"),
        "greeting": join_names([p.name for p in to], lang),
        "change": {
            "kind": what,
            "date": change.date,
            "time": checkins.time if checkins else None,
            "cancelled": change.moved_to is None,
            "moved_to": change.moved_to,
            "new_time": change.time,
            "timezone": case.timezone,
            "channel": checkins.channel if checkins else None,
            "link": checkins.link if checkins else None,
        },
    }
    text = tidy_text(ctx.renderer.render(doc.spec.templates_for("eml")[0], context))
    html = ctx.renderer.render(doc.spec.templates_for("eml")[1], {**context, "format": "html"})
    return _assemble(head, text, html, calendar.ical, method)


def write(doc: Document, source: Source, ctx: BuildContext) -> bytes | None:
    """``recap-YYYY-MM-DD.eml`` or ``notice-YYYY-MM-DD.eml``; None (with a warning)
    when it has no recipient."""
    if doc.kind == "notice":
        return build_notice(doc, source, ctx)
    return build_message(doc, source, ctx)


# -- helpers ------------------------------------------------------------------------------


def _context(
    doc: Document,
    source: Source,
    meeting: Meeting,
    to: Sequence[Person],
    following: tuple[date, time | None] | None,
) -> dict[str, Any]:
    """What the recap templates see: the client view, and this meeting's part of it."""
    case, view = source.case, source.view
    checkins = case.plan.checkins
    meeting_view = next(m for m in view["meetings"] if m["date"] == meeting.date)
    positives = meeting_view["positives"] or view["case"]["affirmations"]
    return {
        **template_context(doc, source, "eml"),
        "meeting": meeting_view,
        "greeting": join_names([p.name for p in to], view["i18n"]),
        "standing": milestone_standing(case, meeting, view["i18n"]),
        # Computed once for the case's view, not once a recap: a case has
        # hundreds of recaps, and each walk of the log is the whole log.
        "follow_through": view["commitments"]["at_meeting"][meeting.date],
        "following": {
            "date": following[0],
            "time": following[1],
            "timezone": case.timezone,
            "channel": checkins.channel if checkins else None,
            "link": checkins.link if checkins else None,
        }
        if following
        else None,
        "positive": positives[0] if positives else None,
    }


def _address(source: Source, person: Person, where: tuple[str, str]) -> Address:
    """A person as a header address; a domain in another script becomes IDNA."""
    assert person.email is not None
    user, _, domain = person.email.rpartition("@")
    if not domain.isascii():
        with contextlib.suppress(UnicodeError):  # else left in UTF-8, as RFC 6532 allows
            domain = domain.encode("idna").decode("ascii")
    try:
        return Address(display_name=person.name, username=user, domain=domain)
    except (ValueError, IndexError) as exc:
        raise CaseError(
            [
                source.where.problem(
                    _field_of(source, person, where, "email"),
                    f'cannot use "{person.email}" as an email address: {exc}',
                )
            ]
        ) from None


def _field_of(
    source: Source, person: Person, where: tuple[str, str], leaf: str
) -> tuple[str | int, ...]:
    """The path of one of a person's fields in the case file, for a message."""
    group = getattr(source.case, where[0])
    members = group.contacts if where[0] == "client" else group.members
    return (*where, members.index(person), leaf)


def _check_head(
    source: Source,
    head: str,
    people: dict[str, list[tuple[Person, tuple[str, str]]]],
    written: dict[str, list[tuple[str, str]]],
    subject: str,
    what: str = "recap",
) -> None:
    """Refuse a header section that does not read back exactly as it was meant.

    The section is parsed as a mail reader would (policy.default), and every
    address field must give exactly the people intended, names included,
    and pass :func:`~generator.headers.addresses`'s checks, which ``mend
    send`` makes again. This does not trust headers.py to be right: it is
    what stands between a bug there (or in the email package) and a recap
    to an address that was only part of a name. It costs a parse of the
    header section; each address field's text is read once (headers.py
    keeps the readings), and a case's recaps share From, To and Cc: on the
    recaps of 40 generated cases, 0.3 ms a recap rather than 2.3 ms.
    """
    message = parse_head(head + "\r\n")
    for field in ADDRESS_FIELDS:
        want = written.get(field, [])
        try:
            got: list[tuple[str, str]] | None = addresses(message, field)
            reason = ""
        except HeaderError as exc:
            got, reason = None, exc.reason
        if got == want:
            continue
        person, where, leaf, alone = _culprit(field, people[field], want)
        reason = reason or f"it would read back as {_describe(got or [])}"
        raise CaseError(
            [
                source.where.problem(
                    _field_of(source, person, where, leaf),
                    f"cannot write {_describe([alone])} in the {what}'s {field} header: "
                    f"{reason}; mend writes no header that could change who a message "
                    "goes to",
                )
            ]
        )
    if str(message["Subject"]) != subject:
        raise CaseError(
            [
                source.where.problem(
                    ("title",),
                    f"the {what}'s Subject would read back as {str(message['Subject'])!r}, "
                    "not as the title; mend writes no Subject that changes the text",
                )
            ]
        )


def _culprit(
    field: str, group: list[tuple[Person, tuple[str, str]]], want: list[tuple[str, str]]
) -> tuple[Person, tuple[str, str], str, tuple[str, str]]:
    """The first person whose mailbox does not read back alone (else the first of all).

    The blame is on the email when the address fails even without the name.
    """

    def reads_back(pair: tuple[str, str]) -> bool:
        try:
            return addresses(parse_head(address_field(field, [pair]) + "\r\n"), field) == [pair]
        except HeaderError:
            return False

    for (person, where), pair in zip(group, want, strict=True):
        if not reads_back(pair):
            return person, where, "name" if reads_back(("", pair[1])) else "email", pair
    person, where = group[0]
    return person, where, "name", want[0]


def _describe(pairs: list[tuple[str, str]]) -> str:
    return ", ".join(f"{name!r} <{addr}>" if name else f"<{addr}>" for name, addr in pairs)


def _id_domain(lead: Person) -> str:
    """The right-hand side of the Message-ID: the lead's domain when it is plain ASCII."""
    assert lead.email is not None
    domain = lead.email.rpartition("@")[2]
    return domain if re.fullmatch(r"[A-Za-z0-9.-]+", domain) else "mend.invalid"


def _stem(content: list[str | bytes]) -> str:
    """The stem of a message's MIME boundaries, derived from what it is made from.

    The digest is of the content, so the message is serialised once, not
    twice. A boundary cannot occur in a body: every part is
    quoted-printable or base64, whose alphabets never produce ``=_mend_``
    (quoted-printable writes a literal ``=`` as ``=3D``).
    """
    digest = hashlib.sha256()
    for chunk in content:
        digest.update(chunk.encode("utf-8") if isinstance(chunk, str) else chunk)
        digest.update(b"\0")
    return digest.hexdigest()[:24]
