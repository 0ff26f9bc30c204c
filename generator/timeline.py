"""The plan's timeline: milestones on a date axis, as an SVG drawn by hand.

No plotting library and no JavaScript: the SVG is a few dozen elements
written as text, embedded inline in the HTML plan, which WeasyPrint draws
into the PDF as it is. The same case and day give the same bytes.

What it shows: every milestone at its due date, marked by its current status
with a shape *and* a colour *and* a word (a reader who cannot tell the
colours apart, or prints in grey, loses nothing), every commitment of the
agreement that has a due date as a diamond (filled unless still open) in its
status's colour with its status in words, a dashed line for today, and the
check-in dates as ticks on the axis. Labels go into rows under the
axis, a label taking the first row where it fits, so thirty milestones in
one week still read as thirty labels.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from .commitments import COMMITMENT_LABELS, Standing, standings
from .i18n import N_, Language, get_language
from .model import Case
from .progress import STATUS_LABELS, current_statuses, is_overdue
from .schedule import checkins_between, removed_checkins

WIDTH = 720
MARGIN = 16
FONT_SIZE = 11
#: The axis, the first row of labels and the distance between rows.
AXIS_Y = 34
FIRST_ROW_Y = 60
ROW_HEIGHT = 20
#: Titles wider than this (in pixels) are cut, with the whole title in the
#: tooltip, so that any label fits on one side of its mark.
MAX_TITLE_WIDTH = 250
#: A range shorter than this is widened around its middle, so that a plan
#: whose milestones all fall on one day still has an axis to read.
MIN_SPAN_DAYS = 14
MAX_AXIS_LABELS = 10

#: The theme's status colours (templates/html/style.css), so that a status
#: looks the same in the picture as in the tables; each is at least 4.5:1
#: against white.
COLOURS = {
    "done": "#1a7f37",
    "on-track": "#1f5f8b",
    "planned": "#59636e",
    "at-risk": "#9a6700",
    "missed": "#cf222e",
}
LEGEND_ORDER = ("done", "on-track", "planned", "at-risk", "missed")
#: A commitment's colour by its current status, from the same palette.
COMMITMENT_COLOURS = {
    "open": "#6e7781",
    "on-track": "#1f5f8b",
    "at-risk": "#9a6700",
    "kept": "#1a7f37",
    "broken": "#cf222e",
    "renegotiated": "#8250df",
}

# Characters XML 1.0 does not allow, even escaped.
_INVALID_XML_RE = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def escape(text: str) -> str:
    """Text for XML content or a double-quoted attribute."""
    text = _INVALID_XML_RE.sub("\ufffd", text)
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


@functools.lru_cache(maxsize=4096)
def _char_width(ch: str) -> float:
    # Cached: two Unicode database lookups a character, 213,000 characters
    # on 150 cases' timelines, from a few dozen distinct ones.
    if unicodedata.combining(ch):
        return 0.0
    return 1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.6


@functools.lru_cache(maxsize=1024)
def _ascii_width(length: int) -> float:
    # What the sum below adds up for ASCII text (0.6 a character, none
    # combining or wide), added in the same order: the same float.
    return sum(0.6 for _ in range(length))


def text_width(text: str, size: float = FONT_SIZE) -> float:
    """An estimate of the width of ``text`` in a sans-serif font, in pixels.

    Good enough to keep labels apart: wide (East Asian) characters count
    double, combining marks count nothing.
    """
    if text.isascii():
        return _ascii_width(len(text)) * size
    return sum(_char_width(ch) for ch in text) * size


def _shorten(text: str, limit: float = MAX_TITLE_WIDTH) -> str:
    """The text, cut with an ellipsis to fit ``limit`` pixels."""
    if text_width(text) <= limit:
        return text
    room = limit - text_width("\u2026")
    used = 0.0
    for i, ch in enumerate(text):
        used += _char_width(ch) * FONT_SIZE
        if used > room:
            return text[:i].rstrip() + "\u2026"
    return text  # pragma: no cover - the width check above returned already


def _num(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _mark(status: str, x: float, y: float) -> str:
    """The status's shape, centred on (x, y), about 10 pixels across."""
    colour = COLOURS[status]
    if status == "done":
        return (
            f'<rect class="mark" x="{_num(x - 4.5)}" y="{_num(y - 4.5)}" width="9" height="9" '
            f'fill="{colour}"/>'
        )
    if status == "on-track":
        return f'<circle class="mark" cx="{_num(x)}" cy="{_num(y)}" r="5" fill="{colour}"/>'
    if status == "planned":
        return (
            f'<circle class="mark" cx="{_num(x)}" cy="{_num(y)}" r="4.5" fill="#ffffff" '
            f'stroke="{colour}" stroke-width="1.5"/>'
        )
    if status == "at-risk":
        points = f"{_num(x)},{_num(y - 5.5)} {_num(x + 5.5)},{_num(y + 4.5)} {_num(x - 5.5)},{_num(y + 4.5)}"
        return f'<polygon class="mark" points="{points}" fill="{colour}"/>'
    # missed: a cross
    d = (
        f"M{_num(x - 4.5)},{_num(y - 4.5)}L{_num(x + 4.5)},{_num(y + 4.5)}"
        f"M{_num(x - 4.5)},{_num(y + 4.5)}L{_num(x + 4.5)},{_num(y - 4.5)}"
    )
    return f'<path class="mark" d="{d}" stroke="{colour}" stroke-width="2.5" fill="none"/>'


def _diamond(status: str, x: float, y: float) -> str:
    """A commitment's mark: a diamond, unlike every milestone shape; outlined while open."""
    colour = COMMITMENT_COLOURS[status]
    points = f"{_num(x)},{_num(y - 6)} {_num(x + 6)},{_num(y)} {_num(x)},{_num(y + 6)} {_num(x - 6)},{_num(y)}"
    if status == "open":
        return (
            f'<polygon class="mark commitment-mark" points="{points}" fill="#ffffff" '
            f'stroke="{colour}" stroke-width="1.5"/>'
        )
    return f'<polygon class="mark commitment-mark" points="{points}" fill="{colour}"/>'


@dataclass(frozen=True)
class _Scale:
    start: date
    end: date
    left: float = MARGIN + 6
    right: float = WIDTH - MARGIN - 6

    def x(self, day: date) -> float:
        span = (self.end - self.start).days
        return self.left + (day - self.start).days / span * (self.right - self.left)


def _date_range(days: list[date]) -> tuple[date, date]:
    start, end = min(days), max(days)
    span = (end - start).days
    if span < MIN_SPAN_DAYS:
        grow = MIN_SPAN_DAYS - span
        start -= timedelta(days=grow // 2)
        end += timedelta(days=grow - grow // 2)
        span = MIN_SPAN_DAYS
    pad = timedelta(days=max(1, round(span * 0.03)))
    return start - pad, end + pad


def _axis_labels(start: date, end: date, t: Language) -> list[tuple[date, str]]:
    """Month starts (or Mondays, for a short range) between start and end."""
    span = (end - start).days
    if span <= 60:
        first = start + timedelta(days=(7 - start.weekday()) % 7)
        days = [first + timedelta(weeks=k) for k in range((end - first).days // 7 + 1)]
        labels = [(d, t.pattern(d, "d MMM", f"{d.day} {d:%b}")) for d in days]
    else:
        labels = []
        year, month = start.year, start.month
        while True:
            month += 1
            if month > 12:
                year, month = year + 1, 1
            day = date(year, month, 1)
            if day > end:
                break
            labels.append(
                (
                    day,
                    t.pattern(day, "MMM y", f"{day:%b %Y}")
                    if month == 1 or not labels
                    else t.pattern(day, "MMM", f"{day:%b}"),
                )
            )
    step = max(1, -(-len(labels) // MAX_AXIS_LABELS))
    labels = labels[::step]
    # Name the start of the axis when no label is near it: without it, a
    # reader has to count ticks back from the first month.
    if not labels or (labels[0][0] - start).days > span * 0.15:
        labels.insert(0, (start, t.short_date(start)))
    return labels


@dataclass
class _Placed:
    x: float
    row: int
    left: float  # the label box, for finding a row
    right: float
    anchor: str


def _place(items: list[tuple[float, float]], left: float, right: float) -> list[_Placed]:
    """Put each (x, label width) in the first row where its box does not overlap."""
    rows: list[float] = []  # the right edge of the last box in each row
    placed = []
    for x, width in items:
        if x + 9 + width <= right:
            anchor, box_left, box_right = "start", x - 7, x + 9 + width
        else:
            anchor, box_left, box_right = "end", x - 9 - width, x + 7
        box_left = max(box_left, left)
        for row, edge in enumerate(rows):
            if edge + 6 <= box_left:
                rows[row] = box_right
                break
        else:
            rows.append(box_right)
            row = len(rows) - 1
        placed.append(_Placed(x, row, box_left, box_right, anchor))
    return placed


def timeline_svg(case: Case, today: date, lang: Language | None = None) -> str:
    """The timeline of a case's milestones as an inline SVG element, in ``lang``."""
    t = lang or get_language(None)
    long_date = t.long_date
    statuses = current_statuses(case)
    milestones = sorted(enumerate(case.plan.milestones), key=lambda pair: (pair[1].due, pair[0]))
    promised = sorted(
        (s for s in standings(case, today) if s.commitment.due is not None),
        key=lambda s: (s.commitment.due, s.index),
    )
    dues = [m.due for _, m in milestones] + [s.commitment.due for s in promised if s.commitment.due]
    start, end = _date_range([*dues, today])
    scale = _Scale(start, end)
    ident = escape(f"timeline-{case.id or 'case'}")

    labels = []
    for _, m in milestones:
        status = statuses[m.id]
        labels.append((_shorten(m.title), t.gettext(STATUS_LABELS[status]).lower()))
    for s in promised:
        labels.append((_shorten(s.commitment.text), t.gettext(COMMITMENT_LABELS[s.status]).lower()))
    widths = [text_width(f"{title} \u00b7 {word}") for title, word in labels]
    xs = [scale.x(m.due) for _, m in milestones] + [
        scale.x(s.commitment.due) for s in promised if s.commitment.due
    ]
    placed = _place(list(zip(xs, widths, strict=True)), MARGIN, WIDTH - MARGIN)
    rows = max(p.row for p in placed) + 1
    bottom = FIRST_ROW_Y + (rows - 1) * ROW_HEIGHT + 12
    today_label_y = bottom + 14
    legend_y = today_label_y + 24

    legend, legend_rows = _legend(statuses, legend_y, t, commitments=len(promised))
    height = legend_y + (legend_rows - 1) * 18 + 12

    heading = t.gettext(N_("Timeline of the milestones"))
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" aria-labelledby="{ident}-title {ident}-desc" '
        f'font-family="sans-serif" font-size="{FONT_SIZE}">',
        f'<title id="{ident}-title">{escape(heading)}</title>',
        f'<desc id="{ident}-desc">{escape(_description(case, statuses, today, t, promised))}</desc>',
    ]

    # The axis, its date labels and the check-ins.
    out.append('<g class="axis">')
    out.append(
        f'<line x1="{_num(scale.left)}" y1="{AXIS_Y}" x2="{_num(scale.right)}" y2="{AXIS_Y}" '
        'stroke="#444444" stroke-width="1"/>'
    )
    for day, text in _axis_labels(start, end, t):
        x = scale.x(day)
        anchor = _edge_anchor(x, text_width(text))
        out.append(
            f'<line x1="{_num(x)}" y1="{AXIS_Y - 3}" x2="{_num(x)}" y2="{AXIS_Y}" stroke="#444444"/>'
        )
        out.append(
            f'<text x="{_num(x)}" y="{AXIS_Y - 8}" text-anchor="{anchor}" fill="#444444">'
            f"{escape(text)}</text>"
        )
    out.append("</g>")
    # Moved and cancelled check-ins are off the series (the moved meeting is
    # a meeting of the log like any other).
    removed = removed_checkins(case)
    checkins = [d for d in checkins_between(case.plan.checkins, start, end) if d not in removed]
    if checkins:
        out.append('<g class="checkins">')
        checkin = t.gettext(N_("Check-in %(day)s"))
        for day in checkins:
            at = _num(scale.x(day))
            out.append(
                f'<line class="checkin" x1="{at}" y1="{AXIS_Y - 2}" x2="{at}" y2="{AXIS_Y + 7}" '
                f'stroke="#444444" stroke-width="2"><title>{escape(checkin % {"day": long_date(day)})}</title></line>'
            )
        out.append("</g>")

    # Guides first, so that labels (on a white box) are drawn over them.
    out.append('<g class="guides" stroke="#c8c8c8" stroke-width="1" stroke-dasharray="2 2">')
    for p in placed:
        y = FIRST_ROW_Y + p.row * ROW_HEIGHT
        out.append(
            f'<line x1="{_num(p.x)}" y1="{AXIS_Y + 2}" x2="{_num(p.x)}" y2="{_num(y - 6)}"/>'
        )
    out.append("</g>")

    x_today = scale.x(today)
    # Today's line goes under the labels' boxes: it must not cross out a title.
    label = t.gettext(N_("Today, %(day)s")) % {"day": long_date(today)}
    out.append(
        f'<g class="today-marker"><line class="today" x1="{_num(x_today)}" y1="{AXIS_Y - 4}" '
        f'x2="{_num(x_today)}" y2="{bottom}" stroke="#000000" stroke-width="1.2" '
        f'stroke-dasharray="4 3"/>'
        f'<text x="{_num(x_today)}" y="{today_label_y}" '
        f'text-anchor="{_edge_anchor(x_today, text_width(label))}" font-weight="bold">'
        f"{escape(label)}</text></g>"
    )
    n = len(milestones)
    for (_, m), (title, word), p in zip(milestones, labels[:n], placed[:n], strict=True):
        status = statuses[m.id]
        y = FIRST_ROW_Y + p.row * ROW_HEIGHT
        tip = _tip(m.title, t.gettext(STATUS_LABELS[status]).lower(), long_date(m.due), t)
        if is_overdue(m, status, today):
            tip = t.gettext(N_("%(milestone)s (overdue)")) % {"milestone": tip}
        tx = p.x + 9 if p.anchor == "start" else p.x - 9
        out.append(
            f'<g class="milestone status-{status}" data-milestone="{escape(m.id)}">'
            f"<title>{escape(tip)}</title>"
            f'<rect x="{_num(p.left + 1)}" y="{_num(y - 8)}" width="{_num(p.right - p.left - 2)}" '
            f'height="16" fill="#ffffff" fill-opacity="0.85"/>'
            f"{_mark(status, p.x, y)}"
            f'<text x="{_num(tx)}" y="{_num(y + 4)}" text-anchor="{p.anchor}" fill="#222222">'
            f'{escape(title)} <tspan fill="{COLOURS[status]}">\u00b7 {escape(word)}</tspan></text>'
            "</g>"
        )
    for s, (title, word), p in zip(promised, labels[n:], placed[n:], strict=True):
        out.append(_commitment(s, title, word, p, t))

    out.extend(legend)
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _commitment(s: Standing, title: str, word: str, p: _Placed, t: Language) -> str:
    """One dated commitment: its diamond and its label, over a white box like a milestone's."""
    c = s.commitment
    assert c.due is not None
    y = FIRST_ROW_Y + p.row * ROW_HEIGHT
    tip = t.gettext(N_("Commitment: %(commitment)s: %(status)s, due %(day)s")) % {
        "commitment": c.text,
        "status": t.gettext(COMMITMENT_LABELS[s.status]).lower(),
        "day": t.long_date(c.due),
    }
    if s.overdue:
        tip = t.gettext(N_("%(milestone)s (overdue)")) % {"milestone": tip}
    tx = p.x + 9 if p.anchor == "start" else p.x - 9
    ref = f' data-commitment="{escape(c.id)}"' if c.id else ""
    return (
        f'<g class="commitment status-{s.status}"{ref}>'
        f"<title>{escape(tip)}</title>"
        f'<rect x="{_num(p.left + 1)}" y="{_num(y - 8)}" width="{_num(p.right - p.left - 2)}" '
        f'height="16" fill="#ffffff" fill-opacity="0.85"/>'
        f"{_diamond(s.status, p.x, y)}"
        f'<text x="{_num(tx)}" y="{_num(y + 4)}" text-anchor="{p.anchor}" fill="#222222" '
        f'font-style="italic">{escape(title)} <tspan fill="{COMMITMENT_COLOURS[s.status]}">'
        f"\u00b7 {escape(word)}</tspan></text>"
        "</g>"
    )


def _edge_anchor(x: float, width: float) -> str:
    """Centre a label on x unless that would push it out of the picture."""
    if x - width / 2 < MARGIN:
        return "start"
    if x + width / 2 > WIDTH - MARGIN:
        return "end"
    return "middle"


def _legend(
    statuses: dict[str, str], y: int, t: Language, commitments: int = 0
) -> tuple[list[str], int]:
    """The key: every status with its shape and count, commitments, the check-in tick, today."""
    counts = {s: 0 for s in LEGEND_ORDER}
    for status in statuses.values():
        counts[status] += 1
    entries: list[tuple[str, float]] = []
    for status in LEGEND_ORDER:
        text = f"{t.gettext(STATUS_LABELS[status])} ({counts[status]})"
        entries.append((f"status:{status}:{text}", 16 + text_width(text)))
    if commitments:
        text = t.gettext(N_("Commitment (%(count)s)")) % {"count": commitments}
        entries.append((f"commitment:{text}", 16 + text_width(text)))
    checkin, today = t.gettext(N_("Check-in")), t.gettext(N_("Today"))
    entries.append((f"checkin:{checkin}", 12 + text_width(checkin)))
    entries.append((f"today:{today}", 18 + text_width(today)))
    out = ['<g class="legend">']
    x, row = float(MARGIN), 0
    for key, width in entries:
        if x + width > WIDTH - MARGIN:
            x, row = float(MARGIN), row + 1
        cy = y + row * 18
        kind, _, rest = key.partition(":")
        if kind == "status":
            status, _, text = rest.partition(":")
            out.append(_mark(status, x + 5, cy - 4))
            out.append(f'<text x="{_num(x + 14)}" y="{cy}">{escape(text)}</text>')
        elif kind == "commitment":
            out.append(_diamond("on-track", x + 5, cy - 4))
            out.append(f'<text x="{_num(x + 14)}" y="{cy}">{escape(rest)}</text>')
        elif kind == "checkin":
            out.append(
                f'<line x1="{_num(x + 4)}" y1="{cy - 9}" x2="{_num(x + 4)}" y2="{cy + 1}" '
                'stroke="#444444" stroke-width="2"/>'
            )
            out.append(f'<text x="{_num(x + 10)}" y="{cy}">{escape(rest)}</text>')
        else:
            out.append(
                f'<line x1="{_num(x + 6)}" y1="{cy - 10}" x2="{_num(x + 6)}" y2="{cy + 2}" '
                'stroke="#000000" stroke-width="1.2" stroke-dasharray="4 3"/>'
            )
            out.append(f'<text x="{_num(x + 16)}" y="{cy}">{escape(rest)}</text>')
        x += width + 18
    out.append("</g>")
    return out, row + 1


def _tip(title: str, status: str, due: str, t: Language) -> str:
    return t.gettext(N_("%(milestone)s: %(status)s, due %(day)s")) % {
        "milestone": title,
        "status": status,
        "day": due,
    }


def _description(
    case: Case,
    statuses: dict[str, str],
    today: date,
    t: Language,
    promised: Sequence[Standing] = (),
) -> str:
    """The timeline in words, for screen readers and text-only mail clients."""
    parts = [
        _tip(m.title, t.gettext(STATUS_LABELS[statuses[m.id]]).lower(), t.long_date(m.due), t)
        for m in sorted(case.plan.milestones, key=lambda m: m.due)
    ]
    parts.extend(
        t.gettext(N_("commitment %(commitment)s: %(status)s, due %(day)s"))
        % {
            "commitment": s.commitment.text,
            "status": t.gettext(COMMITMENT_LABELS[s.status]).lower(),
            "day": t.long_date(s.commitment.due),
        }
        for s in promised
        if s.commitment.due
    )
    return (
        t.gettext(N_("As of %(day)s.")) % {"day": t.long_date(today)}
        + " "
        + t.gettext(N_("; ")).join(parts)
        + "."
    )
