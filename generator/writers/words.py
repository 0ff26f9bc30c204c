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
from bisect import bisect_right
from itertools import accumulate, compress

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
# A long run starts the text or follows a space or bracket: searched that
# way, each position costs one test instead of up to 31 (3x faster on a page).
_RUN_AFTER_DELIMITER = re.compile(rf"[\s<>][^\s<>]{{{LONG_WORD + 1}}}")
# The same search over the page's UTF-8 bytes, as a first test (about
# twice as fast: a bytes pattern's class is a table, where ``\s`` over
# text tests each character's category): most pages have no long run at all.
# A byte is a delimiter when it is an ASCII character ``[\s<>]`` matches
# (``\s`` holds \x1c-\x1f too); a character ``\s`` matches beyond ASCII
# encodes to bytes of 0x80 and above, which this counts as word bytes, so a
# run of the text is always inside a run of at least as many bytes here:
# the test can say "maybe" for a page without runs, never "no" for one with.
_DELIMITER_BYTES = rb"\t-\r\x1c- <>"
_BYTES_RUN = re.compile(rb"[^%s]{%d}" % (_DELIMITER_BYTES, LONG_WORD + 1))
_BYTES_RUN_AFTER_DELIMITER = re.compile(
    rb"[%s][^%s]{%d}" % (_DELIMITER_BYTES, _DELIMITER_BYTES, LONG_WORD + 1)
)
_UNIT = re.compile(r"&#?\w+;|.", re.S)  # an entity is one character
_OPAQUE = {"head", "style", "script", "svg", "pre", "textarea"}
# The start of a tag of an opaque element, as ``<(/?)([A-Za-z][\w-]*)`` with
# the name lowercased into _OPAQUE would find it, in one compiled match: the
# name's letters in either case (ASCII only, as ``str.lower`` maps no other
# letter to these), and no further name character after it.
_OPAQUE_TAG = re.compile(
    r"<(/?)(?:"
    + "|".join("".join(f"[{c.upper()}{c}]" for c in name) for name in sorted(_OPAQUE))
    + r")(?![\w-])"
)


def _may_have_runs(data: bytes) -> bool:
    """Whether the page whose UTF-8 this is may hold a long run (never False for one that does)."""
    return bool(_BYTES_RUN.match(data) or _BYTES_RUN_AFTER_DELIMITER.search(data))


def break_long_words_utf8(html: str) -> bytes:
    """:func:`break_long_words`, encoded as UTF-8: a page without a long run is encoded only once."""
    data = html.encode("utf-8")
    return _break_long_words(html).encode("utf-8") if _may_have_runs(data) else data


def break_long_words(html: str) -> str:
    """Add ``<wbr>`` inside the page's very long words; tags and attributes stay as they are.

    A page the bytes test clears (most of them) is returned as it is.
    """
    # surrogatepass: a lone surrogate is a word character to the test, and
    # this function never refused a page for holding one.
    if not _may_have_runs(html.encode("utf-8", "surrogatepass")):
        return html
    return _break_long_words(html)


def _break_long_words(html: str) -> str:
    """The walk itself.

    The long runs are found in the whole page first: most pages have none,
    and a page's runs are mostly in its timeline's SVG attributes. A run
    never spans a tag (it holds no ``<`` or ``>``), so each lies in one part
    of the page split at its tags and comments; only a run in text, outside
    every opaque element, is broken. The opaque elements are counted over
    the page's tags in one pass of a compiled match (about 1,000 tags a
    page: a Python loop over them was most of this function's cost).
    """
    runs = [m.start() + 1 for m in _RUN_AFTER_DELIMITER.finditer(html)]
    if _LONG_RUN.match(html):
        runs.insert(0, 0)
    if not runs:
        return html
    parts = _MARKUP.split(html)
    ends = list(accumulate(map(len, parts)))
    # Text is at even indexes, each tag or comment at the odd one after it.
    texts = sorted({i for i in (bisect_right(ends, at) for at in runs) if i % 2 == 0})
    if not texts:
        return html
    tags = parts[1::2]
    opaque = 0  # inside an element whose text is not prose
    marks = iter(compress(range(len(tags)), map(_OPAQUE_TAG.match, tags)))
    mark = next(marks, None)
    for i in texts:
        while mark is not None and 2 * mark + 1 < i:
            tag = tags[mark]
            if not tag.endswith("/>"):
                opaque += -1 if tag[1] == "/" else 1
            mark = next(marks, None)
        if not opaque:
            parts[i] = _LONG_RUN.sub(_chunked, parts[i])
    return "".join(parts)


def _chunked(match: re.Match[str]) -> str:
    units = _UNIT.findall(match[0])
    if len(units) <= LONG_WORD:  # long only as escaped text: "&lt;script&gt;" is 8 characters
        return match[0]
    return "<wbr>".join(
        "".join(units[k : k + WORD_CHUNK]) for k in range(0, len(units), WORD_CHUNK)
    )
