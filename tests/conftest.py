"""Shared fixtures: small workspaces in tmp_path, built from YAML strings."""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

import pytest

TODAY = date(2026, 11, 22)

#: A case that uses every field. Internal fields hold sentinel strings, so a
#: test can prove none of them reaches a client-facing file.
FULL_CASE = """\
id: acme
title: Getting the Acme portal back on track
status: open
timezone: Europe/London
client:
  organisation: Acme Logistics Ltd
  culture: SENTINEL-CULTURE decisions go through a steering committee
  contacts:
    - name: Dana Okafor
      role: Head of Operations
      email: dana@acme.example
      phone: "+44 20 7946 0101"
      primary: true
    - name: Lee Chen
      role: IT Manager
      email: lee@acme.example
team:
  organisation: Brightline Studio
  members:
    - name: Sam Rivera
      role: Account lead
      email: sam@brightline.example
      lead: true
    - name: Ana Patel
      role: Engineer
      email: ana@brightline.example
incident:
  summary: The relaunch slipped three weeks.
  occurred: 2026-10-30
  impact: Customers could not book *collections*.
listening:
  facts:
    - text: SENTINEL-FACT launch moved from 9 to 30 October
      source: client
      disputed: true
      note: SENTINEL-FACTNOTE we think it was the 28th
  feelings:
    - who: Dana Okafor
      feeling: SENTINEL-FEELING embarrassed in front of her board
      evidence: SENTINEL-EVIDENCE stopped mid-sentence
  unsaid: [SENTINEL-UNSAID the budget]
  questions: [SENTINEL-QUESTION help me understand the board's view]
  restatements: [SENTINEL-RESTATE you need a date you can trust]
ownership:
  mistakes: [We did not warn you early enough]
  apology: We are sorry for the disruption.
framing:
  client_view: SENTINEL-CLIENTVIEW the agency is careless
  our_view: SENTINEL-OURVIEW the scope grew
  shared: The release process let both of us down.
affirmations: [Thank you for the fast test feedback]
plan:
  objectives:
    - id: stable-release
      text: A release that passes acceptance tests
  milestones:
    - id: tests-green
      title: Integration suite green on staging
      due: 2026-12-04
      owner: Sam Rivera
      status: planned
      objective: stable-release
    - id: relaunch
      title: Portal relaunched
      due: 2026-11-20
      owner: Ana Patel
  checkins:
    cadence: weekly
    weekday: tuesday
    time: "10:00"
    duration: 30
    channel: video call
    link: https://meet.example/acme
    starts: 2026-11-10
    until: 2027-01-26
meetings:
  - date: 2026-11-10
    time: "10:00"
    kind: kickoff
    attendees: [Dana Okafor, Sam Rivera]
    summary: We agreed to restart with weekly check-ins.
    heard: [You need a date you can trust]
    decisions: [Weekly check-ins on Tuesdays]
    actions:
      - text: Send the revised test plan
        owner: Sam Rivera
        due: 2026-11-12
        done: true
    progress:
      - milestone: tests-green
        status: on-track
        note: Half the suite passes
    positives: [Dana's team tested within a day]
    concerns: [Staging is unstable]
    internal_notes: SENTINEL-NOTES Dana looked tired
  - date: 2026-11-24
    kind: check-in
    attendees: [Dana Okafor, Sam Rivera]
agreement:
  title: Recovery agreement
  effective: 2026-11-25
  background: After the slipped relaunch, both sides agreed this plan.
  commitments:
    - party: us
      text: Weekly written status every Friday by 16:00
      due: 2026-12-04
    - party: client
      text: Test feedback within two working days
  review: 2027-01-26
  signatories:
    - name: Dana Okafor
      party: client
      role: Head of Operations
      email: dana@acme.example
    - name: Sam Rivera
      party: us
      role: Account lead
"""

SENTINELS = (
    "SENTINEL-CULTURE",
    "SENTINEL-FACT",
    "SENTINEL-FACTNOTE",
    "SENTINEL-FEELING",
    "SENTINEL-EVIDENCE",
    "SENTINEL-UNSAID",
    "SENTINEL-QUESTION",
    "SENTINEL-RESTATE",
    "SENTINEL-CLIENTVIEW",
    "SENTINEL-OURVIEW",
    "SENTINEL-NOTES",
)

MINIMAL_CASE = """\
title: A small case
client:
  organisation: Harbour Bakery
  contacts:
    - name: Mo Byrne
      email: mo@harbour.example
team:
  members:
    - name: Ciara Walsh
      email: ciara@studio.example
incident:
  summary: The client felt ignored.
plan:
  milestones:
    - id: brand-review
      title: Brand review
      due: 2026-12-10
"""


def make_workspace(
    root: Path,
    cases: dict[str, str],
    templates: dict[str, str] | None = None,
    config: str | None = None,
) -> Path:
    """A workspace folder with the given case files, template overrides and mend.toml."""
    (root / "content").mkdir(parents=True, exist_ok=True)
    for name, text in cases.items():
        (root / "content" / name).write_text(textwrap.dedent(text), encoding="utf-8")
    for name, text in (templates or {}).items():
        path = root / "templates" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    if config is not None:
        (root / "mend.toml").write_text(config, encoding="utf-8")
    return root


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return make_workspace(tmp_path / "ws", {"acme.yaml": FULL_CASE, "harbour.yaml": MINIMAL_CASE})
