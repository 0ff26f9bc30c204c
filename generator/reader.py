"""Reading a case file's YAML with a line for every field, and its guards.

PyYAML's C composer builds a node tree that knows the line of every key and
item; we turn that tree into plain Python values ourselves, so that we
control the YAML 1.1 traps (a text field that says ``no`` or ``10:00`` stays
the text the user wrote) and remember a line for every field path. A file
too large, too deep or too many values after expanding its aliases is
refused, and PyYAML's and libyaml's errors become messages that name the
line to fix. Nothing here knows the models: :mod:`generator.case` validates
what this returns.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from .casebytes import MAX_FILE_BYTES as MAX_FILE_BYTES
from .casebytes import read_case_bytes as read_case_bytes
from .errors import CaseError, Problem

#: Nodes allowed after expanding YAML aliases: stops an "alias bomb" early.
MAX_NODES = 200_000
MAX_DEPTH = 40


# -- reading YAML with line numbers --------------------------------------------

Path_ = tuple[str | int, ...]


class _Reader:
    """Turns a composed YAML node tree into plain values and a line map."""

    def __init__(self) -> None:
        self.lines: dict[Path_, int] = {}
        self.problems: list[tuple[Path_, int, str]] = []
        self.nodes = 0

    def convert(self, node: yaml.Node, path: Path_, depth: int = 0) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _TooBig(node.start_mark.line + 1)
        if depth > MAX_DEPTH:
            raise _TooDeep(node.start_mark.line + 1)
        self.lines.setdefault(path, node.start_mark.line + 1)
        if node.tag not in _PLAIN_TAGS:
            self.problems.append(
                (
                    path,
                    node.start_mark.line + 1,
                    f"YAML tags such as `{_show_tag(node.tag)}` are not supported: "
                    "write the value as plain text",
                )
            )
            return None
        if isinstance(node, yaml.ScalarNode):
            return None if is_null(node) else node.value
        if isinstance(node, yaml.SequenceNode):
            return [self.convert(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                self.problems.append(
                    (path, line, "a key must be a plain name, not a list or mapping")
                )
                continue
            key = key_node.value
            if key == "":
                self.problems.append((path, line, EMPTY_KEY_MESSAGE))
                continue
            if key == "<<" and key_node.tag == "tag:yaml.org,2002:merge":
                self.problems.append((path, line, "YAML merge keys (<<) are not supported"))
                continue
            if key in result:
                first = self.lines.get((*path, key))
                self.problems.append(
                    (
                        (*path, key),
                        line,
                        f"duplicate key `{key}` (first given on line {first})",
                    )
                )
                continue
            self.lines[(*path, key)] = line
            result[key] = self.convert(value_node, (*path, key), depth + 1)
        return result


class _Unusual(Exception):
    """The tree needs :meth:`_Reader.convert`'s full treatment (see :meth:`_Reader.read`)."""


def _read_plain(root: yaml.MappingNode, lines: dict[Path_, int]) -> tuple[dict[str, Any], int]:
    """A case's values and their lines in one walk, for trees with nothing unusual in them.

    What :func:`_check_expanded_size` then :meth:`_Reader.convert` return
    for the same tree (the values, the same lines in the same order, no
    problem, the expanded size), in one walk instead of two and with the
    scalars handled in their collection's loop: the two walks took 0.25 s
    of a 2,000-meeting case, this one under half of that. It gives up, by
    raising :class:`_Unusual`, at anything that would make a problem or
    could come near a limit: a tag, a key that is not a plain scalar, an
    empty, duplicate or merge key, a collection MAX_DEPTH - 1 levels deep
    (so the depth checks, :func:`_first_too_deep`'s included, cannot refuse
    the tree), more than MAX_NODES nodes. The caller then reads the tree
    the thorough way, so every refusal and message stays theirs.
    """
    plain, null, merge = _PLAIN_TAGS, "tag:yaml.org,2002:null", "tag:yaml.org,2002:merge"
    scalar_node, sequence_node, mapping_node = yaml.ScalarNode, yaml.SequenceNode, yaml.MappingNode
    count = 1

    def collection(node: yaml.Node, path: Path_, depth: int) -> Any:
        nonlocal count
        kind = node.__class__
        if (
            node.tag not in plain
            or depth + 1 >= MAX_DEPTH
            or kind not in (sequence_node, mapping_node)
        ):
            raise _Unusual
        items = node.value
        if kind is sequence_node:
            count += len(items)
            if count > MAX_NODES:
                raise _Unusual
            out: list[Any] = []
            for i, item in enumerate(items):
                item_path = (*path, i)
                if item_path not in lines:
                    lines[item_path] = item.start_mark.line + 1
                if item.__class__ is scalar_node:
                    tag = item.tag
                    if tag not in plain:
                        raise _Unusual
                    out.append(None if tag == null and not item.style else item.value)
                else:
                    out.append(collection(item, item_path, depth + 1))
            return out
        count += 2 * len(items)
        if count > MAX_NODES:
            raise _Unusual
        result: dict[str, Any] = {}
        for key_node, value in items:
            if key_node.__class__ is not scalar_node:
                raise _Unusual
            key = key_node.value
            if key == "" or key in result or (key == "<<" and key_node.tag == merge):
                raise _Unusual
            key_path = (*path, key)
            lines[key_path] = key_node.start_mark.line + 1
            if value.__class__ is scalar_node:
                tag = value.tag
                if tag not in plain:
                    raise _Unusual
                result[key] = None if tag == null and not value.style else value.value
            else:
                result[key] = collection(value, key_path, depth + 1)
        return result

    if root.__class__ is not mapping_node:
        raise _Unusual
    lines[()] = root.start_mark.line + 1
    return collection(root, (), 0), count


#: The tags YAML's core schema resolves on its own. Any other was written
#: by hand (``!!python/name:...``, ``!!binary``, ``!secret``); a case file has
#: no use for one, and reading it as text would hide what the writer meant.
_PLAIN_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}"
    for name in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map", "merge")
)


def is_null(node: yaml.Node) -> bool:
    """A plain ``~``, ``null`` or nothing at all: a value left empty.

    PyYAML's C composer marks plain scalars with style ``""``, the pure
    Python one with ``None``; a quoted ``"null"`` is text.
    """
    return (
        isinstance(node, yaml.ScalarNode)
        and node.tag == "tag:yaml.org,2002:null"
        and not node.style
    )


def _show_tag(tag: str) -> str:
    return "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml.org") else tag


def _check_flow_depth(text: str, loader: type) -> None:
    """Refuse nesting deeper than MAX_DEPTH, from the parser's events.

    libyaml's composer recurses once per level: where libyaml sets no limit
    of its own, some 30,000 nested ``[``, a few dozen kilobytes, crash the
    interpreter (a segmentation fault, not an exception). The event parser
    keeps its own stack, so walking its events is safe at any depth. Only
    block indentation can nest without brackets, and a file under
    MAX_FILE_BYTES cannot indent deep enough to matter, so files with few
    brackets skip this walk (see :func:`_compose_all` for when the walk is
    replaced by :func:`_first_too_deep` on the composed tree).
    """
    try:
        _walk_depth(text, loader)
    except yaml.MarkedYAMLError as exc:
        if not _is_nesting_limit(exc):
            raise
        # libyaml 0.2.5 (bundled from PyYAML 6.0.4 on) stops at 1,000 levels
        # by itself, before the walk above reaches MAX_DEPTH. The pure-Python
        # parser has no such limit: it finds the line of level MAX_DEPTH + 1,
        # so the message is the same whichever PyYAML is installed.
        _walk_depth(text, yaml.SafeLoader)
        raise _TooDeep(exc.problem_mark.line + 1 if exc.problem_mark else 1) from None


#: Deeper than libyaml's own nesting limit (1,000 levels), for the probe below.
_PROBE_DEPTH = 1_001
#: libyaml's parser, where PyYAML has it.
_C_PARSER: type[Any] | None = getattr(getattr(yaml, "cyaml", None), "CParser", None)


@functools.cache
def _composer_is_bounded(loader: type[Any]) -> bool:
    """Whether ``loader`` refuses deep nesting by itself, before its composer could crash.

    libyaml refuses more than 1,000 levels of brackets or of indentation
    (the version PyYAML 6.0.4 bundles; older ones do not): its scanner stops
    before the composer, which follows the scanner, recurses any deeper, so
    composing any text is safe, and the level mend refuses can be found in
    the composed tree instead of walking every event first (0.2 s of a
    2,000-meeting case). The pure-Python composer recurses in Python, into a
    RecursionError at a few hundred levels: never bounded here. Asked of the
    installed libyaml once, by composing one text of each kind past its limit.
    """
    if _C_PARSER is None or not issubclass(loader, _C_PARSER):
        return False
    for probe in ("[" * _PROBE_DEPTH + "]" * _PROBE_DEPTH, "- " * _PROBE_DEPTH + "x\n"):
        try:
            yaml.compose(probe, Loader=loader)
        except yaml.MarkedYAMLError as exc:
            if not _is_nesting_limit(exc):
                return False
        else:
            return False
    return True


def _first_too_deep(nodes: Iterable[yaml.Node], aliases: bool) -> int | None:
    """The line where level MAX_DEPTH + 1 opens in composed documents, as the event walk finds it.

    The same answer as :func:`_walk_depth`: the first collection, in the
    order of the text (a key before its value), that opens more than
    MAX_DEPTH collections deep. An alias opens no collection: its node is
    the one of its anchor, already visited (an anchor always comes before
    its aliases), so with ``aliases`` a node seen before is skipped. Only
    collections are visited; scalars cannot open a level.
    """
    seen: set[int] = set()
    scalar = yaml.ScalarNode
    mapping = yaml.MappingNode
    for root in nodes:
        if isinstance(root, scalar):
            continue
        stack: list[tuple[yaml.Node, int]] = [(root, 1)]
        while stack:
            node, depth = stack.pop()
            if aliases:
                if id(node) in seen:
                    continue
                seen.add(id(node))
            if depth > MAX_DEPTH:
                return node.start_mark.line + 1
            depth += 1
            if isinstance(node, mapping):
                for key, value in reversed(node.value):
                    if not isinstance(value, scalar):
                        stack.append((value, depth))
                    if not isinstance(key, scalar):
                        stack.append((key, depth))
            else:
                stack.extend(
                    (item, depth) for item in reversed(node.value) if not isinstance(item, scalar)
                )
    return None


def _walk_depth(text: str, loader: type[Any]) -> None:
    depth = 0
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise _TooDeep(event.start_mark.line + 1 if event.start_mark else 1)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _is_nesting_limit(exc: yaml.MarkedYAMLError) -> bool:
    """Whether the parser refused the file for nesting, not for its syntax."""
    return "nesting depth" in (exc.problem or "")


def _check_expanded_size(root: yaml.Node) -> int:
    """Refuse a tree whose aliases expand past MAX_NODES values, before expanding it.

    Returns how many nodes it expands to. First counted plainly, aliases
    expanded, stopping at MAX_NODES nodes or MAX_DEPTH levels: within both,
    the measure below cannot refuse the tree (its sizes are these counts, and
    it looks at depth on fewer paths), and the plain count took half its time
    (a dictionary entry per node). Past either, the measure below says where.
    """
    count, stack = 0, [(root, 0)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if depth > MAX_DEPTH or count > MAX_NODES:
            return _measure_expanded_size(root)
        depth += 1
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.append((key, depth))
                stack.append((value, depth))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend([(item, depth) for item in node.value])
    return count


def _measure_expanded_size(root: yaml.Node) -> int:
    """The size of a tree past MAX_NODES or MAX_DEPTH: refused at the node that goes past.

    An alias is the same node object as its anchor, so sizes are memoised
    by identity: a "billion laughs" file is measured in a few hundred steps
    instead of being expanded. Recursive aliases are left to the depth limit.
    """
    sizes: dict[int, int] = {}

    def size(node: yaml.Node, depth: int) -> int:
        known = sizes.get(id(node))
        if known is not None:
            return known
        if depth > MAX_DEPTH:
            raise _TooDeep(node.start_mark.line + 1)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            total += sum(size(item, depth + 1) for item in node.value)
        elif isinstance(node, yaml.MappingNode):
            total += sum(size(k, depth + 1) + size(v, depth + 1) for k, v in node.value)
        if total > MAX_NODES:
            raise _TooBig(node.start_mark.line + 1)
        sizes[id(node)] = total
        return total

    return size(root, 0)


class _TooBig(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


class _TooDeep(_TooBig):
    pass


def format_path(path: Iterable[str | int]) -> str:
    """``("plan", "milestones", 1, "due")`` -> ``plan.milestones[1].due``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _line_for(lines: dict[Path_, int], path: Path_) -> int | None:
    for end in range(len(path), -1, -1):
        line = lines.get(tuple(path[:end]))
        if line is not None:
            return line
    return None


# -- reading the file ----------------------------------------------------------


def read_text(path: Path, display: str) -> str:
    """Read a case file's bytes as UTF-8, refusing what cannot be a case."""
    return decode_case(read_case_bytes(path, display), display)


def decode_case(data: bytes, display: str) -> str:
    """A case file's bytes as text: UTF-8, with or without a byte-order mark."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CaseError(
            [
                Problem(
                    display,
                    line,
                    "",
                    f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); save the file as UTF-8",
                )
            ]
        ) from None
    return text


# -- explaining PyYAML's and libyaml's errors ---------------------------------

_OPEN_QUOTE_RE = re.compile(r"""^\s*(?:-\s+)?(?:[^\s"'#][^:#]*:\s+)?(["'])""")
_CLOSED_RE = {
    '"': re.compile(r'"(?:[^"\\]|\\.)*"'),
    "'": re.compile(r"'(?:[^']|'')*'"),
}


def _unclosed_quote_line(lines: list[str], upto: int) -> int | None:
    """The last line (0-based) up to ``upto`` whose value opens a quote it does not close.

    YAML lets a quoted text run over several lines, so a missing closing
    quote is reported far below it, wherever the parser gives up; the line
    to fix is the one that opened the quote.
    """
    found = None
    for number, line in enumerate(lines[: upto + 1]):
        match = _OPEN_QUOTE_RE.match(line)
        if match and not _CLOSED_RE[match[1]].match(line, match.start(1)):
            found = number
    return found


def _explain_syntax_error(exc: yaml.MarkedYAMLError, lines: list[str]) -> tuple[int | None, str]:
    """The line to fix and a plain explanation, from PyYAML's terse one.

    PyYAML names the point where parsing failed, which for the common
    mistakes (a tab, a colon in unquoted text, an unclosed quote or list)
    is often not where the mistake is; each gets a line and a hint here.
    """
    mark = exc.problem_mark or exc.context_mark
    if mark is None:  # pragma: no cover - PyYAML marks every syntax error
        return None, exc.problem or "invalid YAML"
    problem = exc.problem or "invalid YAML"
    context = exc.context or ""
    source = lines[mark.line] if mark.line < len(lines) else ""
    char = source[mark.column : mark.column + 1]
    where = f" (the parser stopped at line {mark.line + 1}: {problem})"
    here = f" ({problem})"
    if "\t" in source[: mark.column + 1] and not source[: mark.column].strip(" \t-"):
        return mark.line + 1, "a tab indents this line; YAML allows only spaces for indentation"
    bad_escape = "quoted scalar" in context and ("escape" in problem or "hexdecimal" in problem)
    quote = _unclosed_quote_line(lines, mark.line)
    if quote is not None and not bad_escape:
        return quote + 1, "the quote opened on this line is not closed on it" + where
    if bad_escape:
        return mark.line + 1, (
            "a backslash in double quotes starts an escape such as \\n; write \\\\ for a "
            "backslash, or use single quotes" + here
        )
    explained = _explain_libyaml(exc, lines, problem, context, source, mark.column)
    if explained is not None:
        return explained
    if "flow sequence" in context or "flow mapping" in context:
        opening = "[" if "sequence" in context else "{"
        closing = "]" if opening == "[" else "}"
        start = exc.context_mark.line + 1 if exc.context_mark else mark.line + 1
        return start, f"the `{opening}` opened on this line is not closed with `{closing}`" + where
    if problem.startswith("mapping values are not allowed"):
        if ": " in source[: mark.column]:
            return mark.line + 1, (
                'a text with `: ` in it must be in quotes, as in `title: "Relaunch: what went wrong"`'
            )
        return mark.line + 1, "this line is indented more than the key above it"
    if problem == "found undefined alias":
        name = re.match(r"\*[^\s,\[\]{}]*", source[mark.column :])
        return mark.line + 1, (
            f"`{name[0] if name else '*'}` refers to an anchor that is not defined; "
            "a text that starts with `*` must be in quotes"
        )
    if problem.startswith("found character that cannot start any token") and char:
        return mark.line + 1, f"a text cannot start with `{char}`: put the text in quotes"
    if problem.startswith(("did not find expected key", "did not find expected '-'")):
        return mark.line + 1, (
            "this line does not line up with the lines above it: check its indentation" + here
        )
    return mark.line + 1, f"this line is not YAML mend can read (the parser says: {problem})"


#: A token of YAML syntax at the start of a text: an anchor, alias or tag.
_TOKEN_RE = re.compile(r"[&*!][^\s,\[\]{}]*")
#: A line that looks like a key with no space after its colon (``title:#x``).
_KEY_WITHOUT_SPACE_RE = re.compile(r"^\s*(?:-\s+)?[^\s:#'\"\[{&*!|>%@`-][^\s:]*:[^\s:]")
EMPTY_KEY_MESSAGE = "an empty key: write the field's name before the `:`"


def _token(text: str) -> str:
    match = _TOKEN_RE.match(text)
    return match[0] if match else text[:1]


def _previous_line(lines: list[str], line: int) -> int | None:
    """The last line (0-based) before ``line`` that holds more than a comment."""
    for number in range(min(line, len(lines)) - 1, -1, -1):
        stripped = lines[number].strip()
        if stripped and not stripped.startswith("#"):
            return number
    return None


def _explain_libyaml(
    exc: yaml.MarkedYAMLError,
    lines: list[str],
    problem: str,
    context: str,
    source: str,
    column: int,
) -> tuple[int, str] | None:
    """Plain sentences for libyaml's terse messages, or None to fall through.

    Each branch is a mistake reproduced with a small file in
    ``tests/corpus/broken/``: the message says what to change, at the line
    to change, instead of libyaml's own words ("found duplicate anchor;
    first occurrence", "did not find expected node content").
    """
    assert exc.problem_mark is not None
    line = exc.problem_mark.line + 1
    opened = exc.context_mark.line + 1 if exc.context_mark else line
    ahead = source[column:]
    char = ahead[:1]
    before = source[:column].rstrip()
    if "duplicate anchor" in context:
        return line, (
            f"the anchor `{_token(ahead)}` is defined a second time (first on line {opened}): "
            "give each anchor its own name"
        )
    if problem == "found incompatible YAML document":
        return line, (
            f"`{source.strip()}` asks for a YAML version mend cannot read: remove the line "
            "(a case file needs no `%YAML` line)"
        )
    if problem.startswith("found duplicate %"):
        return line, f"a second `{problem.split()[2]}` line: remove it (a file declares it once)"
    if "directive" in context:
        return opened, (
            f"`{source.strip()}` is not a YAML directive mend can read: remove the line, or "
            "put text that starts with `%` in quotes"
        )
    if "tag" in context or problem == "found undefined tag handle":
        text = lines[opened - 1] if opened <= len(lines) else source
        start = exc.context_mark.column if exc.context_mark else column
        return opened, (
            f"YAML tags such as `{_token(text[start:])}` are not supported: "
            "write the value as plain text"
        )
    if "block scalar" in context:
        if "indentation indicator equal to 0" in problem:
            return line, (
                "the indentation digit after `|` or `>` must be 1 to 9, not 0: write `|` "
                "alone and indent the text on the lines below it"
            )
        return line, (
            "after `|` or `>` the text starts on the next line, indented; on this line only "
            "`+`, `-`, an indentation digit (1 to 9) or a comment may follow it"
        )
    if "while scanning an anchor" in context or "while scanning an alias" in context:
        sign = "&" if "anchor" in context else "*"
        kind = "an anchor" if sign == "&" else "an alias"
        return line, (
            f"`{sign}` starts {kind} and must be followed by its name; "
            f"a text that starts with `{sign}` must be in quotes"
        )
    if problem == "did not find expected node content":
        if char == ",":
            return line, "an empty item between two commas: remove one comma"
        if char == "-":
            return line, (
                "a `-` cannot start an item inside `[...]`: separate the items with commas, "
                "or put the text in quotes"
            )
        return line, f"a value is missing before `{char}`: write one, or put the text in quotes"
    if problem == "did not find expected <document start>":
        target = line if source.strip() else (_previous_line(lines, line - 1) or 0) + 1
        return target, (
            "something follows the end of the document (`...` or a `%` line): "
            "remove it, or put the text in quotes"
        )
    if problem == "could not find expected ':'":
        return opened, (
            "this line has no `:`: a field is written `key: value`, and a text that "
            "continues the line above must be indented under it"
        )
    if problem.startswith("mapping values are not allowed"):
        above = _previous_line(lines, line - 1)
        text = lines[above] if above is not None else ""
        if above is not None and re.match(r"^\s*-[^\s-]", text):
            return above + 1, (
                f"`{text.strip().split(':')[0]}:` needs a space after the `-` to start a list "
                "item (`- name: ...`)"
            )
        if above is not None and _KEY_WITHOUT_SPACE_RE.match(text) and ": " not in text:
            return above + 1, (
                f"`{text.strip()}` is read as one text, not a field: put a space after the "
                f"colon (`{text.strip().split(':')[0]}: ...`)"
            )
        return None
    if not problem.startswith("did not find expected key"):
        return None
    if source.lstrip().startswith(":"):
        return line, EMPTY_KEY_MESSAGE
    if char in "]}" and char:
        return line, f"a `{char}` that closes nothing: remove it, or put the text in quotes"
    if char == "-" and not before:
        return line, (
            "a list item (`- ...`) where a field was expected: a list is the value of a key, "
            "written under it (`heard:` then `  - ...`)"
        )
    previous = before.split()[-1] if before.split() else ""
    if char in "&!*" and previous[:1] in "&!" and previous:
        if char == "*":
            return line, (
                f"an alias (`{_token(ahead)}`) cannot have a tag or anchor of its own: "
                f"remove `{previous}`"
            )
        if char == "&" and previous.startswith("&"):
            return line, f"a value with two anchors (`{previous}` and `{_token(ahead)}`): keep one"
        return line, (
            f"YAML tags such as `{_token(ahead) if char == '!' else previous}` are not "
            "supported: write the value as plain text"
        )
    if before.endswith(('"', "'")) and char:
        return line, (
            "text after the closing quote: put all of the text inside the quotes, or none of it"
        )
    return None


# -- composing and reading a case -----------------------------------------------


def _too_deep(display: str, line: int) -> CaseError:
    return CaseError(
        [Problem(display, line, "", f"nested too deeply (more than {MAX_DEPTH} levels)")]
    )


EMPTY_MESSAGE = (
    "the file is empty: a case needs at least `title`, `client`, `team`, `incident` and `plan`"
)


def parse_yaml(text: str, display: str) -> tuple[Any, dict[Path_, int], list[Problem]]:
    """Compose YAML into plain values and a line for every field path."""
    _, data, lines, problems, _ = read_case_text(text, display)
    return data, lines, problems


#: libyaml's loader where PyYAML has it, else PyYAML's own.
_BASE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_NULLS = frozenset(("", "~", "null", "Null", "NULL"))
_SCALAR, _SEQUENCE = yaml.ScalarNode, yaml.SequenceNode


class CaseLoader(_BASE_LOADER):  # type: ignore[misc, valid-type]
    """libyaml's loader with a resolver that only tells null, ``<<`` and ``=`` apart.

    mend reads every scalar as its text (:func:`read_node`) and looks at a
    plain scalar's resolved type only to find those three (and pydantic
    types the text); PyYAML's resolver, in Python, ran the regular
    expressions of every type on each scalar: 0.2 s of the 0.5 s that
    composing a 2,000-meeting case took.
    """

    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        # PyYAML's BaseResolver.resolve, for a loader without path resolvers
        # (below): the default tags, without a second call for every node.
        if kind is _SCALAR:
            if implicit[0]:
                if value in _NULLS:
                    return "tag:yaml.org,2002:null"
                if value in ("<<", "="):
                    return "tag:yaml.org,2002:merge" if value == "<<" else "tag:yaml.org,2002:value"
            return "tag:yaml.org,2002:str"
        return "tag:yaml.org,2002:seq" if kind is _SEQUENCE else "tag:yaml.org,2002:map"

    # libyaml's composer calls these two around every node, for the
    # bookkeeping of path resolvers (``add_path_resolver``), which a case
    # loader has none of: builtins that do nothing, so no Python call is
    # made for each of a long case's 60,000 nodes. (``operator.is_`` takes
    # the node and its index and compares them; ``tuple()`` returns ``()``.)
    descend_resolver = staticmethod(operator.is_)
    ascend_resolver = staticmethod(tuple)


def _compose_all(text: str, loader: type) -> list[yaml.Node]:
    """Every document of ``text``, refused at the line of level MAX_DEPTH + 1 if deeper.

    Where the file has more brackets than MAX_DEPTH, the refusal is the
    event walk's (:func:`_check_flow_depth`), whatever happens after that
    line. When libyaml bounds its own nesting (:func:`_composer_is_bounded`)
    the text is composed first, which cannot crash, and the walk replaced by
    one over the composed collections; only if composing fails does the walk
    run, so that a level too deep before a syntax error still wins as it did.
    """
    nodes, deep_aliases = _compose_deferred(text, loader)
    if deep_aliases is not None:
        line = _first_too_deep(nodes, aliases=deep_aliases)
        if line is not None:
            raise _TooDeep(line)
    return nodes


def _compose_deferred(text: str, loader: type) -> tuple[list[yaml.Node], bool | None]:
    """:func:`_compose_all` but for its walk over the composed collections.

    Returns the documents and, when that walk (:func:`_first_too_deep`) is
    still to do, its ``aliases`` argument; ``None`` when there is none to do.
    The one-walk read of a case (:func:`_read_plain`) can tell that the
    walk would find nothing, and skips it (0.05 s of a 2,000-meeting case).
    """
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return list(yaml.compose_all(text, Loader=loader)), None
    if not _composer_is_bounded(loader):
        _check_flow_depth(text, loader)
        return list(yaml.compose_all(text, Loader=loader)), None
    try:
        nodes = list(yaml.compose_all(text, Loader=loader))
    except yaml.YAMLError:
        _check_flow_depth(text, loader)  # the walk's refusal or error, as if it had run first
        raise
    return nodes, "*" in text


def compose_case(text: str, display: str) -> yaml.MappingNode:
    """The YAML node tree of a case file, refused early if it cannot be a case.

    ``mend log`` keeps the tree to find where each meeting sits in the text.
    """
    root, deep_aliases = _compose_root(text, display)
    if deep_aliases is not None:
        line = _first_too_deep([root], aliases=deep_aliases)
        if line is not None:
            raise _too_deep(display, line)
    return root


def read_case_text(
    text: str, display: str
) -> tuple[yaml.MappingNode, Any, dict[Path_, int], list[Problem], int]:
    """:func:`compose_case` then :func:`read_node_sized`: the tree, values, lines, problems, size.

    Together, so that the depth check on the composed tree is left to the
    read's one walk, which makes it needless on any real case.
    """
    root, deep_aliases = _compose_root(text, display)
    data, lines, problems, size = _read_composed(root, display, deep_aliases, "*" in text)
    return root, data, lines, problems, size


#: A line's text, between the breaks ``str.splitlines`` knows.
_LINE_RE = re.compile(r"[^\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]+")


def _has_content(text: str) -> bool:
    """Whether any line of ``text`` is more than blanks or a comment.

    The lines are ``str.splitlines``'s, looked at one by one until the
    first with content (nearly always the first or second): splitting a
    2,000-meeting case whole, to look at two lines, took longer.
    """
    for match in _LINE_RE.finditer(text):
        line = match.group().strip()
        if line and not line.startswith("#"):
            return True
    return False


def _compose_root(text: str, display: str) -> tuple[yaml.MappingNode, bool | None]:
    """:func:`compose_case`, but for the depth check on the tree of a single
    mapping, left to the caller (see :func:`_compose_deferred`)."""
    if not _has_content(text):
        raise CaseError([Problem(display, 1, "", EMPTY_MESSAGE)])
    loader = CaseLoader
    try:
        nodes, deep_aliases = _compose_deferred(text, loader)
        if deep_aliases is not None and not (
            len(nodes) == 1 and isinstance(nodes[0], yaml.MappingNode)
        ):
            # Not a case: the refusals below come after the depth check, as ever.
            line = _first_too_deep(nodes, aliases=deep_aliases)
            if line is not None:
                raise _TooDeep(line)
    except _TooDeep as exc:
        raise _too_deep(display, exc.line) from None
    except yaml.MarkedYAMLError as exc:
        if _is_nesting_limit(exc):  # block nesting, which the bracket count does not see
            raise _too_deep(display, exc.problem_mark.line + 1 if exc.problem_mark else 1) from None
        line, message = _explain_syntax_error(exc, text.splitlines())
        raise CaseError([Problem(display, line, "", f"YAML syntax error: {message}")]) from None
    except yaml.reader.ReaderError as exc:
        # A character YAML forbids anywhere (NUL, ESC, U+FFFE...): point at it.
        line = text.count("\n", 0, exc.position) + 1
        raise CaseError(
            [
                Problem(
                    display,
                    line,
                    "",
                    f"YAML does not allow the control character U+{exc.character:04X} "
                    "(pasted from another program?); delete it",
                )
            ]
        ) from None
    except yaml.YAMLError as exc:  # pragma: no cover - every YAMLError PyYAML raises is above
        raise CaseError([Problem(display, None, "", f"YAML error: {exc}")]) from None
    if not nodes or (len(nodes) == 1 and is_null(nodes[0])):
        raise CaseError([Problem(display, 1, "", EMPTY_MESSAGE)])
    if len(nodes) > 1:
        raise CaseError(
            [
                Problem(
                    display,
                    nodes[1].start_mark.line + 1,
                    "",
                    "a second YAML document starts here: a case file holds one "
                    "(remove the `---` before it)",
                )
            ]
        )
    root = nodes[0]
    if not isinstance(root, yaml.MappingNode):
        raise CaseError(
            [
                Problem(
                    display,
                    root.start_mark.line + 1,
                    "",
                    "expected a mapping of fields (`title: ...`, `client: ...`) at the top level",
                )
            ]
        )
    return root, deep_aliases


def read_node(root: yaml.MappingNode, display: str) -> tuple[Any, dict[Path_, int], list[Problem]]:
    """Plain values from a composed case, with a line for every field path."""
    data, lines, problems, _ = read_node_sized(root, display)
    return data, lines, problems


def read_node_sized(
    root: yaml.MappingNode, display: str, *, aliases: bool = True
) -> tuple[Any, dict[Path_, int], list[Problem], int]:
    """:func:`read_node`, and how many nodes the tree holds with its aliases expanded.

    ``aliases=False`` says the text had no alias (no ``*``), for the one-walk read.
    """
    return _read_composed(root, display, None, aliases)


def _read_composed(
    root: yaml.MappingNode, display: str, deep_aliases: bool | None, aliases: bool
) -> tuple[Any, dict[Path_, int], list[Problem], int]:
    """:func:`read_node_sized`, with :func:`_first_too_deep` still to run on the
    tree unless ``deep_aliases`` is None (see :func:`_compose_root`).

    The one walk of :func:`_read_plain` first, in a text without aliases;
    where it gives up, and with aliases, the walks it stands for, one after
    the other as they always ran. (An alias bomb would make the one walk
    convert MAX_NODES values before it gave up; the size check stops it
    after counting them, and measures it without expanding.)
    """
    if not aliases:
        lines: dict[Path_, int] = {}
        try:
            data, size = _read_plain(root, lines)
        except _Unusual:
            pass
        else:
            return data, lines, [], size
    if deep_aliases is not None:
        line = _first_too_deep([root], aliases=deep_aliases)
        if line is not None:
            raise _too_deep(display, line)
    reader = _Reader()
    try:
        size = _check_expanded_size(root)
        data = reader.convert(root, ())
    except _TooDeep as exc:
        raise _too_deep(display, exc.line) from None
    except _TooBig as exc:
        raise CaseError(
            [
                Problem(
                    display,
                    exc.line,
                    "",
                    f"too many values after expanding YAML aliases (more than {MAX_NODES}); "
                    "is this an alias bomb?",
                )
            ]
        ) from None
    problems = [
        Problem(display, line, format_path(path), message)
        for path, line, message in reader.problems
    ]
    return data, reader.lines, problems, size
