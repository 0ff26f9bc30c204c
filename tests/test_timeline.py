"""The plan's timeline: an SVG drawn by mend, checked as XML and as geometry."""

from __future__ import annotations

import math
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.build import build
from generator.case import load_case, validate_case
from generator.model import Case
from generator.progress import current_statuses
from generator.schedule import checkins_between
from generator.timeline import _date_range, timeline_svg

from .conftest import FULL_CASE, TODAY, make_workspace
from .test_case import load

SVG = "{http://www.w3.org/2000/svg}"
ROOT = Path(__file__).resolve().parent.parent
STATUSES = ["planned", "on-track", "at-risk", "done", "missed"]
NUMBER_ATTRS = ("x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "width", "height")


def make_case(milestones: list[dict[str, Any]], checkins: dict[str, Any] | None = None) -> Case:
    data: dict[str, Any] = {
        "id": "drawn",
        "title": "Drawn",
        "client": {"organisation": "Acme", "contacts": [{"name": "Dana Okafor"}]},
        "team": {"members": [{"name": "Sam Rivera"}]},
        "incident": {"summary": "Something went wrong."},
        "plan": {"milestones": milestones},
    }
    if checkins:
        data["plan"]["checkins"] = checkins
    return validate_case(data, {}, path=Path("drawn.yaml"), display="drawn.yaml").case


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # raises on anything that is not well-formed XML
    assert root.tag == f"{SVG}svg"
    return root


def view_box(root: ET.Element) -> tuple[float, float]:
    x, y, w, h = (float(v) for v in root.get("viewBox", "").split())
    assert (x, y) == (0, 0) and w > 0 and h > 0
    assert (float(root.get("width", "0")), float(root.get("height", "0"))) == (w, h)
    return w, h


def points_of(element: ET.Element) -> list[tuple[float, float]]:
    """Every coordinate an element draws at, whatever its kind."""
    attrs = element.attrib
    out: list[tuple[float, float]] = []
    for xa, ya in (("x", "y"), ("x1", "y1"), ("x2", "y2"), ("cx", "cy")):
        if xa in attrs and ya in attrs:
            out.append((float(attrs[xa]), float(attrs[ya])))
    if "width" in attrs and "x" in attrs and element.tag != f"{SVG}svg":
        out.append(
            (float(attrs["x"]) + float(attrs["width"]), float(attrs["y"]) + float(attrs["height"]))
        )
    numbers = re.findall(r"-?\d+(?:\.\d+)?", attrs.get("points", "") + " " + attrs.get("d", ""))
    out.extend(zip(map(float, numbers[::2]), map(float, numbers[1::2]), strict=False))
    return out


def milestone_groups(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if "milestone" in g.get("class", "").split()]


def mark_x(group: ET.Element) -> float:
    marks = [e for e in group if e.get("class") == "mark"]
    assert len(marks) == 1, "one mark per milestone"
    xs = [x for x, _ in points_of(marks[0])]
    return (min(xs) + max(xs)) / 2


def check_drawing(case: Case, today: date) -> ET.Element:
    """What every timeline must satisfy; returns the parsed SVG for more checks."""
    svg = timeline_svg(case, today)
    root = parse(svg)
    width, height = view_box(root)

    for element in root.iter():
        for name in NUMBER_ATTRS:
            if name in element.attrib:
                assert math.isfinite(float(element.attrib[name]))
        for x, y in points_of(element):
            assert -0.5 <= x <= width + 0.5 and -0.5 <= y <= height + 0.5, (element.tag, x, y)

    groups = milestone_groups(root)
    statuses = current_statuses(case)
    assert sorted(g.get("data-milestone") for g in groups) == sorted(
        m.id for m in case.plan.milestones
    )
    for group in groups:
        assert f"status-{statuses[group.get('data-milestone')]}" in group.get("class", "")

    # Marks sit on a date axis: later due dates lie further right, equal ones together.
    due = {m.id: m.due for m in case.plan.milestones}
    placed = sorted((due[g.get("data-milestone")], mark_x(g)) for g in groups)
    for (d1, x1), (d2, x2) in zip(placed, placed[1:], strict=False):
        assert x1 < x2 if d1 < d2 else abs(x1 - x2) < 0.01

    # Label boxes of one row never overlap.
    boxes: dict[float, list[tuple[float, float]]] = {}
    for group in groups:
        rect = group.find(f"{SVG}rect")
        assert rect is not None
        left = float(rect.get("x", "0"))
        boxes.setdefault(float(rect.get("y", "0")), []).append(
            (left, left + float(rect.get("width", "0")))
        )
    for row in boxes.values():
        row.sort()
        for (_, right), (left, _) in zip(row, row[1:], strict=False):
            assert right <= left + 0.01

    # Today's line, between the first and last date drawn.
    today_lines = [e for e in root.iter(f"{SVG}line") if e.get("class") == "today"]
    assert len(today_lines) == 1
    assert today_lines[0].get("x1") == today_lines[0].get("x2")
    return root


def test_the_example_cases_draw_valid_timelines():
    for path in sorted((ROOT / "content").glob("*.yaml")):
        case = load_case(path, display=path.name, today=TODAY).case
        check_drawing(case, TODAY)


def test_one_mark_per_milestone_coloured_and_shaped_by_current_status(tmp_path):
    case = load(tmp_path, FULL_CASE).case
    root = check_drawing(case, TODAY)
    groups = {g.get("data-milestone"): g for g in milestone_groups(root)}
    assert set(groups) == {"tests-green", "relaunch"}
    # tests-green was planned in the plan; the kickoff moved it on track.
    on_track = groups["tests-green"]
    assert "status-on-track" in on_track.get("class", "")
    assert on_track.find(f"{SVG}circle").get("fill") == "#1f5f8b"
    assert "on track" in "".join(on_track.itertext())
    relaunch = groups["relaunch"]
    assert "(overdue)" in relaunch.find(f"{SVG}title").text


def tick_dates(root: ET.Element) -> dict[date, float]:
    """Check-in ticks by the date their tooltip names, with their x."""
    out = {}
    for tick in (e for e in root.iter(f"{SVG}line") if e.get("class") == "checkin"):
        text = tick.find(f"{SVG}title").text.removeprefix("Check-in ")
        out[datetime.strptime(text, "%A %d %B %Y").date()] = float(tick.get("x1", "0"))
    return out


def test_check_ins_are_ticks_on_the_axis_and_today_is_marked(tmp_path):
    case = load(tmp_path, FULL_CASE).case
    root = check_drawing(case, TODAY)
    ticks = tick_dates(root)
    dues = [m.due for m in case.plan.milestones]
    assert sorted(ticks) == checkins_between(case.plan.checkins, *_date_range([*dues, TODAY]))
    assert sorted(ticks) == [date(2026, 11, 24), date(2026, 12, 1)]
    # One scale for ticks, marks and today: pixels per day agree.
    marks = {g.get("data-milestone"): mark_x(g) for g in milestone_groups(root)}
    per_day = (marks["tests-green"] - marks["relaunch"]) / 14  # 20 Nov to 4 Dec
    assert ticks[date(2026, 12, 1)] - ticks[date(2026, 11, 24)] == pytest.approx(
        7 * per_day, abs=0.2
    )
    today = next(e for e in root.iter(f"{SVG}line") if e.get("class") == "today")
    assert float(today.get("x1")) == pytest.approx(marks["relaunch"] + 2 * per_day, abs=0.2)
    assert "Today, Sunday 22 November 2026" in "".join(root.itertext())


def test_the_same_case_and_day_give_the_same_bytes(tmp_path):
    case = load(tmp_path, FULL_CASE).case
    assert timeline_svg(case, TODAY) == timeline_svg(case, TODAY)
    assert timeline_svg(case, TODAY) != timeline_svg(case, TODAY + timedelta(days=1))


def test_titles_are_escaped_and_cut_to_fit():
    hostile = '</svg><script>alert("x")</script> & <b>bold</b> ' + "very long " * 20
    case = make_case(
        [
            {"id": "a", "title": hostile, "due": "2026-12-01"},
            {
                "id": "b",
                "title": "日本語のマイルストーン・とても長い名前です" * 3,
                "due": "2026-12-02",
            },
        ]
    )
    root = check_drawing(case, TODAY)
    assert not list(root.iter(f"{SVG}script"))
    assert not list(root.iter(f"{SVG}b")) and not list(root.iter("b"))
    group = next(g for g in milestone_groups(root) if g.get("data-milestone") == "a")
    label = "".join(group.find(f"{SVG}text").itertext())
    assert label.startswith('</svg><script>alert("x")') and "\u2026" in label
    assert group.find(f"{SVG}title").text.startswith(hostile)  # the tooltip has it whole


def test_thirty_milestones_on_one_day_each_get_a_row():
    case = make_case(
        [{"id": f"m{i}", "title": f"Milestone {i}", "due": "2026-12-01"} for i in range(30)]
    )
    root = check_drawing(case, TODAY)
    rows = {float(g.find(f"{SVG}rect").get("y", "0")) for g in milestone_groups(root)}
    assert len(rows) == 30


def test_a_plan_spanning_years_labels_months_sparingly():
    case = make_case(
        [
            {"id": "start", "title": "Start", "due": "2026-01-05"},
            {"id": "end", "title": "End", "due": "2029-06-30"},
        ],
        checkins={"cadence": "weekly", "weekday": "monday", "starts": "2026-01-05"},
    )
    root = check_drawing(case, date(2027, 3, 1))
    axis = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "axis")
    assert len(axis.findall(f"{SVG}text")) <= 11
    ticks = sorted(tick_dates(root))
    assert ticks == checkins_between(case.plan.checkins, ticks[0], ticks[-1])
    assert ticks[0] == date(2026, 1, 5) and ticks[-1] >= date(2029, 6, 25)


#: One-line titles in any script (the case format refuses control characters).
TITLES = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=60
)


@settings(max_examples=60, deadline=None)
@given(
    spec=st.lists(
        st.tuples(st.integers(-400, 400), st.sampled_from(STATUSES), TITLES),
        min_size=1,
        max_size=25,
    ),
    today_offset=st.integers(-500, 500),
)
def test_any_plan_draws_a_sane_timeline(spec, today_offset):
    base = date(2026, 6, 1)
    milestones = [
        {
            "id": f"m{i}",
            "title": title.strip() or "x",
            "due": (base + timedelta(days=offset)).isoformat(),
            "status": status,
        }
        for i, (offset, status, title) in enumerate(spec)
    ]
    check_drawing(make_case(milestones), base + timedelta(days=today_offset))


# -- in the documents ------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    ws = make_workspace(tmp_path_factory.mktemp("ws"), {"acme.yaml": FULL_CASE})
    report = build(ws, today=TODAY, formats=("md", "html", "pdf"))
    assert report.ok, report.failed
    return ws / "output" / "acme"


def test_the_html_plan_embeds_the_svg_inline(built):
    html = (built / "plan.html").read_text(encoding="utf-8")
    assert html.count("<svg") == 1 and html.count("</svg>") == 1
    svg = html[html.index("<svg") : html.index("</svg>") + len("</svg>")]
    root = parse(svg)
    assert len(milestone_groups(root)) == 2
    assert html.index('<figure class="timeline">') < html.index("<svg")
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org/2000/svg", "")


def test_the_markdown_plan_points_to_the_picture(built):
    md = (built / "plan.md").read_text(encoding="utf-8")
    assert "<svg" not in md
    assert "[plan.html](plan.html)" in md


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext")
def test_the_pdf_plan_draws_the_timeline(built):
    text = subprocess.run(
        ["pdftotext", str(built / "plan.pdf"), "-"], capture_output=True, check=True, text=True
    ).stdout
    assert "Today, Sunday 22 November 2026" in text
    assert "Portal relaunched · planned" in text
