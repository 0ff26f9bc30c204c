"""Recap emails: one RFC 5322 message per held meeting.

Built with :class:`email.message.EmailMessage` and written with the SMTP
policy, so names and subjects in any script are encoded per RFC 2047, lines
end in CRLF, and no value can add a header (case text fields cannot hold a
line break in the first place). The structure is the one calendar services
send: ``multipart/mixed`` holding ``multipart/alternative`` (plain text,
HTML, and the next check-in as ``text/calendar; method=REQUEST``) and the
same invitation as an ``invite.ics`` attachment, for mail clients that only
look there. MIME boundaries and the ``Message-ID`` derive from the content
and the case, so rebuilding gives the same bytes.
"""

from __future__ import annotations

import email.policy
import hashlib
from datetime import datetime, time, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any
from zoneinfo import ZoneInfo

from ..case import Case, Meeting, Person
from ..documents import Document
from ..errors import MendError
from ..render import long_date
from ..schedule import following_meeting
from . import BuildContext, Source, template_context
from .ics import invitation
from .md import tidy

#: When a meeting has no time of its own or of its check-ins.
DEFAULT_END = time(17, 0)


class EmailError(MendError):
    """A recap cannot be written as a valid message."""


def _address(person: Person, display: str, field: str) -> Address:
    assert person.email is not None
    user, _, domain = person.email.rpartition("@")
    try:
        return Address(display_name=person.name, username=user, domain=domain)
    except (ValueError, IndexError) as exc:
        raise EmailError(
            f"{display}: {field}: cannot use {person.email!r} as an address: {exc}"
        ) from None


def recipients(case: Case) -> tuple[list[Person], list[Person]]:
    """To: the client contacts with an email, primary first; Cc: the rest of the team."""
    contacts = [c for c in case.client.contacts if c.email]
    contacts.sort(key=lambda c: not c.primary)
    lead = case.lead
    team = [m for m in case.team.members if m.email and m is not lead]
    return contacts, team


def greeting(people: list[Person]) -> str:
    """First names for "Hi ...,": "Dana", "Dana and Priya", "Dana, Priya and Graham"."""
    names = [p.name.split()[0] for p in people]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def meeting_end(case: Case, meeting: Meeting) -> datetime:
    """The ``Date`` of a recap: the end of the meeting, in the case's timezone."""
    assert case.timezone is not None
    checkins = case.plan.checkins
    start = meeting.time or (checkins.time if checkins else None)
    minutes = checkins.duration if checkins else 30
    tz = ZoneInfo(case.timezone)
    if start is None:
        return datetime.combine(meeting.date, DEFAULT_END, tzinfo=tz)
    return datetime.combine(meeting.date, start, tzinfo=tz) + timedelta(minutes=minutes)


def _stable_boundaries(message: EmailMessage) -> None:
    """Replace the random MIME boundaries with ones derived from the content."""
    for i, part in enumerate(message.walk()):
        if part.is_multipart():
            part.set_boundary(f"=_mend_placeholder_{i}")
    digest = hashlib.sha256(message.as_bytes(policy=email.policy.SMTP)).hexdigest()[:24]
    for i, part in enumerate(message.walk()):
        if part.is_multipart():
            part.set_boundary(f"=_mend_{digest}_{i}")


def build_message(doc: Document, source: Source, ctx: BuildContext) -> EmailMessage | None:
    """The recap of the meeting ``doc.date``, or None when it has nobody to go to."""
    case, casefile = source.case, source.casefile
    meeting = next(m for m in case.meetings if m.date == doc.date)
    to, cc = recipients(case)
    if not to:
        ctx.warn(
            f"{casefile.display}: client.contacts: no contact has an email, so the recap of "
            f"{meeting.date} was not written (add an email to the primary contact)"
        )
        return None
    lead = case.lead
    if not lead.email:
        raise EmailError(
            f"{casefile.display}: team.members: the lead ({lead.name}) has no email, and recaps are sent from it"
        )
    following = following_meeting(case, meeting.date)
    view = source.view
    meeting_view = next(m for m in view["meetings"] if m["date"] == meeting.date)
    positive = (meeting.positives or case.affirmations or [None])[0]
    context: dict[str, Any] = {
        **template_context(doc, source, "eml"),
        "meeting": meeting_view,
        "following": {"date": following[0], "time": following[1]} if following else None,
        "positive": positive,
        "greeting": greeting(to),
    }
    text = tidy(ctx.renderer.render("eml/recap.txt", context))
    html = ctx.renderer.render("eml/recap.html", {**context, "format": "html"})

    message = EmailMessage(policy=email.policy.SMTP)
    display = casefile.display
    try:
        message["From"] = _address(lead, display, "team.members")
        message["To"] = [_address(p, display, "client.contacts") for p in to]
        if cc:
            message["Cc"] = [_address(p, display, "team.members") for p in cc]
        message["Subject"] = (
            f"Recap of our {meeting.kind} on {long_date(meeting.date)}: {case.title}"
        )
        message["Date"] = format_datetime(meeting_end(case, meeting))
        domain = lead.email.rpartition("@")[2]
        message["Message-ID"] = f"<recap-{meeting.date.isoformat()}.{case.id}@{domain}>"
    except (ValueError, TypeError) as exc:  # the email package refuses a header value
        raise EmailError(f"{display}: cannot write the recap of {meeting.date}: {exc}") from None
    message["MIME-Version"] = "1.0"
    message["X-Mailer"] = "mend"
    message.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    if following is not None:
        invite = invitation(case, following[0], following[1]).to_ical()
        message.add_alternative(
            invite.decode("utf-8"),
            subtype="calendar",
            charset="utf-8",
            cte="quoted-printable",
            params={"method": "REQUEST"},
        )
        message.make_mixed()
        message.add_attachment(invite, maintype="application", subtype="ics", filename="invite.ics")
    _stable_boundaries(message)
    return message


def write(doc: Document, source: Source, ctx: BuildContext) -> bytes | None:
    message = build_message(doc, source, ctx)
    return None if message is None else message.as_bytes(policy=email.policy.SMTP)
