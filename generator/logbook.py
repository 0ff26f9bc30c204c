"""``mend log``: recording meetings in a case file without disturbing it.

A case file is the user's own document: its comments, blank lines, key order
and quoting are theirs. So ``mend log`` never writes the file back from a
parsed tree. It finds, from the YAML node marks, the lines of the one
meeting it changes (or the point where a new meeting goes), has
ruamel.yaml's round-trip mode read and re-emit *only those lines*, and
splices the result into the original text. Every other byte stays as it
was, whatever the indentation style, line endings or byte-order mark.

Before anything is written the result is checked three ways: it must read
back (with ruamel.yaml) as exactly the data intended, keep every comment of
the lines it replaced, and pass the same validation as ``mend check``. Then
the previous file is kept as ``<file>.bak`` and the new one replaces it
atomically.

Merging: logging a second time for a date that already has a meeting adds to
that meeting. List items (attendees, heard, decisions, positives, concerns)
are appended unless an identical one is there; an action with the same text
as an existing one updates that action's owner and due date; a progress
entry for a milestone already updated in that meeting replaces that entry,
and so does an update on a commitment already updated there;
a summary is added as a new paragraph unless the meeting's summary already
contains it. ``kind`` and ``time`` are replaced when given. To remove or
rewrite anything, use ``--edit``.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, cast

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError as RuamelError
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    LiteralScalarString,
    SingleQuotedScalarString,
)

from . import yamllines
from .case import CaseFile, validate_case, validate_edit
from .commitments import Standing
from .errors import CaseError, MendError, Problem, WriteError
from .gcpause import no_gc as _no_gc
from .gcpause import spare
from .history import NumberedAction, number_actions
from .model import Meeting
from .output import atomic_write
from .reader import (
    MAX_NODES,
    CaseLoader,
    decode_case,
    is_null,
    parse_yaml,
    read_case_bytes,
    read_case_text,
    read_node,
    read_node_sized,
)
from .schedule import checkins_between
from .yamltext import edit_style

#: The order of a meeting's keys in the case format (its model), used for new meetings.
MEETING_KEYS = tuple(Meeting.model_fields)
#: Lists written in flow style (``[a, b]``) in a new meeting: short names.
FLOW_LISTS = ("attendees",)
BOM = b"\xef\xbb\xbf"


# -- what to record ------------------------------------------------------------------


@dataclass(frozen=True)
class ActionEntry:
    text: str
    owner: str | None = None
    due: date | None = None


@dataclass(frozen=True)
class ProgressEntry:
    milestone: str
    status: str
    note: str | None = None


@dataclass(frozen=True)
class CommitmentEntry:
    commitment: str
    status: str
    note: str | None = None


@dataclass
class MeetingEntry:
    """What one ``mend log`` adds to the meeting of ``date``."""

    date: date
    time: time | None = None
    kind: str | None = None
    attendees: list[str] = field(default_factory=list)
    summary: str | None = None
    heard: list[str] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)
    actions: list[ActionEntry] = field(default_factory=list)
    progress: list[ProgressEntry] = field(default_factory=list)
    commitments: list[CommitmentEntry] = field(default_factory=list)
    positives: list[str] = field(default_factory=list)
    concerns: list[str] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not (
            self.time
            or self.kind
            or self.attendees
            or (self.summary and self.summary.strip())
            or self.heard
            or self.decisions
            or self.actions
            or self.progress
            or self.commitments
            or self.positives
            or self.concerns
        )


@dataclass
class LogResult:
    """What a ``mend log`` did, for the command line to report."""

    path: Path
    display: str
    written: bool = False
    backup: Path | None = None
    meeting: date | None = None
    created: bool = False
    added: Counter[str] = field(default_factory=Counter)
    closed: list[NumberedAction] = field(default_factory=list)
    already_done: list[NumberedAction] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def backup_path(path: Path) -> Path:
    """Where the previous version of a case file is kept: ``<file>.bak``."""
    return path.with_name(path.name + ".bak")


# -- reading the file ------------------------------------------------------------------


@dataclass
class _Source:
    """A case file as read: bytes, text, lines, node tree and validated case."""

    path: Path
    display: str
    raw: bytes
    text: str
    lines: list[str]
    newline: str
    root: yaml.MappingNode
    #: The file's values as mend reads them (every scalar as its text),
    #: to compare the edited file against.
    data: dict[str, Any]
    casefile: CaseFile
    #: How many nodes the file holds once its aliases are expanded (as MAX_NODES counts).
    size: int
    _shared: set[int] | None = field(default=None, repr=False)

    @classmethod
    def read(cls, path: Path, display: str, today: date, default_timezone: str) -> _Source:
        raw = read_case_bytes(path, display)
        text = decode_case(raw, display)
        root, data, lines, problems, size = read_case_text(text, display)
        casefile = validate_case(
            data,
            lines,
            path=path,
            display=display,
            today=today,
            default_timezone=default_timezone,
            problems=problems,
        )
        split = yamllines.split_lines(text)
        first_break = yamllines.BREAK_RE.search(text)
        source = cls(
            path=path,
            display=display,
            raw=raw,
            text=text,
            lines=split,
            newline=first_break.group() if first_break else "\n",
            root=root,
            data=data,
            casefile=casefile,
            size=size,
        )
        source.check_layout()
        return source

    def refuse(self, line: int, path: str, message: str) -> CaseError:
        """A file ``mend log`` will not edit: why, at its line (0-based here)."""
        return CaseError([Problem(self.display, line + 1, path, message)])

    def check_layout(self) -> None:
        """Refuse, before any work, a file whose meetings cannot be edited in place.

        ``mend log`` changes the lines of one meeting and nothing else; in a
        flow collection the meetings share lines (and comments), so any edit
        would rewrite its neighbours too.
        """
        if self.root.flow_style:
            raise self.refuse(
                self.root.start_mark.line,
                "",
                "the case is written as one flow mapping ({...}); mend log edits "
                "block-style files only: write its keys one per line, or add the meeting by hand",
            )
        found = self.meetings_node()
        if found is None:
            return
        key, value = found
        if isinstance(value, yaml.SequenceNode) and value.flow_style and value.value:
            raise self.refuse(
                value.start_mark.line,
                "meetings",
                "written in flow style ([...]); mend log edits block-style lists only: "
                'rewrite it as a block list (one "- date: ..." per meeting) or add the meeting by hand',
            )
        empty = is_null(value) or (isinstance(value, yaml.SequenceNode) and not value.value)
        if (
            empty
            and not yamllines.is_empty_null(value)
            and not value.start_mark.line == value.end_mark.line == key.start_mark.line
        ):
            raise self.refuse(
                value.start_mark.line,
                "meetings",
                "an empty list written apart from its key; mend log adds the first "
                "meeting only to `meetings: []` or `meetings:` on one line: "
                "join them, or add the meeting by hand",
            )
        if id(value) in self.shared():
            raise self.refuse(
                key.start_mark.line,
                "meetings",
                "the meetings list is a YAML anchor used elsewhere; mend log cannot edit it "
                "without changing the other place: write it out in full, or edit it by hand",
            )

    def shared(self) -> set[int]:
        """The nodes an alias reaches from more than one place (by ``id``)."""
        if self._shared is None:
            self._shared = yamllines.shared_nodes(self.root) if "&" in self.text else set()
        return self._shared

    def check_not_shared(self, index: int, item: yaml.Node, start: int, stop: int) -> None:
        """Refuse to edit a meeting that shares a value with the rest of the file.

        An alias (``attendees: *team``) in the meeting reads its value from
        an anchor elsewhere, and an anchor in it (``attendees: &team [...]``)
        gives its value to an alias elsewhere: the meeting cannot be re-read
        alone, or changing it would change the other place as well. Aliases
        whose anchor is in the same meeting are refused too: adding to the
        one would add to the other (a concern would become a positive).
        """
        shared = self.shared()
        if not shared or not shared & yamllines.subtree(item):
            return
        name, line, other = yamllines.crossing_anchor(self.text, start, stop)
        raise self.refuse(
            line if line is not None else start,
            f"meetings[{index}]",
            f"this meeting shares the value of the YAML anchor `&{name}` with line {other + 1} "
            "(through an alias); mend log cannot edit it without changing the other place: "
            "write the value out in full in both places, or edit the meeting by hand"
            if name is not None
            else "this meeting shares a value with another place through a YAML alias; "
            "mend log cannot edit it without changing the other place: write the value out "
            "in full, or edit the meeting by hand",
        )

    def meetings_node(self) -> tuple[yaml.Node, yaml.Node] | None:
        for key, value in self.root.value:
            if isinstance(key, yaml.ScalarNode) and key.value == "meetings":
                return key, value
        return None


# -- where things are in the text -------------------------------------------------------


def _detect_indent(source: _Source) -> yamllines.Indent:
    """The file's indentation: the meetings list's, else its first block list's."""
    return yamllines.detect_indent(source.root, source.lines, source.meetings_node())


def _yaml(indent: yamllines.Indent) -> YAML:
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 1_000_000  # never fold a long line the user did not fold
    y.indent(mapping=indent.mapping, sequence=indent.sequence, offset=indent.offset)
    return y


def _dump(y: YAML, data: Any) -> list[str]:
    buffer = io.StringIO()
    y.dump(data, buffer)
    lines = buffer.getvalue().split("\n")[:-1]
    # ruamel.yaml ends the document with ``...`` after a keep (``|+``) block
    # scalar; spliced into a file it would end the file's document there.
    # The blank lines the scalar keeps are written before it, and still read
    # as its own when the file goes on, less indented, after them.
    if lines and lines[-1] == "...":
        lines.pop()
    return lines


def _load(y: YAML, text: str, what: str) -> Any:
    try:
        return y.load(text)
    except RuamelError as exc:
        raise MendError(f"cannot edit {what} with mend log: {exc}") from None


def _plain(value: Any) -> Any:
    """ruamel.yaml's round-trip values as plain Python, for comparing data."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return bool(value)
    return value


# -- building YAML values -------------------------------------------------------------------


def _scalar(text: str) -> Any:
    """A string as a YAML scalar that reads back as this string everywhere.

    The style is :func:`generator.yamltext.edit_style`'s, the one rule of
    how mend writes a text; here it becomes ruamel.yaml's scalar type.
    Text on several lines becomes a ``|`` block.
    """
    style = edit_style(text)
    if style == "|":
        return LiteralScalarString(text.strip("\n") if text.strip() else text)
    if style == "'":
        return SingleQuotedScalarString(text)
    if style == '"':
        return DoubleQuotedScalarString(text)
    return text


def _clock(value: time) -> DoubleQuotedScalarString:
    return DoubleQuotedScalarString(f"{value:%H:%M}")


def _seq(items: Iterable[Any], flow: bool = False) -> CommentedSeq:
    seq = CommentedSeq(items)
    if flow:
        seq.fa.set_flow_style()
    else:
        seq.fa.set_block_style()
    return seq


def _action_map(action: ActionEntry) -> CommentedMap:
    item = CommentedMap()
    item["text"] = _scalar(action.text)
    if action.owner:
        item["owner"] = _scalar(action.owner)
    if action.due:
        item["due"] = action.due
    return item


def _progress_map(progress: ProgressEntry | CommitmentEntry) -> CommentedMap:
    item = CommentedMap()
    if isinstance(progress, CommitmentEntry):
        item["commitment"] = progress.commitment
    else:
        item["milestone"] = progress.milestone
    item["status"] = progress.status
    if progress.note:
        item["note"] = _scalar(progress.note)
    return item


def new_meeting(entry: MeetingEntry, flow_lists: Sequence[str] = FLOW_LISTS) -> CommentedMap:
    """A meeting as it would be written, its keys in the case format's order."""
    meeting = CommentedMap()
    meeting["date"] = entry.date
    merge_into(meeting, entry, flow_lists=flow_lists)
    return meeting


def merge_into(
    meeting: CommentedMap, entry: MeetingEntry, flow_lists: Sequence[str] = FLOW_LISTS
) -> Counter[str]:
    """Add ``entry`` to a meeting in place (see the module's docstring).

    Returns what was added, by kind, for the command line to report.
    """
    added: Counter[str] = Counter()
    if entry.time is not None and str(meeting.get("time") or "") != f"{entry.time:%H:%M}":
        meeting["time"] = _clock(entry.time)
        added["time"] += 1
    if entry.kind is not None and meeting.get("kind") != entry.kind:
        meeting["kind"] = entry.kind
        added["kind"] += 1

    def extend(key: str, values: Iterable[str]) -> None:
        seq = meeting.get(key)
        for value in values:
            if seq is not None and any(str(v) == value for v in seq):
                continue
            if seq is None:
                seq = meeting[key] = _seq([], flow=key in flow_lists)
            seq.append(_scalar(value))
            added[key] += 1

    extend("attendees", entry.attendees)
    summary = (entry.summary or "").strip()
    if summary:
        existing = str(meeting.get("summary") or "").strip()
        if not existing:
            meeting["summary"] = _scalar(summary)
            added["summary"] += 1
        elif summary not in existing:
            meeting["summary"] = LiteralScalarString(f"{existing}\n\n{summary}")
            added["summary"] += 1
    extend("heard", entry.heard)
    extend("decisions", entry.decisions)
    if entry.actions:
        actions = meeting.get("actions")
        for action in entry.actions:
            same = _item_with(actions, "text", action.text)
            if same is None:
                if actions is None:
                    actions = meeting["actions"] = _seq([])
                actions.append(_action_map(action))
                added["actions"] += 1
                continue
            if action.owner and str(same.get("owner") or "") != action.owner:
                same["owner"] = _scalar(action.owner)
                added["action updates"] += 1
            if (
                action.due
                and same.get("due") != action.due
                and str(same.get("due")) != action.due.isoformat()
            ):
                same["due"] = action.due
                added["action updates"] += 1
    _merge_updates(meeting, "progress", "milestone", entry.progress, added)
    _merge_updates(meeting, "commitments", "commitment", entry.commitments, added)
    extend("positives", entry.positives)
    extend("concerns", entry.concerns)
    return added


def _merge_updates(
    meeting: CommentedMap,
    key: str,
    ref: str,
    updates: Sequence[ProgressEntry | CommitmentEntry],
    added: Counter[str],
) -> None:
    """Milestone progress and commitment updates merge alike: one entry a thing a meeting.

    A new one is appended; one for a milestone (commitment) the meeting
    already updated replaces that entry's status and note.
    """
    items = meeting.get(key)
    for update in updates:
        same = _item_with(items, ref, getattr(update, ref))
        if same is None:
            if items is None:
                items = meeting[key] = _seq([])
            items.append(_progress_map(update))
            added[key] += 1
            continue
        if str(same.get("status")) != update.status or str(same.get("note") or "") != (
            update.note or ""
        ):
            same["status"] = update.status
            if update.note:
                same["note"] = _scalar(update.note)
            elif "note" in same:
                del same["note"]
            added[key] += 1


def _item_with(items: Sequence[Any] | None, key: str, value: str) -> Any:
    """The entry of a meeting's list whose ``key`` is ``value``: the one to merge into."""
    return next((i for i in items or () if isinstance(i, dict) and str(i.get(key)) == value), None)


# -- editing the text ------------------------------------------------------------------------

#: A change to one meeting: mutate it in place, or return a replacement: a
#: one-item list of meetings as read (with its comments) from an edited snippet.
Change = Callable[[CommentedMap], "CommentedSeq | None"]


def _read_alone(lines: Sequence[str], display: str) -> Any:
    """How mend reads a meeting's lines on their own, as the one item of a list.

    PyYAML's C loader and mend's own conversion, the same as for the whole
    file: every scalar as its text. A meeting's lines must read the same
    alone as in the file (else they are not the meeting's alone), and the
    lines written must read the same in the edited file.
    """
    root = yaml.compose("meetings:\n" + yamllines.fragment(lines), Loader=yamllines.LOADER)
    return read_node(cast(yaml.MappingNode, root), display)[0]["meetings"][0]


def _meeting_span(source: _Source, index: int) -> tuple[yaml.Node, int, int]:
    """A meeting's node and lines (``start:stop``) in the block list of meetings."""
    found = source.meetings_node()
    assert found is not None and isinstance(found[1], yaml.SequenceNode)  # check_layout
    item = found[1].value[index]
    return item, yamllines.dash_line(source.lines, item), yamllines.last_line(item) + 1


def _read_meeting(source: _Source, y: YAML, index: int) -> Any:
    """A meeting of the file, read by ruamel.yaml from its own lines to be edited:
    ``{"meetings": [meeting]}``.

    Refused, with its line, when those lines do not hold the whole meeting
    (an alias to elsewhere, an anchor used elsewhere) or ruamel.yaml cannot
    read them.
    """
    item, start, stop = _meeting_span(source, index)
    source.check_not_shared(index, item, start, stop)
    lines = source.lines[start:stop]
    if _read_alone(lines, source.display) != source.data["meetings"][index]:
        raise source.refuse(
            start,
            f"meetings[{index}]",
            "this meeting uses YAML that only reads right in the whole file; "
            "mend log cannot edit it: edit the meeting by hand",
        )
    try:
        return y.load("meetings:\n" + yamllines.untab(yamllines.fragment(lines)))
    except RuamelError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        reason = str(getattr(exc, "problem", None) or exc).split("\n")[0]
        line = start + max(0, mark.line - 1) if mark is not None else start
        raise source.refuse(
            line,
            f"meetings[{index}]",
            f"mend log cannot re-read this meeting to edit it ({reason}); edit the meeting by hand",
        ) from None


class _Editor:
    """Plans the splices that change a file's meetings, and checks them.

    Only the changed meeting's lines go through ruamel.yaml (a few lines,
    however long the file): the file as a whole is read once, by libyaml,
    when it is loaded, and once more when edited, to check it. Reading the
    whole of a 2,000-meeting file with ruamel.yaml took 8 s each time.
    """

    def __init__(self, source: _Source) -> None:
        self.source = source
        self.indent = _detect_indent(source)
        self.yaml = _yaml(self.indent)
        self.splices: list[yamllines.Splice] = []
        # What the whole file must read as once edited: as before, but the
        # meetings changed or added.
        self.expected = dict(source.data)
        self.expected["meetings"] = list(source.data.get("meetings") or [])
        found = source.meetings_node()
        self.column = (found[0] if found else source.root.value[0][0]).start_mark.column
        #: The edited file as mend reads it, once :meth:`apply` has checked it.
        self.parsed: tuple[Any, dict[Any, int], list[Problem]] | None = None
        #: In a block list of meetings: the list, the items changed, whether one is added.
        self.block: tuple[yaml.SequenceNode, list[int], bool] | None = None

    def _expect_meeting(self, index: int | None, value: Any) -> None:
        meetings = self.expected["meetings"]
        if index is None:
            meetings.append(value)
        else:
            meetings[index] = value

    def _emit(self, data: Any, line: int) -> list[str]:
        """The lines of ``data``, a one-meeting list under a ``meetings`` key, without
        the key: checked to read back as that meeting."""
        lines = yamllines.shifted(_dump(self.yaml, data)[1:], self.column)
        again = _load(self.yaml, "meetings:\n" + yamllines.fragment(lines), "the edited meeting")
        if _plain(again["meetings"]) != _plain(data["meetings"]):
            raise self.source.refuse(
                line,
                "meetings",
                "mend log could not write this meeting so that it reads back as intended; "
                "nothing was written. Use --edit or edit the file by hand, and please "
                "report this with the file if you can",
            )
        return lines

    def apply(self, changes: dict[int, list[Change]], new: CommentedMap | None) -> str:
        found = self.source.meetings_node()
        if found is not None and isinstance(found[1], yaml.SequenceNode) and found[1].value:
            self._edit_block(found[1], changes, new)
        elif found is not None and new is not None:
            self._fill_key(found[0], found[1], new)
        elif new is not None:
            self._add_key(new)
        return self._splice()

    # A block list of meetings: edit one item's lines, or insert after the last.
    def _edit_block(
        self, seq: yaml.SequenceNode, changes: dict[int, list[Change]], new: CommentedMap | None
    ) -> None:
        lines, display = self.source.lines, self.source.display
        self.block = (seq, sorted(changes), new is not None)
        for index in sorted(changes):
            _, start, stop = _meeting_span(self.source, index)
            # The one-item list, not the meeting alone: it holds the comment
            # after a ``- {...}`` meeting.
            data = _read_meeting(self.source, self.yaml, index)
            for change in changes[index]:
                replacement = change(data["meetings"][0])
                if replacement is not None:
                    data["meetings"] = replacement
            emitted = self._emit(data, start)
            self._expect_meeting(index, _read_alone(emitted, display))
            self.splices.append(yamllines.Splice(start, stop, emitted))
        if new is not None:
            at = yamllines.after_item(lines, seq.value[-1])
            emitted = self._emit({"meetings": [new]}, at)
            self._expect_meeting(None, _read_alone(emitted, display))
            self.splices.append(yamllines.Splice(at, at, emitted))

    # ``meetings: []``, ``meetings: null`` or ``meetings:``: the first meeting.
    def _fill_key(self, key: yaml.Node, value: yaml.Node, new: CommentedMap) -> None:
        """Take the empty value off the key's line and put the meeting under it.

        The rest of the line (a comment) stays as it was; :meth:`_Source.check_layout`
        has made sure the value is on the key's line.
        """
        line = key.start_mark.line
        content = yamllines.content(self.source.lines[line])
        if not yamllines.is_empty_null(value):
            head = content[: value.start_mark.column].rstrip(" \t")
            tail = content[value.end_mark.column :]
            content = head + tail if tail.strip() else head
        emitted = self._emit({"meetings": [new]}, line)
        self._expect_meeting(None, _read_alone(emitted, self.source.display))
        self.splices.append(yamllines.Splice(line, line + 1, [content, *emitted]))

    # No ``meetings`` key: add one after the last key of the file.
    def _add_key(self, new: CommentedMap) -> None:
        at = yamllines.last_line(self.source.root) + 1
        emitted = self._emit({"meetings": [new]}, at)
        self._expect_meeting(None, _read_alone(emitted, self.source.display))
        text = [" " * self.column + "meetings:", *emitted]
        if self._blank_between_sections():
            text.insert(0, "")
        self.splices.append(yamllines.Splice(at, at, text))

    def _blank_between_sections(self) -> bool:
        """Whether the file separates its top-level keys with blank lines."""
        lines = self.source.lines
        votes = []
        for key, _ in self.source.root.value[1:]:
            k = key.start_mark.line - 1
            while k >= 0 and yamllines.content(lines[k]).strip().startswith("#"):
                k -= 1
            votes.append(k >= 0 and not yamllines.content(lines[k]).strip())
        return bool(votes) and sum(votes) * 2 >= len(votes)

    def _read_window(self, out: list[str]) -> tuple[Any, dict[Any, int], list[Problem]] | None:
        """The edited file as mend reads it, from the lines around the change alone.

        Reading the whole edited file again (libyaml and mend's conversion)
        took 0.4 s of a 2,000-meeting case. In a block list, an item's lines
        end where a line is indented no deeper than its ``-``, so the lines
        before the item before the change read as they did (they are the same
        text, followed by the same ``-`` line), and so do the lines after the
        item after it, if the lines between read as before. Those lines, the
        window, are read under a ``meetings:`` key: the item before the
        change, the changed or added ones, and the item after (or, with none
        after, everything to the end of the file, so a block scalar cannot
        take in lines beyond the window). The file's reading is then the
        one of the old file with the window's in its place and the line
        numbers after it moved.

        ``None`` (read the whole file) unless the window reads back exactly
        as intended, without a problem, and the lines written hold no anchor
        or alias (an anchor could change what a later alias outside the
        window means).
        """
        if self.block is None or "*" in self.source.text:
            return None
        seq, changed, added = self.block
        items = seq.value
        if any(yamllines.has_anchor(splice.lines) for splice in self.splices):
            return None
        old_lines = self.source.lines
        first = min([*changed, len(items)] if added else changed)
        last = len(items) - 1 if added else max(changed)
        lo = max(first - 1, 0)  # the first item in the window
        key = self.source.meetings_node()
        assert key is not None  # _edit_block
        start = yamllines.dash_line(old_lines, items[lo]) if first > 0 else key[0].start_mark.line
        to_end = last + 1 >= len(items)
        stop = len(old_lines) if to_end else yamllines.last_line(items[last + 1]) + 1
        delta = len(out) - len(old_lines)
        newline = self.source.newline
        header = [" " * self.column + "meetings:" + newline] if first > 0 else []
        window_text = "".join([*header, *out[start : stop + delta]])
        try:
            root = yaml.compose(window_text, Loader=CaseLoader)
        except yaml.YAMLError:
            return None
        if not isinstance(root, yaml.MappingNode):
            return None
        try:
            data, lines, problems, size = read_node_sized(
                root, self.source.display, aliases="*" in window_text
            )
        except CaseError:
            return None
        if problems:
            return None
        old_count = len(items) - lo if to_end else last + 2 - lo
        new_count = old_count + (1 if added else 0)
        keys = [k.value for k, _ in self.source.root.value if isinstance(k, yaml.ScalarNode)]
        later = keys[keys.index("meetings") + 1 :] if to_end else []
        expected = {"meetings": self.expected["meetings"][lo : lo + new_count]}
        expected.update((k, self.expected[k]) for k in later)
        if list(data) != list(expected) or data != expected:
            return None
        if self.source.size + size > MAX_NODES:
            return None  # let the whole file's reading give its refusal
        offset = start - len(header)
        in_window = set(later)

        window_items = range(lo, lo + old_count)
        mapped: dict[Any, int] = {}
        placed = False
        for path, line in self.source.casefile.lines.items():
            if (path and path[0] in in_window) or (
                len(path) > 1 and path[0] == "meetings" and path[1] in window_items
            ):
                if not placed:
                    placed = True
                    for wpath, wline in lines.items():
                        if len(wpath) > 1 and wpath[0] == "meetings":
                            item = cast(int, wpath[1])  # a meeting's index
                            mapped[("meetings", item + lo, *wpath[2:])] = wline + offset
                        elif wpath and wpath[0] != "meetings":
                            mapped[wpath] = wline + offset
                continue
            # After the window: moved down by the lines it gained. (Its meetings
            # keep their numbers: a new meeting goes last, in the window.)
            mapped[path] = line + delta if line - 1 >= stop else line
        return dict(self.expected), mapped, []

    def _splice(self) -> str:
        out = list(self.source.lines)
        newline = self.source.newline
        for splice in sorted(self.splices, key=lambda s: s.start, reverse=True):
            old = out[splice.start : splice.stop]
            lost = yamllines.lost_comments(old, splice.lines)
            if lost:
                comment = next(iter(lost))
                at = splice.start + next(
                    (i for i, line in enumerate(old) if comment in yamllines.content(line)), 0
                )
                raise self.source.refuse(
                    at,
                    "meetings",
                    f"editing this meeting would lose the comment {comment!r} (a comment inside "
                    "a flow collection, {...} or [...]); nothing was written. Move the comment "
                    "out of the brackets, or edit the meeting by hand",
                )
            if splice.start > 0 and not yamllines.BREAK_RE.search(out[splice.start - 1]):
                out[splice.start - 1] += newline
            out[splice.start : splice.stop] = [line + newline for line in splice.lines]
        text = "".join(out)
        self.parsed = self._read_window(out)
        if self.parsed is None:
            # Composed directly, not through compose_case: the file passed its
            # checks (nesting, one document) when it was read, and the lines
            # added are one meeting's. Its nesting walk cost 0.2 s of a 2,000-meeting case.
            try:
                root = yaml.compose(text, Loader=CaseLoader)
            except yaml.YAMLError:
                root = None
            if isinstance(root, yaml.MappingNode):
                self.parsed = read_node(root, f"{self.source.display} (not written)")
        if self.parsed is None or self.parsed[0] != self.expected:
            raise MendError(
                f"mend log could not edit {self.source.display} safely (the edited file does "
                "not read back as intended); nothing was written. Use --edit or edit the file "
                "by hand, and please report this with the file if you can."
            )
        return text


# -- the operations ----------------------------------------------------------------------


def _meeting_index(casefile: CaseFile, day: date) -> int | None:
    return next((i for i, m in enumerate(casefile.case.meetings) if m.date == day), None)


def resolve_action(actions: Sequence[NumberedAction], selector: str) -> NumberedAction:
    """The action a ``--action-done`` value names: a number, or a unique text.

    A number is the one ``mend log CASE --list-actions`` prints. Text matches
    an action whose text equals it or contains it, ignoring case; when it
    matches several, the open ones among them are taken; it must come down
    to exactly one.
    """
    wanted = selector.strip()
    if wanted.lstrip("#").isdigit():
        number = int(wanted.lstrip("#"))
        if not 1 <= number <= len(actions):
            count = f"{len(actions)} action{'s' if len(actions) != 1 else ''}"
            raise MendError(
                f"no action number {number}: the case has {count} "
                "(see `mend log CASE --list-actions`)"
            )
        return actions[number - 1]
    folded = wanted.casefold()
    if not folded:
        raise MendError("--action-done needs an action number or some of its text")
    exact = [a for a in actions if a.text.casefold() == folded]
    matches = exact or [a for a in actions if folded in a.text.casefold()]
    if len(matches) > 1:
        matches = [a for a in matches if not a.done] or matches
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise MendError(
            f'no action matches "{wanted}" (see `mend log CASE --list-actions` for the numbers)'
        )
    listing = "\n".join(f"  {describe_action(a)}" for a in matches)
    raise MendError(
        f'"{wanted}" matches {len(matches)} actions; give its number or more of its text:\n{listing}'
    )


def describe_action(action: NumberedAction, today: date | None = None) -> str:
    """One line for an action: ``3. [ ] Send the plan (Sam Rivera, due 2026-11-26)``."""
    details = [d for d in (action.owner, f"due {action.due}" if action.due else None) if d]
    if today is not None and action.is_overdue(today):
        details.append("overdue")
    tail = f" ({', '.join(details)})" if details else ""
    mark = "x" if action.done else " "
    return f"{action.number}. [{mark}] {action.text}{tail} [meeting {action.meeting}]"


def describe_commitment(standing: Standing) -> str:
    """One line for a commitment: ``credit-note [broken] Credit note ... (us, due 2026-11-30, overdue)``.

    Its id is what ``--commitment ID=STATUS`` takes; one without an id
    cannot be updated until it has one.
    """
    c = standing.commitment
    details = [c.party, *(x for x in (c.owner, f"due {c.due}" if c.due else None) if x)]
    if standing.overdue:
        details.append("overdue")
    if standing.last_update:
        details.append(f"last updated {standing.last_update}")
    return f"{c.id or '(no id)'} [{standing.status}] {c.text} ({', '.join(details)})"


def _set_done(index: int) -> Change:
    def change(meeting: CommentedMap) -> None:
        meeting["actions"][index]["done"] = True

    return change


def _edit(
    source: _Source, changes: dict[int, list[Change]], new: CommentedMap | None
) -> tuple[str, tuple[Any, dict[Any, int], list[Problem]] | None]:
    """The edited text, and the edited file as read (``None`` when nothing changed)."""
    editor = _Editor(source)
    text = editor.apply(changes, new)
    return text, editor.parsed


def _write(
    source: _Source,
    text: str,
    parsed: tuple[Any, dict[Any, int], list[Problem]] | None,
    result: LogResult,
    today: date,
) -> None:
    """Validate the new text, keep the old file as .bak, replace it atomically."""
    shown = f"{source.display} (not written)"
    data, lines, problems = parsed if parsed is not None else parse_yaml(text, shown)
    after = validate_edit(
        source.casefile, source.data, data, lines, display=shown, today=today, problems=problems
    )
    before = {(w.path, w.message) for w in source.casefile.warnings}
    result.warnings = [
        Problem(source.display, w.line, w.path, w.message)
        for w in after.warnings
        if (w.path, w.message) not in before
    ]
    try:
        current = source.path.read_bytes()
    except OSError as exc:
        raise MendError(f"cannot read {source.display}: {exc.strerror}") from None
    if current != source.raw:
        raise MendError(
            f"{source.display} changed on disk while mend log was working; nothing was written, try again"
        )
    data_bytes = (BOM if source.raw.startswith(BOM) else b"") + text.encode("utf-8")
    backup = backup_path(source.path)
    try:
        mode = source.path.stat().st_mode & 0o7777
        atomic_write(backup, source.raw, durable=True, mode=mode)
        atomic_write(source.path, data_bytes, durable=True, mode=mode)
    except OSError as exc:
        raise WriteError.from_os_error(exc, source.path, source.display) from None
    result.written = True
    result.backup = backup


@_no_gc()
def log(
    path: Path,
    *,
    entry: MeetingEntry | None = None,
    done: Sequence[str] = (),
    today: date,
    display: str | None = None,
    default_timezone: str = "UTC",
) -> LogResult:
    """Record ``entry`` in the case file at ``path`` and mark actions done.

    ``done`` holds action numbers or texts (see :func:`resolve_action`).
    Nothing is written when the file would not change, and nothing at all
    unless the whole edited case is valid.
    """
    display = display or str(path)
    source = _Source.read(path, display, today, default_timezone)
    spare(source)  # the process may end right after: see gcpause.spare
    result = LogResult(path=path, display=display)
    changes: dict[int, list[Change]] = {}

    # Numbered only for --action-done: numbering every action of a
    # 2,000-meeting case was 1 % of a `mend log --summary` that names none.
    actions = number_actions(source.casefile.case) if done else []
    chosen: dict[int, NumberedAction] = {}
    for selector in done:
        try:
            action = resolve_action(actions, selector)
        except MendError as exc:
            raise MendError(f"{display}: {exc.message}") from None
        chosen.setdefault(action.number, action)
    for action in chosen.values():
        if action.done:
            result.already_done.append(action)
        else:
            changes.setdefault(action.meeting_index, []).append(_set_done(action.index))
            result.closed.append(action)

    new = None
    if entry is not None and not entry.is_empty():
        result.meeting = entry.date
        index = _meeting_index(source.casefile, entry.date)
        if index is None:
            entry = _with_checkin_time(source, entry)
            new = CommentedMap()
            new["date"] = entry.date
            result.added.update(merge_into(new, entry, _flow_lists(source)))
            result.created = True
        else:

            def merge(meeting: CommentedMap) -> None:
                result.added.update(merge_into(meeting, entry, _flow_lists(source)))

            changes.setdefault(index, []).insert(0, merge)

    if not changes and new is None:
        return result
    text, parsed = _edit(source, changes, new)
    if text == source.text:
        return result
    _write(source, text, parsed, result, today)
    return result


def _with_checkin_time(source: _Source, entry: MeetingEntry) -> MeetingEntry:
    """A new meeting on a check-in date keeps the check-in's time.

    Without it the meeting would list no time and the calendar and the
    recap would lose the hour the check-in series gave that day.
    """
    checkins = source.casefile.case.plan.checkins
    if (
        entry.time is None
        and checkins is not None
        and checkins.time is not None
        and checkins_between(checkins, entry.date, entry.date)
    ):
        return replace(entry, time=checkins.time)
    return entry


def _flow_lists(source: _Source) -> tuple[str, ...]:
    """The lists to write in flow style: as the file's latest meeting does, else attendees."""
    found = source.meetings_node()
    if not found or not isinstance(found[1], yaml.SequenceNode) or not found[1].value:
        return FLOW_LISTS
    meetings = source.casefile.case.meetings
    latest = max(range(len(meetings)), key=lambda i: (meetings[i].date, i))
    node = found[1].value[latest]
    if not isinstance(node, yaml.MappingNode):
        return FLOW_LISTS
    styles = {
        key.value: bool(value.flow_style)
        for key, value in node.value
        if isinstance(value, yaml.SequenceNode) and isinstance(key, yaml.ScalarNode)
    }
    keys = set(FLOW_LISTS) | {"heard", "decisions", "positives", "concerns"}
    return tuple(sorted(k for k in keys if styles.get(k, k in FLOW_LISTS)))


# -- editing a meeting in $EDITOR ---------------------------------------------------------------

SNIPPET_HEADER = """\
# mend log: the meeting of {day} in {display}.
# Edit it, save and close: it replaces the meeting in the case file.
# Close without saving (or empty the file) to leave the case file as it is.
# Keys: date, time ("HH:MM"), kind (kickoff | check-in | review | closing | call),
#   attendees, summary, heard, decisions, actions (text, owner, due, done),
#   progress (milestone, status, note), commitments (commitment, status, note),
#   positives, concerns, internal_notes (never shown to the client).
# Milestones: {milestones}
# Statuses: planned, on-track, at-risk, done, missed
# Commitments: {commitments}
# Their statuses: kept, on-track, at-risk, broken, renegotiated
"""


@_no_gc()
def meeting_snippet(
    path: Path,
    day: date,
    *,
    entry: MeetingEntry | None = None,
    today: date,
    display: str | None = None,
    default_timezone: str = "UTC",
) -> str:
    """The YAML to open in an editor: the meeting of ``day`` with ``entry`` merged.

    A new meeting comes with the keys most meetings need, empty, so the
    user fills them in rather than remembering their names.
    """
    display = display or str(path)
    source = _Source.read(path, display, today, default_timezone)
    indent = _detect_indent(source)
    y = _yaml(indent)
    index = _meeting_index(source.casefile, day)
    if index is None:
        entry = _with_checkin_time(source, entry or MeetingEntry(date=day))
        filled = new_meeting(entry, _flow_lists(source))
        # The keys most meetings need, empty, in the case format's order.
        meeting = CommentedMap()
        for key in MEETING_KEYS:
            if key in filled:
                meeting[key] = filled[key]
            elif key in ("attendees", "summary", "heard", "decisions", "actions", "progress"):
                meeting[key] = None
    container = {"meetings": [meeting]} if index is None else _read_meeting(source, y, index)
    if index is not None and entry is not None:
        merge_into(container["meetings"][0], entry)
    ids = ", ".join(m.id for m in source.casefile.case.plan.milestones)
    agreement = source.casefile.case.agreement
    promised = ", ".join(c.id for c in agreement.commitments if c.id) if agreement else ""
    header = SNIPPET_HEADER.format(
        day=day.isoformat(),
        display=display,
        milestones=ids,
        commitments=promised or "none with an id",
    )
    return header + _snippet_body(y, container, indent)


def _snippet_body(y: YAML, container: Any, indent: yamllines.Indent) -> str:
    """A meeting as the editor shows it, at column 0.

    ruamel.yaml keeps a comment at the column it had in the file, so the
    mapping dumped alone would leave its comments indented against keys
    that moved left. It is dumped as an item of the meetings list instead,
    exactly as in the file, and then moved left by the item's indent, which
    :func:`apply_snippet` adds back.
    """
    out = []
    for i, line in enumerate(_dump(y, container)[1:]):
        spaces = len(line) - len(line.lstrip(" "))
        out.append(line[indent.sequence :] if i == 0 else line[min(indent.sequence, spaces) :])
    return "\n".join(out) + "\n"


def _strip_header(text: str) -> str:
    lines = text.splitlines(keepends=True)
    k = 0
    while k < len(lines) and (not lines[k].strip() or lines[k].lstrip().startswith("#")):
        k += 1
    return "".join(lines[k:])


def _unchanged(source: _Source, index: int, edited: CommentedMap, shifted: list[str]) -> bool:
    """Whether an edited meeting holds the same data and comments as the file's."""
    read = _read_meeting(source, _yaml(_detect_indent(source)), index)
    if _plain(edited) != _plain(read["meetings"][0]):
        return False
    _, start, stop = _meeting_span(source, index)
    lines = source.lines[start:stop]
    return not yamllines.lost_comments(lines, shifted) and not yamllines.lost_comments(
        shifted, lines
    )


def _snippet_error(exc: RuamelError, text: str, body: str) -> str:
    """A YAML error in an edited meeting, with the line as the editor showed it.

    The snippet is read shifted under a ``meetings:`` key without its header
    comments, so ruamel.yaml's own line numbers (and its quoted context) point
    at text the user never saw; only its one-line reason is kept.
    """
    header_lines = text[: len(text) - len(body)].count("\n")
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    reason = str(getattr(exc, "problem", None) or "not valid YAML").split("\n")[0]
    if mark is None:
        return f"the edited meeting is not valid YAML: {reason}"
    # line 0 is the added ``meetings:`` key
    return f"the edited meeting, line {header_lines + mark.line}: {reason}"


@_no_gc()
def apply_snippet(
    path: Path,
    day: date,
    text: str,
    *,
    today: date,
    display: str | None = None,
    default_timezone: str = "UTC",
) -> LogResult:
    """Put an edited meeting snippet in place of the meeting of ``day``.

    Comment lines at the top of the snippet (mend's explanation) are
    dropped; keys left empty that the meeting did not have are not written.
    """
    display = display or str(path)
    source = _Source.read(path, display, today, default_timezone)
    result = LogResult(path=path, display=display)
    body = _strip_header(text)
    if not body.strip():
        return result
    indent = _detect_indent(source)
    index = _meeting_index(source.casefile, day)
    # Indent the snippet as an item of the meetings list before reading it,
    # so that its comments land in the right column.
    lead = " " * indent.offset + "-" + " " * (indent.sequence - indent.offset - 1)
    pad = " " * indent.sequence
    body_lines = body.split("\n")
    if "..." in body_lines:  # the end of a YAML document: nothing after it counts
        body_lines = body_lines[: body_lines.index("...")]
    shifted = [lead + body_lines[0]] + [
        pad + line if line.strip() else line for line in body_lines[1:]
    ]
    try:
        data = _yaml(indent).load("meetings:\n" + "\n".join(shifted))
    except RuamelError as exc:
        raise MendError(_snippet_error(exc, text, body)) from None
    meetings = data.get("meetings") if isinstance(data, dict) else None
    if not meetings or not isinstance(meetings[0], dict) or len(meetings) != 1:
        raise MendError(
            "the edited meeting must be one mapping of keys (`date: ...`, `summary: ...`)"
        )
    edited = cast(CommentedMap, meetings[0])  # ruamel's round-trip mapping
    had = set(source.casefile.case.meetings[index].model_fields_set) if index is not None else set()
    for key in list(edited):
        value = edited[key]
        if key not in had and (value is None or value == [] or value == ""):
            del edited[key]
    if index is not None and _unchanged(source, index, edited, shifted):
        return result  # saved as it was: leave the file's own layout alone
    result.meeting = day
    if index is None:
        result.created = True
        text_out, parsed = _edit(source, {}, edited)
    else:
        text_out, parsed = _edit(source, {index: [lambda _meeting: meetings]}, None)
    if text_out == source.text:
        return result
    _write(source, text_out, parsed, result, today)
    return result
