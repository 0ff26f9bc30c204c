"""Markdown: clean enough to paste into a document editor."""

from __future__ import annotations

from ..documents import Document
from . import BuildContext, Source, template_context


def write(doc: Document, source: Source, ctx: BuildContext) -> bytes:
    text = ctx.renderer.render(f"md/{doc.template}.md", template_context(doc, source, "md"))
    # Collapse runs of blank lines left by optional sections.
    lines: list[str] = []
    for line in text.splitlines():
        line = line.rstrip()
        if line or (lines and lines[-1]):
            lines.append(line)
    return ("\n".join(lines).strip() + "\n").encode("utf-8")
