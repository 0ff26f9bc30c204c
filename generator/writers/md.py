"""Markdown: clean enough to paste into a document editor."""

from __future__ import annotations

import re

from ..documents import Document
from . import BuildContext, Source, template_context

_LIST_RE = re.compile(r"^(\s+\S|[-*+] |\d+[.)] )")


def _kind(line: str) -> str:
    if line.startswith("|"):
        return "table"
    if _LIST_RE.match(line):
        return "list"
    return "block"


def tidy(text: str) -> str:
    """Normalise blank lines, whatever the template's whitespace did.

    Every paragraph, heading, list and table stands apart by one blank line;
    list items and table rows stay together. Templates can then be written
    for readability, and a user's override cannot glue two blocks together.
    """
    out: list[str] = []
    for raw in text.splitlines():
        line = raw.rstrip()
        if not line:
            continue
        if out:
            prev = out[-1]
            kind = _kind(line)
            if not (kind == _kind(prev) and kind in ("list", "table")):
                out.append("")
        out.append(line)
    return "\n".join(out) + "\n"


def write(doc: Document, source: Source, ctx: BuildContext) -> bytes:
    text = ctx.renderer.render(f"md/{doc.template}.md", template_context(doc, source, "md"))
    return tidy(text).encode("utf-8")
