"""YAML as mend writes it: scalars that read back as the text written.

Two commands write YAML into case files, and both must never change what a
text means: ``mend new`` writes a whole new file (:func:`dump`, with
comments), and ``mend log`` writes one meeting into the user's own file,
through ruamel.yaml (:func:`edit_style` says how each text goes). The rules
of what a text may be written as live here, once, for both:

- :func:`reads_as_text`: no YAML reader, 1.1 (PyYAML, what mend reads
  with) or 1.2 (ruamel.yaml, most other tools), takes it for a number, a
  date, a boolean or null;
- :func:`printable`: YAML's printable set, the only characters that may
  stand unescaped.

The two commands then differ, on purpose, in how far they go. A new file
is written plainest-safe: plain only without any colon or hash, else
double-quoted (every character can be escaped there). A meeting added to a
user's file follows PyYAML's own emitter: plain where it would write the
text plain in block *and* flow context (``attendees: [a, b]``), else single
quotes, or double where single quotes cannot hold it (a tab).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any, Literal

import yaml

#: How a text is written: plain, single-quoted, double-quoted or a ``|`` block.
Style = Literal["", "'", '"', "|"]

_PLAIN_START = set("-?:,[]{}#&*!|>'\"%@`~ \t")
_RESOLVER = yaml.resolver.Resolver()
_OCTAL_12 = re.compile(r"^[-+]?0o[0-7]+$")  # an int in YAML 1.2 only
#: PyYAML's emitter, for its analysis of how a string may be written.
_ANALYSER = yaml.emitter.Emitter(io.StringIO(), allow_unicode=True)


def printable(char: str) -> bool:
    """Whether YAML lets ``char`` stand unescaped (its printable set, less the BOM)."""
    code = ord(char)
    return (
        0x20 <= code <= 0x7E
        or 0xA0 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        and code != 0xFEFF
        or code >= 0x10000
    )


def reads_as_text(text: str) -> bool:
    """Whether ``text`` written plain reads back as a string in YAML 1.1 and 1.2.

    Not ``yes``, ``off``, ``1:30`` (YAML 1.1) nor ``0o17`` (an int in 1.2 only).
    """
    if _RESOLVER.resolve(yaml.ScalarNode, text, (True, False)) != "tag:yaml.org,2002:str":
        return False
    return not _OCTAL_12.match(text)


# -- one text, as mend log writes it into a meeting ------------------------------------


def edit_style(text: str) -> Style:
    """How ``mend log`` writes ``text`` into a meeting (through ruamel.yaml).

    ruamel.yaml quotes what YAML 1.2 would read as another type, and writes
    plain what its own parser reads back; but mend reads case files with
    PyYAML, which is stricter (``[:0]`` is an error to it in a flow list).
    So a text stays plain only if PyYAML's own emitter would write it plain
    in both block and flow context *and* it reads as text (not ``yes``,
    ``off`` or ``1:30``); else it is single-quoted, or double-quoted when
    single quotes cannot hold it (a tab). Text on several lines is a ``|``
    block, and the empty text is left to ruamel.yaml (it writes ``''``).
    """
    if "\n" in text:
        return "|"
    if not text:
        return ""
    analysis = _ANALYSER.analyze_scalar(text)
    if analysis.allow_flow_plain and analysis.allow_block_plain and reads_as_text(text):
        return ""
    return "'" if analysis.allow_single_quoted else '"'


# -- whole files, as mend new writes them ---------------------------------------------


def plain_ok(text: str) -> bool:
    """Whether ``text`` can be written unquoted and read back as the same text.

    Deliberately stricter than YAML needs: no colon or hash at all, and
    nothing that any YAML 1.1 or 1.2 reader would take for a number, a
    date, a boolean or null, so the file means the same to every tool.
    """
    if not text or text[0] in _PLAIN_START or text[-1] in " \t":
        return False
    if ":" in text or "#" in text or not all(printable(c) for c in text):
        return False
    return reads_as_text(text)


_ESCAPES = {
    "\\": "\\\\",
    '"': '\\"',
    "\n": "\\n",
    "\t": "\\t",
    "\r": "\\r",
    "\0": "\\0",
    "\x85": "\\N",
    "\u2028": "\\L",
    "\u2029": "\\P",
}


def double_quoted(text: str) -> str:
    """``text`` as a double-quoted scalar: every character reads back, escaped if need be."""
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif printable(char):
            out.append(char)
        elif ord(char) <= 0xFF:
            out.append(f"\\x{ord(char):02x}")
        elif ord(char) <= 0xFFFF:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    return '"' + "".join(out) + '"'


def literal_ok(text: str) -> bool:
    """Whether a multi-line text can be a ``|-`` block and read back unchanged."""
    if "\n" not in text or text[0] in " \n" or text[-1] in " \n":
        return False
    lines = text.split("\n")
    return all(printable(c) for c in text.replace("\n", "")) and all(
        line == line.rstrip(" ") or line.strip(" ") for line in lines
    )


def scalar(value: Any) -> str:
    """One scalar as YAML: plain when that is safe, else double-quoted."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return f'"{value.strftime("%H:%M")}"'
    text = str(value)
    return text if plain_ok(text) else double_quoted(text)


@dataclass
class Comments:
    """Comments to put in a YAML text: above a key, or after its value.

    Paths are tuples of keys; ``"*"`` stands for any item of a list.
    """

    above: dict[tuple[str, ...], str] = field(default_factory=dict)
    after: dict[tuple[str, ...], str] = field(default_factory=dict)


def dump(mapping: dict[str, Any], comments: Comments | None = None, indent: int = 0) -> str:
    """A mapping as block-style YAML text with comments.

    Our own emitter rather than a general dumper: what ``mend new`` writes
    is fixed and shallow (mappings, lists, scalars), so it is simpler to get
    exactly right, comments in place, than to steer a round-trip dumper.
    """
    return "\n".join(_mapping(mapping, indent, (), comments or Comments())) + "\n"


def _mapping(
    mapping: dict[str, Any], indent: int, path: tuple[str, ...], comments: Comments
) -> Iterator[str]:
    pad = " " * indent
    for key, value in mapping.items():
        if value is None:
            continue
        here = (*path, key)
        for line in comments.above.get(here, "").splitlines():
            yield f"{pad}# {line}".rstrip()
        after = comments.after.get(here)
        tail = f"  # {after}" if after else ""
        if isinstance(value, dict):
            yield f"{pad}{key}:{tail}"
            yield from _mapping(value, indent + 2, here, comments)
        elif isinstance(value, list) and not value:
            yield f"{pad}{key}: []{tail}"
        elif isinstance(value, list):
            yield f"{pad}{key}:{tail}"
            for item in value:
                yield from _item(item, indent + 2, (*here, "*"), comments)
        else:
            yield from _scalar_lines(f"{pad}{key}:", value, indent + 2, tail)


def _item(item: Any, indent: int, path: tuple[str, ...], comments: Comments) -> Iterator[str]:
    pad = " " * indent
    if isinstance(item, dict):
        lines = list(_mapping(item, indent + 2, path, comments))
        yield f"{pad}- {lines[0].lstrip()}"
        yield from lines[1:]
    else:
        yield from _scalar_lines(f"{pad}-", item, indent + 2, "")


def _scalar_lines(head: str, value: Any, indent: int, tail: str) -> Iterator[str]:
    if isinstance(value, str) and literal_ok(value):
        yield f"{head} |-{tail}"
        for line in value.split("\n"):
            yield f"{' ' * indent}{line}" if line else ""
    else:
        yield f"{head} {scalar(value)}{tail}"
