"""Sending recap emails over SMTP, recipient by recipient.

The message goes out as the bytes mend wrote (less any ``Bcc`` header), to
every address in ``To``, ``Cc`` and ``Bcc``. Each recipient's fate is
reported separately, because an SMTP server may accept some recipients of a
message and refuse others.
"""

from __future__ import annotations

import email.policy
import os
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses
from pathlib import Path

from .config import SmtpSettings
from .errors import SendError


@dataclass(frozen=True)
class Delivery:
    """What the server said about one recipient of one message."""

    path: Path
    recipient: str
    ok: bool
    detail: str


def read_message(path: Path) -> EmailMessage:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SendError(f"{path}: cannot read: {exc.strerror}") from None
    message = BytesParser(policy=email.policy.default).parsebytes(data)
    if not message["From"] or not (message["To"] or message["Cc"] or message["Bcc"]):
        raise SendError(f"{path}: not an email with a sender and recipients")
    return message  # type: ignore[return-value]


def envelope(message: EmailMessage) -> tuple[str, list[str]]:
    """The SMTP sender and recipients of a message: From, and To + Cc + Bcc."""
    sender = getaddresses([str(message["From"])])[0][1]
    fields = [str(v) for key in ("To", "Cc", "Bcc") for v in message.get_all(key, [])]
    recipients = list(dict.fromkeys(addr for _, addr in getaddresses(fields) if addr))
    return sender, recipients


def _payload(message: EmailMessage) -> bytes:
    if message["Bcc"] is not None:
        del message["Bcc"]
    return message.as_bytes(policy=email.policy.SMTP)


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    port = settings.port or {"ssl": 465, "starttls": 587, "none": 25}[settings.security]
    where = f"{settings.host}:{port}"
    try:
        if settings.security == "ssl":
            server: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.host, port, timeout=settings.timeout, context=ssl.create_default_context()
            )
        else:
            server = smtplib.SMTP(settings.host, port, timeout=settings.timeout)
            if settings.security == "starttls":
                server.starttls(context=ssl.create_default_context())
    except (OSError, smtplib.SMTPException) as exc:
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise SendError(f"cannot connect to SMTP server {where}: {reason}") from None
    return server


def _password(settings: SmtpSettings) -> str | None:
    if settings.password_env is None:
        return None
    password = os.environ.get(settings.password_env)
    if password is None:
        raise SendError(
            f"mend.toml: smtp.password_env: the environment variable {settings.password_env} is not set"
        )
    return password


def send(paths: Sequence[Path], settings: SmtpSettings) -> list[Delivery]:
    """Send each message; return one Delivery per recipient, failures included.

    A failure to connect or log in raises SendError: nothing was sent.
    """
    messages = [(path, read_message(path)) for path in paths]
    password = _password(settings)
    results: list[Delivery] = []
    server = _connect(settings)
    try:
        if settings.user:
            try:
                server.login(settings.user, password or "")
            except smtplib.SMTPException as exc:
                raise SendError(f"SMTP login as {settings.user} failed: {_reason(exc)}") from None
        for path, message in messages:
            sender, recipients = envelope(message)
            payload = _payload(message)
            options = ["SMTPUTF8"] if not all(r.isascii() for r in [sender, *recipients]) else []
            try:
                refused = server.sendmail(sender, recipients, payload, mail_options=options)
            except smtplib.SMTPRecipientsRefused as exc:
                refused = exc.recipients
            except (smtplib.SMTPException, OSError) as exc:
                results.extend(Delivery(path, r, False, _reason(exc)) for r in recipients)
                continue
            for recipient in recipients:
                if recipient in refused:
                    code, text = refused[recipient]
                    detail = f"{code} {text.decode('utf-8', 'replace') if isinstance(text, bytes) else text}"
                    results.append(Delivery(path, recipient, False, detail))
                else:
                    results.append(Delivery(path, recipient, True, "accepted"))
    finally:
        try:
            server.quit()
        except (smtplib.SMTPException, OSError):
            server.close()
    return results


def _reason(exc: BaseException) -> str:
    code = getattr(exc, "smtp_code", None)
    error = getattr(exc, "smtp_error", None)
    if code is not None and error is not None:
        text = error.decode("utf-8", "replace") if isinstance(error, bytes) else str(error)
        return f"{code} {text}"
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
