"""Break opportunities in very long words, for every page mend writes as HTML.

A URL or a 300-letter word pasted from an email must wrap inside its table
cell instead of pushing the table (and the page) sideways. CSS alone cannot
do it well: ``overflow-wrap: break-word`` does not narrow a table column,
and ``overflow-wrap: anywhere`` lets a squeezed column break every ordinary
word ("Fische / r") and makes WeasyPrint weigh a break after every character
of every cell (2.2x slower on the agreement). So the writers put a ``<wbr>``
into the few words that need one, and leave every other word whole.
"""

from __future__ import annotations

import re

#: A word longer than this gets a break opportunity (``<wbr>``) every
#: WORD_CHUNK characters before it is printed, so a URL or a 300-letter word
#: pasted from an email wraps inside its table cell instead of pushing the
#: table off the page. CSS could do it (``overflow-wrap: anywhere``), but that
#: makes WeasyPrint weigh a break after every character of every cell: it
#: measured 2.2x slower on the agreement.
LONG_WORD = 30
WORD_CHUNK = 12
_MARKUP = re.compile(r"(<!--.*?-->|<[^>]*>)", re.S)
_LONG_RUN = re.compile(rf"[^\s<>]{{{LONG_WORD + 1},}}")
_UNIT = re.compile(r"&#?\w+;|.", re.S)  # an entity is one character
_OPAQUE = {"head", "style", "script", "svg", "pre", "textarea"}


def break_long_words(html: str) -> str:
    """Add ``<wbr>`` inside the page's very long words; tags and attributes stay as they are."""
    parts = _MARKUP.split(html)
    opaque = 0  # inside an element whose text is not prose
    for i, part in enumerate(parts):
        if i % 2:
            tag = re.match(r"<(/?)([A-Za-z][\w-]*)", part)
            if tag and tag[2].lower() in _OPAQUE and not part.endswith("/>"):
                opaque += -1 if tag[1] else 1
        elif not opaque and _LONG_RUN.search(part):
            parts[i] = _LONG_RUN.sub(_chunked, part)
    return "".join(parts)


def _chunked(match: re.Match[str]) -> str:
    units = _UNIT.findall(match[0])
    if len(units) <= LONG_WORD:  # long only as escaped text: "&lt;script&gt;" is 8 characters
        return match[0]
    return "<wbr>".join(
        "".join(units[k : k + WORD_CHUNK]) for k in range(0, len(units), WORD_CHUNK)
    )
