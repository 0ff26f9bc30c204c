"""The MIME tree of a recap as the email package's classic classes write it.

mend writes its recaps' MIME parts itself (``writers/eml.py``): this is the
reference that the tests (tests/test_eml.py) and the recap bench
(bench/bench_recap.py) compare those bytes with.
"""

from __future__ import annotations

import email.charset
from email import encoders
from email.message import Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

from generator.writers import eml as eml_writer


def email_package_body(text: str, html: str, invite: bytes, method: str, stem: str) -> bytes:
    """The MIME tree as mend built it with the email package's classic classes."""
    utf8 = email.charset.Charset("utf-8")
    utf8.body_encoding = email.charset.QP

    def part(content: str, subtype: str) -> MIMEText:
        made = MIMEText(content, subtype, utf8)  # type: ignore[arg-type]
        del made["MIME-Version"]
        return made

    alternative = MIMEMultipart("alternative", _subparts=[part(text, "plain"), part(html, "html")])
    del alternative["MIME-Version"]
    top: Message = alternative
    if invite:
        calendar = part(invite.decode("utf-8"), "calendar")
        calendar.set_param("method", method)
        alternative.attach(calendar)
        attachment = MIMEBase("application", "ics", name="invite.ics")
        del attachment["MIME-Version"]
        attachment.set_payload(invite)
        encoders.encode_base64(attachment)
        attachment.add_header("Content-Disposition", "attachment", filename="invite.ics")
        top = MIMEMultipart("mixed", _subparts=[alternative, attachment])
        del top["MIME-Version"]
    for i, multipart in enumerate(p for p in top.walk() if p.is_multipart()):
        multipart.set_boundary(f"=_mend_{stem}_{i}")
    return top.as_bytes(policy=eml_writer.BODY_POLICY)
