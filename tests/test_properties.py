"""Property tests: valid cases with arbitrary Unicode text always build cleanly.

Hypothesis writes case files whose text fields hold any characters the case
format allows (any script, emoji, combining marks, bidi and zero-width
characters, quotes, YAML and Markdown and HTML punctuation), dumps them as
YAML the way a careful user would, and builds the text formats and the
recap emails. Every build must succeed, every HTML page must parse with its
tags balanced and show the text written, every email must parse back with
the same text, and no internal field may reach a client-facing file. PDFs
are left out: they are slow, and test_hostile.py covers them.
"""

from __future__ import annotations

import email.policy
import re
import tempfile
from email.parser import BytesParser
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.build import build
from generator.headers import display_name

from .conftest import TODAY, make_workspace

#: Put into every internal field; must never appear in a client-facing file.
INTERNAL = "QZINTERNALQZ"

#: One-line text: anything but control characters and line or paragraph
#: separators (the case format refuses those), and lone surrogates (not UTF-8).
ONE_LINE = st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"))
#: Markdown may also hold line breaks and tabs.
MULTI_LINE = st.one_of(ONE_LINE, st.sampled_from("\n\t"))


def text(min_size: int = 1, max_size: int = 30) -> st.SearchStrategy[str]:
    """One-line text with something visible in it (a required field left blank
    is a different test)."""
    return st.text(ONE_LINE, min_size=min_size, max_size=max_size).filter(lambda s: s.strip())


def markdown(max_size: int = 120) -> st.SearchStrategy[str]:
    return st.text(MULTI_LINE, max_size=max_size)


@st.composite
def cases(draw: st.DrawFn) -> dict[str, Any]:
    """A valid case with arbitrary text in every free-text field."""
    names = draw(st.lists(text(max_size=20), min_size=2, max_size=4, unique_by=str.strip))
    contacts = [
        {"name": name, "email": f"client{i}@client.example", "role": draw(text())}
        for i, name in enumerate(names[:-1])
    ]
    contacts[0]["primary"] = True
    lead = {"name": names[-1], "email": "lead@us.example", "lead": True}
    milestones = [
        {
            "id": f"m{i}",
            "title": draw(text()),
            "due": f"2026-12-{10 + i:02d}",
            "owner": lead["name"],
        }
        for i in range(draw(st.integers(1, 3)))
    ]
    meetings = [
        {
            "date": f"2026-11-{10 + i:02d}",
            "attendees": [contacts[0]["name"], lead["name"]],
            "summary": draw(markdown()),
            "heard": draw(st.lists(text(), min_size=1, max_size=3)),
            "decisions": draw(st.lists(text(), max_size=3)),
            "actions": [{"text": draw(text()), "owner": lead["name"], "due": "2026-11-30"}],
            "progress": [{"milestone": "m0", "status": "on-track", "note": draw(text())}],
            "positives": draw(st.lists(text(), max_size=2)),
            "concerns": draw(st.lists(text(), max_size=2)),
            "internal_notes": INTERNAL + draw(markdown()),
        }
        for i in range(draw(st.integers(1, 2)))
    ]
    return {
        "id": "prop",
        "title": draw(text(max_size=60)),
        "timezone": "Europe/London",
        "client": {
            "organisation": draw(text()),
            "culture": INTERNAL + draw(markdown()),
            "contacts": contacts,
        },
        "team": {"organisation": draw(text()), "members": [lead]},
        # A required Markdown field must have something visible in it ("  " is
        # refused as blank, rightly), so a blank draw becomes "x".
        "incident": {"summary": draw(markdown()).strip() or "x", "impact": draw(markdown())},
        "listening": {
            "facts": [{"text": INTERNAL + draw(text()), "note": INTERNAL + draw(markdown())}],
            "feelings": [{"who": contacts[0]["name"], "feeling": INTERNAL + draw(text())}],
            "unsaid": [INTERNAL + draw(text())],
            "questions": [INTERNAL + draw(text())],
            "restatements": [INTERNAL + draw(text())],
        },
        "ownership": {"mistakes": draw(st.lists(text(), max_size=2)), "apology": draw(markdown())},
        "framing": {
            "client_view": INTERNAL + draw(markdown()),
            "our_view": INTERNAL + draw(markdown()),
            "shared": draw(markdown()),
        },
        "affirmations": draw(st.lists(text(), min_size=1, max_size=2)),
        "plan": {
            "milestones": milestones,
            "checkins": {
                "cadence": "weekly",
                "weekday": "tuesday",
                "time": "10:00",
                "channel": draw(text()),
                "starts": "2026-11-24",
            },
        },
        "meetings": meetings,
        "agreement": {
            "effective": "2026-11-25",
            "background": draw(markdown()),
            "commitments": [{"party": "us", "text": draw(text())}],
            "signatories": [
                {"name": contacts[0]["name"], "party": "client"},
                {"name": lead["name"], "party": "us"},
            ],
        },
    }


VOID = {"meta", "link", "br", "hr", "img", "input", "col", "area", "base", "wbr", "source"}


class Page(HTMLParser):
    """An HTML page's text, and whether its elements nest properly."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        pass

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes <{self.stack[-1] if self.stack else ''}>")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1] in ("style", "title"):
            return
        self.parts.append(data)

    @property
    def text(self) -> str:
        return squash("".join(self.parts))


def squash(value: str) -> str:
    """Whitespace as HTML shows it: runs of it are one space."""
    return re.sub(r"[ \t\n\r\f]+", " ", value).strip()


def parse_page(html: str, where: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    assert not page.problems, (where, page.problems[:3])
    assert not page.stack, (where, page.stack)
    return page


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(case=cases())
def test_any_valid_text_builds_parses_and_stays_in_its_audience(case: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        source = yaml.safe_dump(case, allow_unicode=True, sort_keys=False)
        # A user template that dumps the whole client view: a leak would show.
        ws = make_workspace(
            Path(tmp) / "ws", {"prop.yaml": source}, templates={"md/plan.md": "{{ case }}\n"}
        )
        report = build(ws, today=TODAY, formats=("md", "html", "eml", "ics"), jobs=1)
        assert report.ok, report.failed
        out = ws / "output"

        client_files = [p for p in out.rglob("*") if p.is_file() and "internal" not in p.parts]
        assert len(client_files) >= 6
        for path in client_files:  # the manifest included
            assert INTERNAL not in path.read_bytes().decode("utf-8"), path.name

        for path in out.rglob("*.html"):
            parse_page(path.read_text(encoding="utf-8"), path.name)
        plan = parse_page((out / "prop" / "plan.html").read_text(encoding="utf-8"), "plan")
        assert squash(case["title"]) in plan.text
        for milestone in case["plan"]["milestones"]:
            assert squash(milestone["title"]) in plan.text
        brief = next((out / "prop" / "internal").glob("brief-*.html"))
        assert INTERNAL in brief.read_text(encoding="utf-8")

        for meeting in case["meetings"]:
            eml = out / "prop" / f"recap-{meeting['date']}.eml"
            message = BytesParser(policy=email.policy.default).parsebytes(eml.read_bytes())
            assert not message.defects
            assert message["Subject"].endswith(f": {case['title']}")  # exactly, spaces kept
            # A display name is written with runs of spaces and tabs as one space.
            to = message["To"].addresses[0].display_name
            assert to == display_name(case["client"]["contacts"][0]["name"])
            plain = message.get_body(("plain",)).get_content()
            html = parse_page(message.get_body(("html",)).get_content(), eml.name)
            for item in meeting["heard"] + meeting["decisions"]:
                assert item.rstrip() in plain, item  # text lines end without spaces
                assert squash(item) in html.text, item
