"""Markdown: clean enough to paste into a document editor."""

from __future__ import annotations

import re

from ..documents import Document
from . import BuildContext, Source, template_context

_LIST_RE = re.compile(r"^(\s+\S|[-*+] |\d+[.)] )")


def _kind(line: str) -> str:
    if not line:
        return "blank"
    if line.startswith("#"):
        return "heading"
    if line.startswith("|"):
        return "table"
    if _LIST_RE.match(line):
        return "list"
    return "text"


def tidy(text: str) -> str:
    """Normalise blank lines, whatever the template's whitespace did.

    Runs of blank lines become one; headings, lists and tables stand apart
    from what surrounds them; list items and table rows stay together.
    Consecutive text lines are left alone: they are one paragraph, as in a
    Markdown field written over several lines.
    """
    out: list[str] = []
    kinds: list[str] = []  # _kind of each line of out, kept beside it
    for raw in text.splitlines():
        line = raw.rstrip()
        kind = _kind(line)
        if kind == "blank":
            if out and out[-1]:
                out.append("")
                kinds.append("blank")
            continue
        if out and out[-1]:
            prev = kinds[-1]
            if prev != kind or kind == "heading":
                out.append("")
                kinds.append("blank")
        elif (
            len(out) >= 2 and kind == kinds[-2] and kind in ("list", "table") and _indent(line) == 0
        ):
            out.pop()  # items of one list (rows of one table) stay together
            kinds.pop()
        out.append(line)
        kinds.append(kind)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out) + "\n"


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def write(doc: Document, source: Source, ctx: BuildContext) -> bytes:
    text = ctx.renderer.render(doc.spec.templates_for("md")[0], template_context(doc, source, "md"))
    return tidy(text).encode("utf-8")
