"""break_long_words: the one-pass walk does what the per-tag version did, byte for byte.

The reference below is the implementation the walk replaced (a regular
expression matched per tag, the name lowercased): Hypothesis writes tag
soup (opaque elements nested, unclosed and self-closed, in any case,
comments holding tags, entities, unterminated ``<``) and both must agree.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from generator.writers import words
from generator.writers.words import _MARKUP, _OPAQUE, _chunked, break_long_words

_LONG_RUN = re.compile(r"[^\s<>]{31,}")  # as it was


def reference(html: str) -> str:
    parts = _MARKUP.split(html)
    opaque = 0
    for i, part in enumerate(parts):
        if i % 2:
            tag = re.match(r"<(/?)([A-Za-z][\w-]*)", part)
            if tag and tag[2].lower() in _OPAQUE and not part.endswith("/>"):
                opaque += -1 if tag[1] else 1
        elif not opaque and _LONG_RUN.search(part):
            parts[i] = _LONG_RUN.sub(_chunked, part)
    return "".join(parts)


NAMES = ["pre", "PRE", "Pre", "svg", "style", "script", "head", "textarea", "TextArea"]
NAMES += ["p", "td", "prex", "pre-x", "svgé", "a", "scrİpt", "\u212apre", "b"]
LONG = [
    "x" * 31,
    "v" * 30,
    "y" * 45,
    "&amp;" * 20,
    "https://example.com/" + "a" * 40,
    "&lt;script&gt;" * 3,
]
PIECES = st.one_of(
    st.sampled_from(LONG),
    st.sampled_from(["short words", " ", "\n", "<", ">", "&", "-->", "<!--", "<!-- <pre> -->"]),
    st.builds(
        lambda close, name, attr, end: f"<{close}{name}{attr}{end}",
        st.sampled_from(["", "/"]),
        st.sampled_from(NAMES),
        st.sampled_from(["", ' class="c"', ' href="' + "z" * 40 + '"', " "]),
        st.sampled_from([">", "/>", ""]),
    ),
    st.text(alphabet="ab<>/!- &;#x", max_size=40),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(PIECES, max_size=40).map("".join))
def test_the_walk_matches_the_per_tag_reference(html: str) -> None:
    assert break_long_words(html) == reference(html)


def test_text_inside_nested_opaque_elements_stays_whole() -> None:
    word = "w" * 40
    html = f"<svg><pre>{word}</pre>{word}</svg>{word}<PRE>{word}</Pre><br/>{word}"
    out = break_long_words(html)
    assert out == reference(html)
    assert out.count("<wbr>") == 2 * (40 // words.WORD_CHUNK)
    assert out.startswith(f"<svg><pre>{word}</pre>{word}</svg>w")


def test_a_page_without_a_long_run_is_returned_as_it_is() -> None:
    html = "<p>short words only</p>"
    assert break_long_words(html) is html


def test_the_bytes_test_delimits_exactly_what_the_text_pattern_does_in_ascii() -> None:
    delimiters = {c for c in map(chr, range(128)) if re.fullmatch(r"[\s<>]", c)}
    as_bytes = {
        c
        for c in map(chr, range(128))
        if re.fullmatch(rb"[%s]" % words._DELIMITER_BYTES, c.encode())
    }
    assert as_bytes == delimiters


WIDE = st.one_of(
    PIECES,
    # Whitespace beyond ASCII (two and three bytes in UTF-8), ASCII's odd
    # whitespace, letters of several bytes: the bytes test must never clear
    # a page whose text has a long run, however its characters encode.
    st.sampled_from(["\xa0", "\u3000", "\u2028", "\x1c", "\x85", "é" * 16, "日本" * 8, "\u200b"]),
    st.text(alphabet="é\xa0\u3000x<>\x1f ", max_size=40),
    # Runs in comments holding ">", in tags holding "<", after a "<" that
    # no ">" closes: what tells a run in markup from one in text.
    st.sampled_from(["<!-- a > b ", "<a <b ", "<svg d=", "-->", "< ", "<!--", ">"]),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(WIDE, max_size=40).map("".join))
def test_the_bytes_test_never_skips_a_page_with_a_long_run(html: str) -> None:
    expected = reference(html)
    assert break_long_words(html) == expected
    assert words.break_long_words_utf8(html) == expected.encode("utf-8")


def test_a_lone_surrogate_is_no_reason_to_refuse_a_page() -> None:
    html = "<p>\ud800" + "q" * 40 + "</p>"
    assert break_long_words(html) == reference(html)
