"""A YAML file as lines of text, for editing it without disturbing the rest.

``mend log`` changes a user's case file line by line: it never writes the
file back from a parsed tree. What that needs, apart from what to write,
is here: the file's lines as YAML counts them (:func:`split_lines`), where
a node's lines start and end from the composed tree's marks
(:func:`last_line`, :func:`dash_line`, :func:`after_item`), the file's
indentation (:func:`detect_indent`), the comments some lines hold
(:func:`comments`, :func:`lost_comments`), tabs ruamel.yaml cannot read
(:func:`untab`), anchors and aliases that tie lines to others
(:func:`shared_nodes`, :func:`crossing_anchor`, :func:`has_anchor`), and
the splice of new lines in place of old (:class:`Splice`). Nothing here
knows what a meeting is.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import yaml

from .reader import is_null

#: What PyYAML counts as a line break, so that our line numbers are its.
BREAK_RE = re.compile(r"\r\n|[\n\r\x85\u2028\u2029]")
#: libyaml's loader (what mend reads cases with), else PyYAML's own.
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


#: What str.splitlines counts as a line break and YAML does not.
_NOT_YAML_BREAKS = ("\v", "\f", "\x1c", "\x1d", "\x1e")


def split_lines(text: str) -> list[str]:
    """Lines as YAML counts them, each with its own line break (if any)."""
    if not any(char in text for char in _NOT_YAML_BREAKS):
        # The same breaks as YAML's (\r\n, \n, \r, U+0085, U+2028, U+2029), in C:
        # the loop below took 0.1 s of a 2,000-meeting case.
        return text.splitlines(keepends=True)
    lines, pos = [], 0
    for match in BREAK_RE.finditer(text):
        lines.append(text[pos : match.end()])
        pos = match.end()
    if pos < len(text):
        lines.append(text[pos:])
    return lines


def content(line: str) -> str:
    return BREAK_RE.sub("", line)


def is_blank_or_comment(line: str) -> bool:
    stripped = content(line).strip()
    return not stripped or stripped.startswith("#")


def indent_of(line: str) -> int:
    text = content(line)
    return len(text) - len(text.lstrip(" "))


def walk_ids(root: yaml.Node) -> tuple[set[int], set[int]]:
    """The ``id`` of every node under ``root`` (itself included), and of those
    reached twice: an alias is the very node object of its anchor."""
    seen: set[int] = set()
    shared: set[int] = set()
    stack = [root]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            shared.add(id(current))
            continue
        seen.add(id(current))
        if isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                stack.append(key)
                stack.append(value)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
    return seen, shared


def subtree(node: yaml.Node) -> set[int]:
    """The ``id`` of every node under ``node``, itself included."""
    return walk_ids(node)[0]


def shared_nodes(root: yaml.Node) -> set[int]:
    """Nodes reached twice: an alias is the very node object of its anchor."""
    return walk_ids(root)[1]


def crossing_anchor(text: str, start: int, stop: int) -> tuple[str | None, int | None, int]:
    """An anchor or alias in lines ``start:stop``, and the line of its partner.

    Only called to word a refusal: the parser's events are the one place
    that still knows anchor names.
    """
    uses: dict[str, list[int]] = {}
    for event in yaml.parse(text, Loader=LOADER):
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            uses.setdefault(anchor, []).append(event.start_mark.line if event.start_mark else 0)
    for name, lines in uses.items():
        inside = [line for line in lines if start <= line < stop]
        others = [line for line in lines if line != (inside[0] if inside else None)]
        if inside and others:
            return name, inside[0], others[0]
    return None, None, start


def is_empty_null(node: yaml.Node) -> bool:
    """A value left out entirely (``meetings:``), not a written ``~`` or ``null``."""
    return is_null(node) and node.value == ""


def last_line(node: yaml.Node) -> int:
    """The last line that holds any of a node's content (0-based)."""
    if isinstance(node, yaml.ScalarNode):
        end = node.end_mark
        if node.style in ("|", ">") and end.column == 0:
            return end.line - 1  # a block scalar ends at the start of the next line
        return end.line
    if isinstance(node, yaml.CollectionNode) and node.flow_style:
        return node.end_mark.line
    last = node.start_mark.line
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            last = max(last, last_line(key))
            if not is_empty_null(value):
                last = max(last, last_line(value))
    else:
        for item in node.value:
            last = max(last, last_line(item))
    return last


def dash_line(lines: list[str], item: yaml.Node) -> int:
    """The line of the ``-`` that starts a block sequence item."""
    line, column = item.start_mark.line, item.start_mark.column
    if "-" in content(lines[line])[:column]:
        return line
    # ``-`` alone on its line, the item below it
    k = line - 1
    while k > 0 and is_blank_or_comment(lines[k]):
        k -= 1
    return k


def dash_column(lines: list[str], item: yaml.Node) -> int:
    line = content(lines[dash_line(lines, item)])
    return line.index("-")


def after_item(lines: list[str], item: yaml.Node) -> int:
    """Where a new item goes after ``item``: past its content and the
    comments indented under it, before blank lines and outdented comments."""
    dash = dash_column(lines, item)
    at = last_line(item) + 1
    while (
        at < len(lines)
        and content(lines[at]).strip().startswith("#")
        and indent_of(lines[at]) > dash
    ):
        at += 1
    return at


@dataclass(frozen=True)
class Indent:
    mapping: int = 2
    sequence: int = 4
    offset: int = 2


def block_sequences(node: yaml.Node) -> Iterable[tuple[yaml.Node, yaml.SequenceNode]]:
    """Every (key, block sequence with items) pair under ``node``, breadth first."""
    queue = deque([node])
    while queue:
        current = queue.popleft()
        if isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                if isinstance(value, yaml.SequenceNode) and not value.flow_style and value.value:
                    yield key, value
                queue.append(value)
        elif isinstance(current, yaml.SequenceNode):
            queue.extend(current.value)


def detect_indent(
    root: yaml.MappingNode,
    lines: list[str],
    found: tuple[yaml.Node, yaml.Node] | None,
) -> Indent:
    """A file's indentation, which ruamel.yaml cannot detect by itself.

    ``found`` is the key and value of the list where new lines go (the
    meetings): it decides the sequence style when it is a block list with
    items; else the first block list of the file does.
    """
    mapping = 2
    for key, value in root.value:
        if isinstance(value, yaml.MappingNode) and not value.flow_style and value.value:
            mapping = max(1, value.value[0][0].start_mark.column - key.start_mark.column)
            break
    candidates: Iterable[tuple[yaml.Node, yaml.SequenceNode]] = block_sequences(root)
    if (
        found
        and isinstance(found[1], yaml.SequenceNode)
        and not found[1].flow_style
        and found[1].value
    ):
        # Lazily: walking the whole tree of a long case costs more than the edit.
        candidates = itertools.chain([found], candidates)  # type: ignore[list-item]
    for key, seq in candidates:
        item = seq.value[0]
        dash = dash_column(lines, item)
        same_line = dash_line(lines, item) == item.start_mark.line
        content = item.start_mark.column if same_line else dash + 2
        offset = dash - key.start_mark.column
        if offset < 0:
            continue
        return Indent(
            mapping=mapping,
            sequence=max(content - key.start_mark.column, offset + 2),
            offset=offset,
        )
    return Indent(mapping=mapping, sequence=mapping + 2, offset=mapping)


@dataclass
class Splice:
    start: int
    stop: int
    lines: list[str]  # without line breaks


def fragment(lines: Sequence[str]) -> str:
    return "".join(content(line) + "\n" for line in lines)


def line_comments(lines: Iterable[str]) -> Counter[str]:
    return Counter(content(line).strip() for line in lines if content(line).strip().startswith("#"))


def comments(lines: Sequence[str]) -> Counter[str] | None:
    """Every comment in ``lines``, on a line of its own or after a value.

    A ``#`` starts a comment only outside a value, so the lines are split
    into tokens (by libyaml, which reads every layout PyYAML does) and
    comments looked for between them. ``None`` when the lines do not scan
    on their own.
    """
    text = fragment(lines)
    try:
        tokens = list(yaml.scan(text, Loader=LOADER))
    except yaml.YAMLError:
        return None
    found: Counter[str] = Counter()
    pos = 0
    for token in [*tokens, None]:
        start = len(text) if token is None else token.start_mark.index
        if token is not None and token.end_mark.index <= pos:
            continue
        for line in text[pos : max(start, pos)].splitlines():
            if "#" in line:
                found["#" + line.partition("#")[2].rstrip()] += 1
        if token is not None:
            pos = token.end_mark.index
    return found


def lost_comments(old: Sequence[str], new: Sequence[str]) -> Counter[str]:
    """The comments of ``old`` that ``new`` does not have."""
    before, after = comments(old), comments(new)
    if before is None or after is None:
        before, after = line_comments(old), line_comments(new)
    return before - after


def untab(text: str) -> str:
    """``text`` with the tabs that separate tokens written as spaces.

    YAML (and PyYAML) allow a tab before a comment or a value
    (``date: 2026-11-10<TAB># the kickoff``); ruamel.yaml's scanner refuses
    it. Only tabs between tokens change, not those inside a value or after
    the ``#`` of a comment, so the meeting reads the same; it is the
    meeting being rewritten anyway.
    """
    if "\t" not in text:
        return text
    try:
        tokens = list(yaml.scan(text, Loader=LOADER))  # libyaml reads such tabs
    except yaml.YAMLError:
        return text
    out, pos = [], 0
    for token in tokens:
        start, end = token.start_mark.index, token.end_mark.index
        if end <= pos:
            continue
        start = max(start, pos)
        out.append(untab_gap(text[pos:start]))
        out.append(text[start:end])
        pos = end
    out.append(untab_gap(text[pos:]))
    return "".join(out)


def untab_gap(gap: str) -> str:
    """Tabs as spaces in the text between two tokens, up to a comment on each line."""
    out = []
    for line in gap.splitlines(keepends=True):
        code, hash_, comment = line.partition("#")
        out.append(code.replace("\t", " ") + hash_ + comment)
    return "".join(out)


def has_anchor(lines: Sequence[str]) -> bool:
    """Whether lines written for a meeting hold a YAML anchor or alias (by libyaml's tokens)."""
    if "&" not in "".join(lines) and "*" not in "".join(lines):
        return False
    try:
        tokens = yaml.scan(fragment(lines), Loader=LOADER)
        return any(isinstance(t, (yaml.AnchorToken, yaml.AliasToken)) for t in tokens)
    except yaml.YAMLError:
        return True


def shifted(lines: Iterable[str], column: int) -> list[str]:
    """Lines emitted for a top-level key at column 0, moved under a key at ``column``."""
    pad = " " * column
    return [pad + line if line else line for line in lines]
