"""Sending recap and notice emails over SMTP, recipient by recipient.

What goes out is the file mend wrote, byte for byte, less two header
fields: ``Bcc`` (its addresses are recipients, but the header must not
travel) and ``X-Unsent`` (which only tells Outlook to open the file as a
draft), and with two fields restamped (:func:`stamped`): ``Date`` is the
time of sending, and ``Message-ID`` takes a digest of the content, so a
corrected message is a new message to a mailbox that already has the old
one, while the file on disk stays as it was built. The SMTP conversation is driven one command at a time (``MAIL``,
one ``RCPT`` per recipient, ``DATA``) rather than through
:meth:`smtplib.SMTP.sendmail`, because a server may accept some recipients
and refuse others, and the user must see the server's answer for each.
"""

from __future__ import annotations

import hashlib
import os
import re
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from .config import SmtpSettings
from .errors import HeaderError, SendError
from .headers import ADDRESS_FIELDS, addresses, parse_head

#: Header fields that stay in the file but are not transmitted.
NOT_TRANSMITTED = ("bcc", "x-unsent")
DEFAULT_PORTS = {"ssl": 465, "starttls": 587, "none": 25}


@dataclass(frozen=True)
class Delivery:
    """What the server said about one recipient of one message."""

    path: Path
    recipient: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class Outgoing:
    """A message file, parsed for its addresses and ready to transmit."""

    path: Path
    message: EmailMessage
    sender: str
    recipients: list[str]
    data: bytes  # what goes after DATA: the file less NOT_TRANSMITTED, CRLF line ends

    @property
    def needs_smtputf8(self) -> bool:
        """RFC 6531: an address or header in UTF-8 needs a server that says SMTPUTF8."""
        header = self.data.split(b"\r\n\r\n", 1)[0]
        return not header.isascii() or not all(a.isascii() for a in [self.sender, *self.recipients])


def read_message(path: Path, now: datetime | None = None) -> Outgoing:
    """Read and check one .eml file: one sender, a recipient, and no doubt about either.

    The recipients are exactly the addresses of To, Cc and Bcc as the email
    package parses them, and each address field must pass
    :func:`~generator.headers.addresses`: a field that two parsers read
    differently, or that holds a comment or group, is refused, because
    that is how text in a name becomes a recipient. A message mend built
    always passes; one edited by hand or built by an older mend may not.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SendError(f"{path}: cannot read: {exc.strerror}") from None
    data = stamped(transmitted(raw), now or datetime.now(UTC).astimezone())
    # The whole header section, Bcc included, read as text: RFC 6532 allows
    # UTF-8 there, which BytesParser would leave undecoded.
    head = re.sub(rb"\r?\n", b"\r\n", raw).partition(b"\r\n\r\n")[0]
    try:
        message = parse_head(head.decode("utf-8") + "\r\n")
    except UnicodeDecodeError:
        raise SendError(f"{path}: not a message to send: its header is not UTF-8 text") from None
    fields: dict[str, list[tuple[str, str]]] = {}
    for field in ADDRESS_FIELDS:
        try:
            fields[field] = addresses(message, field)
        except HeaderError as exc:
            raise SendError(
                f"{path}: {exc.field} header: {exc.reason}; not sent (rebuild the message "
                "with mend, or correct the header)"
            ) from None
    senders = [addr for _, addr in fields["From"]]
    recipients = list(
        dict.fromkeys(addr for field in ("To", "Cc", "Bcc") for _, addr in fields[field])
    )
    if len(senders) != 1:
        raise SendError(f"{path}: not a message to send: it needs exactly one From address")
    if not recipients:
        raise SendError(f"{path}: not a message to send: it has no To, Cc or Bcc address")
    return Outgoing(path, message, senders[0], recipients, data)


def transmitted(raw: bytes) -> bytes:
    """The bytes to send: line ends made CRLF, the NOT_TRANSMITTED fields dropped.

    Only the header section is touched, and only by removing whole fields
    (with their folded continuation lines); the body goes as it is.
    """
    raw = re.sub(rb"\r?\n", b"\r\n", raw)
    head, sep, body = raw.partition(b"\r\n\r\n")
    kept: list[bytes] = []
    dropping = False
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t"):
            if not dropping:
                kept.append(line)
            continue
        name = line.split(b":", 1)[0].strip().lower().decode("ascii", "replace")
        dropping = name in NOT_TRANSMITTED
        if not dropping:
            kept.append(line)
    return b"\r\n".join(kept) + sep + body


def _fields(head: bytes) -> list[list[bytes]]:
    """A header section's fields, each as its lines (a folded field has several)."""
    fields: list[list[bytes]] = []
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1].append(line)
        else:
            fields.append([line])
    return fields


def _name(field: list[bytes]) -> bytes:
    return field[0].split(b":", 1)[0].strip().lower()


def stamped(data: bytes, now: datetime) -> bytes:
    """``data`` with ``Date`` set to ``now`` and a ``Message-ID`` that follows the content.

    A message is built once and may be sent days later: a ``Date`` from the
    build would sort it among old mail. The ``Message-ID`` keeps the left
    and right parts mend wrote and adds a digest of everything else in the
    message, so sending the same file again repeats its Message-ID (a
    mailbox that has it may show it once), and sending a corrected file
    gives a new one that Gmail will not drop as a duplicate. A field
    missing from a hand-made file is added.
    """
    head, sep, body = data.partition(b"\r\n\r\n")
    fields = _fields(head)
    kept = [f for f in fields if _name(f) not in (b"date", b"message-id")]
    content = b"\r\n".join(line for f in kept for line in f) + sep + body
    digest = hashlib.sha256(content).hexdigest()[:16]
    old = next((f for f in fields if _name(f) == b"message-id"), None)
    match = re.search(rb"<([^<>@\s]+)@([^<>@\s]+)>", b"".join(old)) if old else None
    left, right = (match[1], match[2]) if match else (b"mend", b"mend.invalid")
    date = [f"Date: {format_datetime(now)}".encode("ascii")]
    message_id = [b"Message-ID: <" + left + b"." + digest.encode("ascii") + b"@" + right + b">"]
    out: list[list[bytes]] = []
    for field in fields:
        name = _name(field)
        if name == b"date":
            out.append(date)
            date = []
        elif name == b"message-id":
            out.append(message_id)
            message_id = []
        else:
            out.append(field)
    at = next((i for i, f in enumerate(out) if _name(f) == b"mime-version"), len(out))
    out[at:at] = [f for f in (date, message_id) if f]
    return b"\r\n".join(line for f in out for line in f) + sep + body


def password(settings: SmtpSettings) -> str | None:
    """The password, from the environment variable ``password_env`` names.

    mend.toml names the variable instead of holding the secret, so the file
    can be shared and committed.
    """
    if settings.user is None:
        return None
    if settings.password_env is None:
        raise SendError(
            f"mend.toml: smtp.password_env: smtp.user is {settings.user!r}, so name the "
            "environment variable that holds the password"
        )
    value = os.environ.get(settings.password_env)
    if value is None:
        raise SendError(
            f"mend.toml: smtp.password_env: the environment variable {settings.password_env} "
            "is not set (it should hold the SMTP password)"
        )
    return value


def connect(settings: SmtpSettings) -> smtplib.SMTP:
    """Open a connection (TLS from the start, STARTTLS, or plain) and log in."""
    secret = password(settings)
    port = settings.port or DEFAULT_PORTS[settings.security]
    where = f"{settings.host}:{port}"
    context = ssl.create_default_context()
    server: smtplib.SMTP | None = None
    try:
        if settings.security == "ssl":
            server = smtplib.SMTP_SSL(
                settings.host, port, timeout=settings.timeout, context=context
            )
        else:
            server = smtplib.SMTP(settings.host, port, timeout=settings.timeout)
        server.ehlo_or_helo_if_needed()
        if settings.security == "starttls":
            server.starttls(context=context)
            server.ehlo()
    except (OSError, smtplib.SMTPException) as exc:
        if server is not None:
            server.close()
        raise SendError(f"cannot connect to SMTP server {where}: {reason(exc)}") from None
    if settings.user is not None:
        try:
            server.login(settings.user, secret or "")
        except (OSError, smtplib.SMTPException) as exc:
            _close(server)
            raise SendError(
                f"SMTP server {where} refused the login of {settings.user}: {reason(exc)}"
            ) from None
    return server


def send(
    paths: Sequence[Path], settings: SmtpSettings, now: datetime | None = None
) -> list[Delivery]:
    """Send each message; return one Delivery per recipient, failures included.

    Every file is read and checked before connecting, and a failure to
    connect or log in raises SendError: then nothing was sent. ``now`` is
    the ``Date`` the messages go out with (default: the clock).
    """
    outgoing = [read_message(path, now) for path in paths]
    server = connect(settings)
    results: list[Delivery] = []
    try:
        for i, item in enumerate(outgoing):
            try:
                results.extend(_transmit(server, item))
            except (OSError, smtplib.SMTPServerDisconnected) as exc:
                lost = f"connection lost: {reason(exc)}"
                for rest in outgoing[i:]:
                    results.extend(Delivery(rest.path, r, False, lost) for r in rest.recipients)
                break
    finally:
        _close(server)
    return results


def _transmit(server: smtplib.SMTP, item: Outgoing) -> list[Delivery]:
    """MAIL, one RCPT per recipient, DATA: each recipient's fate from the server."""
    options: list[str] = []
    if item.needs_smtputf8:
        if not server.has_extn("smtputf8"):
            detail = "the server does not support SMTPUTF8, which this message's addresses need"
            return [Delivery(item.path, r, False, detail) for r in item.recipients]
        options.append("SMTPUTF8")
    if not item.data.isascii() and server.has_extn("8bitmime"):
        options.append("BODY=8BITMIME")
    if server.has_extn("size"):
        options.append(f"SIZE={len(item.data)}")
    code, text = server.mail(item.sender, options)
    if not 200 <= code < 300:
        server.rset()
        detail = f"sender {item.sender} refused: {code} {_text(text)}"
        return [Delivery(item.path, r, False, detail) for r in item.recipients]
    results: dict[str, Delivery] = {}
    accepted = []
    for recipient in item.recipients:
        code, text = server.rcpt(recipient)
        if 200 <= code < 300:
            accepted.append(recipient)
        else:
            results[recipient] = Delivery(item.path, recipient, False, f"{code} {_text(text)}")
    if accepted:
        reply: bytes | str
        try:
            code, reply = server.data(item.data)
        except smtplib.SMTPDataError as exc:
            code, reply = exc.smtp_code, exc.smtp_error
        for recipient in accepted:
            ok = 200 <= code < 300
            detail = f"accepted ({code} {_text(reply)})" if ok else f"{code} {_text(reply)}"
            results[recipient] = Delivery(item.path, recipient, ok, detail)
    else:
        server.rset()
    return [results[r] for r in item.recipients]


def _close(server: smtplib.SMTP) -> None:
    try:
        server.quit()
    except (OSError, smtplib.SMTPException):
        server.close()


def _text(text: bytes | str) -> str:
    return text.decode("utf-8", "replace") if isinstance(text, bytes) else text


def reason(exc: BaseException) -> str:
    """An exception from smtplib or a socket as the words a user can act on."""
    code = getattr(exc, "smtp_code", None)
    error = getattr(exc, "smtp_error", None)
    if code is not None and error is not None:
        return f"{code} {_text(error)}"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"the server's certificate is not trusted ({exc.verify_message})"
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
