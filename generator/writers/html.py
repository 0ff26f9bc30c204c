"""HTML: one self-contained page, its stylesheet inlined, ready to send or print."""

from __future__ import annotations

from ..documents import Document
from . import BuildContext, Source, template_context
from .words import break_long_words_utf8


def render_html(doc: Document, source: Source, ctx: BuildContext, fmt: str = "html") -> str:
    """The page as text; the PDF writer renders the same page for print."""
    context = template_context(doc, source, fmt)
    context["page_size"] = ctx.config.pdf.page_size
    return ctx.renderer.render(doc.spec.templates_for(fmt)[0], context)


def write(doc: Document, source: Source, ctx: BuildContext) -> bytes:
    return break_long_words_utf8(render_html(doc, source, ctx))
