"""The case files the benches measure, generated from a seed.

One generator for every bench, so that they measure the same kind of file:

- :func:`portfolio_case` and :func:`make_workspace`: many realistic cases
  (bench_build, bench_recap), names in many scripts;
- :func:`held_meetings_case`: one case whose N meetings are all held, one a
  day up to yesterday, so each has a recap (bench_memory);
- :func:`commented_case`: one case with N weekly meetings written by hand in
  block style, a comment above each (bench_log: what ``mend log`` edits).

The meetings of the first two are :func:`meeting_lines`; the same seed
gives the same text.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

#: The ``--today`` of the portfolio: its check-ins run past it, meetings stop before.
TODAY = date(2026, 11, 22)

FIRST = [
    "Dana",
    "Sam",
    "Ana",
    "Lee",
    "Mo",
    "Ciara",
    "José",
    "Siobhán",
    "Priya",
    "Tomás",
    "Yuki",
    "Oluwaseun",
]
LAST = [
    "Okafor",
    "Rivera",
    "Patel",
    "Chen",
    "Byrne",
    "Walsh",
    "Álvarez",
    "O'Neill",
    "Nakamura",
    "Adeyemi",
]
WORDS = [
    "release",
    "staging",
    "tests",
    "invoice",
    "scope",
    "budget",
    "deadline",
    "review",
    "design",
    "brand",
    "portal",
    "handover",
    "training",
    "data",
    "migration",
    "reporting",
    "dashboard",
    "contract",
    "feedback",
    "launch",
]


def sentence(rng: random.Random, n: int = 9) -> str:
    words = [rng.choice(WORDS) for _ in range(n)]
    return (" ".join(words)).capitalize()


def person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def meeting_lines(
    day: date,
    rng: random.Random,
    *,
    attendees: tuple[str, str],
    owner: str,
    milestones: Sequence[str],
    statuses: Sequence[str],
    internal_notes: bool = False,
) -> list[str]:
    """One held meeting, flow lists and quoted texts, as an item of ``meetings:``."""
    lines = [
        f"  - date: {day.isoformat()}",
        f"    attendees: [{q(attendees[0])}, {q(attendees[1])}]",
        f"    summary: {q(sentence(rng, 25))}",
        f"    heard: [{q(sentence(rng))}]",
        f"    decisions: [{q(sentence(rng))}]",
        "    actions:",
        f"      - text: {q(sentence(rng))}",
        f"        owner: {q(owner)}",
        f"        due: {(day + timedelta(days=5)).isoformat()}",
        "    progress:",
        f"      - milestone: {rng.choice(milestones)}",
        f"        status: {rng.choice(statuses)}",
        f"    positives: [{q(sentence(rng))}]",
    ]
    if internal_notes:
        lines.append(f"    internal_notes: {q(sentence(rng))}")
    return lines


def portfolio_case(i: int, rng: random.Random, today: date = TODAY) -> str:
    """One realistic case of a portfolio: a few weeks of meetings, milestones, an agreement."""
    client = [person(rng) for _ in range(2)]
    team = [person(rng) for _ in range(2)]
    while set(client) & set(team) or len(set(client)) < 2 or len(set(team)) < 2:
        client = [person(rng) for _ in range(2)]
        team = [person(rng) for _ in range(2)]
    start = today - timedelta(days=rng.randint(20, 200))
    milestones = []
    for m in range(rng.randint(3, 8)):
        due = start + timedelta(days=rng.randint(10, 260))
        milestones.append((f"m{m}", sentence(rng, 5), due))
    lines = [
        f"title: {q('Recovery of ' + sentence(rng, 4).lower() + f' {i}')}",
        "timezone: Europe/London",
        "client:",
        f"  organisation: {q(f'Client {i} Ltd')}",
        f"  culture: {q(sentence(rng, 20))}",
        "  contacts:",
    ]
    for n, name in enumerate(client):
        lines += [
            f"    - name: {q(name)}",
            f"      email: c{n}.{i}@client.example",
            f"      primary: {str(n == 0).lower()}",
        ]
    lines += ["team:", "  organisation: Studio", "  members:"]
    for n, name in enumerate(team):
        lines += [
            f"    - name: {q(name)}",
            f"      email: t{n}.{i}@studio.example",
            f"      lead: {str(n == 0).lower()}",
        ]
    lines += [
        "incident:",
        f"  summary: {q(sentence(rng, 30))}",
        f"  occurred: {start.isoformat()}",
        "listening:",
        "  facts:",
        f"    - text: {q(sentence(rng))}",
        "      source: client",
        "      disputed: true",
        f"      note: {q(sentence(rng))}",
        f"  unsaid: [{q(sentence(rng))}]",
        f"  questions: [{q('Help me understand ' + sentence(rng).lower())}]",
        "ownership:",
        f"  mistakes: [{q(sentence(rng))}]",
        f"  apology: {q(sentence(rng, 15))}",
        "framing:",
        f"  shared: {q(sentence(rng, 15))}",
        f"affirmations: [{q(sentence(rng))}]",
        "plan:",
        "  milestones:",
    ]
    for mid, title, due in milestones:
        lines += [
            f"    - id: {mid}",
            f"      title: {q(title)}",
            f"      due: {due.isoformat()}",
            f"      owner: {q(team[0])}",
        ]
    lines += [
        "  checkins:",
        "    cadence: weekly",
        f"    starts: {start.isoformat()}",
        '    time: "10:00"',
        "    channel: video call",
        f"    until: {(today + timedelta(days=120)).isoformat()}",
        "meetings:",
    ]
    day = start
    for _ in range(rng.randint(3, 15)):
        day += timedelta(days=7)
        if day >= today:
            break
        lines += meeting_lines(
            day,
            rng,
            attendees=(client[0], team[0]),
            owner=team[1],
            milestones=[m[0] for m in milestones],
            statuses=("on-track", "at-risk", "done"),
            internal_notes=True,
        )
    lines += [
        "agreement:",
        f"  effective: {start.isoformat()}",
        "  commitments:",
        f"    - party: us\n      text: {q(sentence(rng))}",
        "  signatories:",
        f"    - name: {q(client[0])}\n      party: client",
        f"    - name: {q(team[0])}\n      party: us",
    ]
    return "\n".join(lines) + "\n"


def make_workspace(root: Path, n: int, seed: int = 7, today: date = TODAY) -> Path:
    """A workspace of ``n`` :func:`portfolio_case` files in ``content/``."""
    rng = random.Random(seed)
    (root / "content").mkdir(parents=True)
    for i in range(n):
        text = portfolio_case(i, rng, today)
        (root / "content" / f"case-{i:05d}.yaml").write_text(text, encoding="utf-8")
    return root


def held_meetings_case(meetings: int, seed: int = 5, today: date = TODAY) -> str:
    """A case whose every meeting is held: a recap each, one a day up to yesterday."""
    rng = random.Random(seed)
    client, team = ["Dana Okafor", "Lee Chen"], ["Sam Rivera", "Ana Patel"]
    start = today - timedelta(days=meetings + 1)
    lines = [
        "id: big-case",
        f"title: {q('Recovery of the ' + sentence(rng, 4).lower())}",
        "timezone: Europe/London",
        "client:",
        "  organisation: Acme Logistics Ltd",
        "  contacts:",
        f"    - name: {q(client[0])}\n      email: dana@acme.example\n      primary: true",
        f"    - name: {q(client[1])}\n      email: lee@acme.example",
        "team:",
        "  organisation: Brightline Studio",
        "  members:",
        f"    - name: {q(team[0])}\n      email: sam@brightline.example\n      lead: true",
        f"    - name: {q(team[1])}\n      email: ana@brightline.example",
        "incident:",
        f"  summary: {q(sentence(rng, 30))}",
        f"  occurred: {start.isoformat()}",
        f"affirmations: [{q(sentence(rng))}]",
        "plan:",
        "  milestones:",
    ]
    for m in range(6):
        lines += [
            f"    - id: m{m}",
            f"      title: {q(sentence(rng, 5))}",
            f"      due: {(today + timedelta(days=10 * m)).isoformat()}",
            f"      owner: {q(team[0])}",
        ]
    lines += [
        "  checkins:",
        "    cadence: weekly",
        f"    starts: {today.isoformat()}",
        '    time: "10:00"',
        "    channel: video call",
        f"    until: {(today + timedelta(days=60)).isoformat()}",
        "meetings:",
    ]
    for n in range(meetings):
        day = start + timedelta(days=n)
        lines += meeting_lines(
            day,
            rng,
            attendees=(client[0], team[0]),
            owner=team[1],
            milestones=[f"m{m}" for m in range(6)],  # as rng.randrange(6) did
            statuses=("on-track", "at-risk"),
        )
    return "\n".join(lines) + "\n"


def commented_case(meetings: int, seed: int = 7) -> tuple[str, date]:
    """A valid case with ``meetings`` weekly meetings in block style, comments included."""
    rng = random.Random(seed)
    start = date(2026, 1, 5) - timedelta(days=7 * meetings)
    lines = [
        "# A long-running case, kept by hand.",
        "title: A long recovery",
        "client:",
        "  organisation: Client Ltd",
        "  contacts:",
        "    - name: Dana Okafor",
        "      email: dana@client.example",
        "      primary: true",
        "team:",
        "  members:",
        "    - name: Sam Rivera",
        "      email: sam@studio.example",
        "      lead: true",
        "incident:",
        "  summary: The launch slipped.",
        f"  occurred: {start.isoformat()}",
        "plan:",
        "  milestones:",
        "    - id: stable",
        "      title: A stable release",
        f"      due: {start.isoformat()}",
        "",
        "meetings:  # one a week",
    ]
    for n in range(meetings):
        day = start + timedelta(days=7 * n)
        lines += [
            f"  # week {n + 1}",
            f"  - date: {day.isoformat()}",
            "    attendees: [Dana Okafor, Sam Rivera]",
            f"    summary: {sentence(rng, 20)}.",
            "    heard:",
            f"      - {sentence(rng)}",
            "    decisions:",
            f"      - {sentence(rng)}",
            "    actions:",
            f"      - text: {sentence(rng)} {n}",
            "        owner: Sam Rivera",
            f"        due: {(day + timedelta(days=5)).isoformat()}",
            "    progress:",
            "      - milestone: stable",
            f"        status: {rng.choice(['on-track', 'at-risk'])}",
            "",
        ]
    return "\n".join(lines) + "\n", start
