"""What composing and checking a recap's header costs, against what mend paid before.

    .venv/bin/python bench/bench_recap.py [--cases 40] [--runs 7]

Builds the recaps of N generated cases (bench/cases.py's portfolio, names in many
scripts) in one process, then, on the headers of those very recaps, prints
medians per recap of:

- the whole recap build (``build --format eml --force``, divided by recaps);
- the header as mend composed it before: ``EmailMessage`` with the SMTP
  policy, addresses and Subject set, ``as_bytes()``;
- the header as mend composes it now (generator.headers), and the
  parse-back check (``_check_head``) on its own;

and the ratio of now (compose + check) to before, measured in the same run.
Then, for what a recap costs beyond its header, the same way:

- the parse-back check with every field parsed anew (as before headers.py
  kept its readings) against the check as the build runs it;
- the MIME tree as the email package's classic classes write it against
  the same bytes written by writers/eml.py (checked equal first);
- the invitation of each recap (writers/ics.py), bytes included.
"""

from __future__ import annotations

import argparse
import email.policy
import statistics
import sys
import tempfile
import time
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from cases import TODAY, make_workspace  # noqa: E402

from generator import headers as mend_headers  # noqa: E402
from generator.build import Workspace, build  # noqa: E402
from generator.headers import address_field, parse_head, unstructured_field  # noqa: E402
from generator.published import Ledger  # noqa: E402
from generator.schedule import following_meeting  # noqa: E402
from generator.writers import eml, ics  # noqa: E402
from generator.writers.eml import _check_head  # noqa: E402
from tests.mime_reference import email_package_body  # noqa: E402

Header = tuple[dict[str, list[tuple[str, str]]], str]


def median_seconds(runs: int, func) -> float:
    func()  # warm up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def headers_of(out: Path) -> list[Header]:
    """The (address fields, Subject) of every recap written, as a reader gets them."""
    parser = BytesParser(policy=email.policy.default)
    found = []
    for path in sorted(out.rglob("*.eml")):
        message = parser.parsebytes(path.read_bytes(), headersonly=True)
        fields = {
            field: [(a.display_name, a.addr_spec) for a in message[field].addresses]
            for field in ("From", "To", "Cc")
            if message[field] is not None
        }
        found.append((fields, str(message["Subject"])))
    return found


def before(headers: list[Header]) -> None:
    for fields, subject in headers:
        message = EmailMessage(policy=email.policy.SMTP)
        for field, pairs in fields.items():
            message[field] = [Address(display_name=n, addr_spec=a) for n, a in pairs]
        message["Subject"] = subject
        message.as_bytes()


def parts_of(out: Path) -> list[tuple[str, str, bytes, str]]:
    """The (text, HTML, invitation, boundary stem) every recap written was made from."""
    parser = BytesParser(policy=email.policy.default)
    found = []
    for path in sorted(out.rglob("recap-*.eml")):
        data = path.read_bytes()
        message = parser.parsebytes(data)
        text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
        html = message.get_body(("html",)).get_content().replace("\r\n", "\n")
        invites = [p for p in message.walk() if p.get_content_type() == "application/ics"]
        invite = invites[0].get_payload(decode=True) if invites else b""
        stem = data.split(b'boundary="=_mend_', 1)[1][:24].decode()
        found.append((text, html, invite, stem))
    return found


def classic_body(text: str, html: str, invite: bytes, stem: str) -> bytes:
    """The MIME tree as mend wrote it with the email package's classes, before."""
    return email_package_body(text, html, invite, "REQUEST", stem)


def invitations_of(ws: Path) -> list[tuple]:
    """What each recap's invitation is made from: the case and the next meeting's event."""
    workspace = Workspace.open(ws)
    found = []
    for path in sorted((ws / "content").glob("*.yaml")):
        case = workspace.load(path, TODAY).case
        for meeting in case.meetings:
            following = following_meeting(case, meeting.date)
            if following is not None:
                found.append((case, ics.occurrence(case, following[0])))
    return found


def compose(fields: dict[str, list[tuple[str, str]]], subject: str) -> str:
    lines = [address_field(field, pairs) for field, pairs in fields.items()]
    return "\r\n".join([*lines, unstructured_field("Subject", subject)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=40)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ws = make_workspace(Path(tmp) / "ws", args.cases)
        build(ws, today=TODAY, formats=("eml",), jobs=1)
        headers = headers_of(ws / "output")
        n = len(headers)

        def full() -> None:
            report = build(ws, today=TODAY, formats=("eml",), jobs=1, force=True)
            assert report.ok, report.failed

        # _check_head needs the case file and people only to name a field that
        # fails, and none does here (it raises then, and the bench stops).
        heads = [compose(fields, subject) for fields, subject in headers]

        def check() -> None:
            for head, (fields, subject) in zip(heads, headers, strict=True):
                _check_head(None, head, {}, fields, subject)  # type: ignore[arg-type]

        def now() -> None:
            for fields, subject in headers:
                head = compose(fields, subject)
                _check_head(None, head, {}, fields, subject)  # type: ignore[arg-type]

        # The check parses what compose wrote: make sure it is the same text.
        assert all(
            str(parse_head(h + "\r\n")["Subject"]) == s
            for h, (_, s) in zip(heads, headers, strict=True)
        )

        def check_anew() -> None:
            for head, (fields, subject) in zip(heads, headers, strict=True):
                mend_headers._read_text.cache_clear()
                _check_head(None, head, {}, fields, subject)  # type: ignore[arg-type]

        bodies = parts_of(ws / "output")
        assert all(classic_body(*b) == eml._body(b[0], b[1], b[2], "REQUEST", b[3]) for b in bodies)
        invites = invitations_of(ws)

        def invite_all() -> None:
            for case, event in invites:
                ics.invitation(case, event, Ledger(), TODAY)

        whole = median_seconds(args.runs, full) / n
        old = median_seconds(args.runs, lambda: before(headers)) / n
        composed = median_seconds(args.runs, lambda: [compose(f, s) for f, s in headers]) / n
        checked = median_seconds(args.runs, check) / n
        both = median_seconds(args.runs, now) / n
        anew = median_seconds(args.runs, check_anew) / n
        classic = median_seconds(args.runs, lambda: [classic_body(*b) for b in bodies]) / n
        mended = (
            median_seconds(
                args.runs, lambda: [eml._body(t, h, i, "REQUEST", s) for t, h, i, s in bodies]
            )
            / n
        )
        invited = median_seconds(args.runs, invite_all) / max(len(invites), 1)
    print(f"{args.cases} cases, {n} recaps, medians of {args.runs} runs, per recap:")
    print(f"  whole recap build (eml, 1 job):        {whole * 1e3:7.3f} ms")
    print(f"  header before (email package folds):   {old * 1e3:7.3f} ms")
    print(f"  header now: compose                    {composed * 1e3:7.3f} ms")
    print(f"  header now: parse-back check           {checked * 1e3:7.3f} ms")
    print(f"  header now: compose + check            {both * 1e3:7.3f} ms")
    print(f"  now / before:                          {both / old:7.2f} x")
    print(f"  added to a recap (now - before):       {(both - old) * 1e3:7.3f} ms")
    print(f"    = {100 * (both - old) / whole:.1f} % of a whole recap build")
    print(f"  parse-back check, every field parsed:  {anew * 1e3:7.3f} ms")
    print(
        f"  parse-back check, readings kept:       {checked * 1e3:7.3f} ms   ({anew / checked:.1f}x)"
    )
    print(f"  MIME tree, email package classes:      {classic * 1e3:7.3f} ms")
    print(
        f"  MIME tree, written by writers/eml.py:  {mended * 1e3:7.3f} ms   ({classic / mended:.1f}x)"
    )
    print(f"  invitation (writers/ics.py, bytes):    {invited * 1e3:7.3f} ms")


if __name__ == "__main__":
    main()
