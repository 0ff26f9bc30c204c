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
# The runs are looked for in the page's UTF-8 bytes first, each byte
# translated to a space (a delimiter) or an ``x`` (a word byte): a run is
# then 31 x's in a row, which ``bytes.find`` finds at memory speed, where
# the text pattern above tests each character's Unicode category (about
# 10x slower; most pages have no long run at all). A byte is a delimiter
# when it is an ASCII character ``[\s<>]`` matches (``\s`` holds
# \x1c-\x1f too); a character ``\s`` matches beyond ASCII encodes to bytes
# of 0x80 and above, which count as word bytes, so every run of the text
# lies in a run of bytes at least as long: the bytes can say "maybe" for a
# page without runs, never "no" for one with.
_DELIMITER_BYTES = rb"\t-\r\x1c- <>"
_BYTE_CLASSES = bytes(
    0x20 if re.fullmatch(rb"[%s]" % _DELIMITER_BYTES, bytes([b])) else 0x78 for b in range(256)
)
_RUN_BYTES = b"x" * (LONG_WORD + 1)
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


def _runs(html: str, data: bytes, errors: str) -> list[int]:
    """Where the long runs of ``html`` start, as ``_RUN_AFTER_DELIMITER`` finds them.

    ``data`` is ``html`` in UTF-8. Each maximal run of word bytes that is
    long enough is decoded (it starts and ends beside an ASCII byte, or at
    an end of the page: on a character boundary) and searched as text, a
    space put before it for the delimiter (or the page's start) before it.
    """
    classes = data.translate(_BYTE_CLASSES)
    found: list[int] = []
    at = chars = 0  # a byte offset and the character offset it is at
    while (start := classes.find(_RUN_BYTES, at)) != -1:
        end = classes.find(b" ", start)
        if end == -1:
            end = len(classes)
        chars += len(data[at:start].decode("utf-8", errors))
        segment = data[start:end].decode("utf-8", errors)
        found += [chars + m.start() for m in _RUN_AFTER_DELIMITER.finditer(" " + segment)]
        chars += len(segment)
        at = end
    return found


def _in_markup(html: str, at: int) -> bool:
    """Whether the run at ``at`` is surely inside a tag or comment, as ``_MARKUP`` splits the page.

    Its last ``<`` comes after its last ``>``, and a ``>`` follows it: the
    split, reaching that ``<`` (or already inside a comment), takes it and
    everything up to a ``>`` beyond the run (which holds none) as one part.
    False is "maybe not": the walk decides.
    """
    return html.rfind("<", 0, at) > html.rfind(">", 0, at) and html.find(">", at) != -1


def _break(html: str, data: bytes, errors: str) -> str:
    runs = _runs(html, data, errors)
    if all(_in_markup(html, at) for at in runs):  # none, or only in tags (the timeline's)
        return html
    return _break_long_words(html, runs)


def break_long_words_utf8(html: str) -> bytes:
    """:func:`break_long_words`, encoded as UTF-8: a page without a long run is encoded only once."""
    data = html.encode("utf-8")
    broken = _break(html, data, "strict")
    return data if broken is html else broken.encode("utf-8")


def break_long_words(html: str) -> str:
    """Add ``<wbr>`` inside the page's very long words; tags and attributes stay as they are.

    The runs are found in the page's bytes (see ``_BYTE_CLASSES``); a page
    without one, or with runs only inside tags, is returned as it is.
    """
    # surrogatepass: a lone surrogate is a word character to the search, and
    # this function never refused a page for holding one.
    return _break(html, html.encode("utf-8", "surrogatepass"), "surrogatepass")


def _break_long_words(html: str, runs: list[int]) -> str:
    """The walk itself, given where the page's long runs start.

    A run never spans a tag (it holds no ``<`` or ``>``), so each lies in
    one part of the page split at its tags and comments; only a run in
    text, outside every opaque element, is broken. The opaque elements are counted over
    the page's tags in one pass of a compiled match (about 1,000 tags a
    page: a Python loop over them was most of this function's cost).
    """
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
