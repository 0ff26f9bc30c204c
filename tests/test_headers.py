"""Header fields mend composes: every name and Subject reads back exactly, in any reader.

Two readers check each field: Python's email parser (policy.default), and a
strict RFC 2047 one: the legacy ``getaddresses`` for the address syntax, then
``decode_header`` + ``make_header``, which join adjacent encoded words
without the space between them, as mail readers do.
"""

from __future__ import annotations

import re
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.utils import getaddresses

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.errors import HeaderError
from generator.headers import (
    MAX_LINE,
    address_field,
    addresses,
    parse_head,
    unstructured_field,
)

#: Every RFC 5322 special, the rest of ASCII punctuation, and what looks like syntax.
SPECIALS = '()<>[]:;@\\,."'
PUNCTUATION = "!#$%&'*+-/=?^_`{|}~"
NON_ASCII = "üßłęΩλжё日本語한😀🎉عربيעבר\u200f\u202e\u200b\u00a0é\u0301"
ENCODED_WORD = re.compile(r"=\?[^?]*\?[qQbB]\?[^?]*\?=")

#: What a name is drawn from; hypothesis draws no character from these but the pieces.
OTHER_CHARACTERS = st.characters(
    blacklist_categories=("Cs", "Cc"), blacklist_characters="\u2028\u2029"
)


def texts(*pieces: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Text of 1 to 300 characters made of the given pieces (some are two characters)."""
    return (
        st.lists(st.one_of(*pieces), min_size=1, max_size=300)
        .map("".join)
        .map(lambda text: text[:300])
    )


ascii_names = texts(st.sampled_from([*SPECIALS, *PUNCTUATION, " ", " ", "a", "Z", "0", "=?", "?="]))
any_names = texts(
    st.sampled_from([*SPECIALS, *PUNCTUATION, *NON_ASCII, " ", "\t", "=?", "?="]),
    OTHER_CHARACTERS,
)
BOUNDED = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def unfolded(field: str) -> str:
    return field.partition(":")[2].replace("\r\n", "")


def strict_names(field: str) -> list[tuple[str, str]]:
    """What a strict reader makes of an address field: syntax first, then RFC 2047."""
    pairs = getaddresses([unfolded(field)])
    return [(str(make_header(decode_header(name))), addr) for name, addr in pairs]


def assert_well_folded(field: str) -> None:
    """CRLF only between lines; no line ends in a space; a long line is one word."""
    lines = field.split("\r\n")
    assert all(line.startswith((" ", "\t")) for line in lines[1:]), lines
    assert not [line for line in lines if line != line.rstrip()], lines
    for i, line in enumerate(lines):
        text = line.partition(":")[2] if i == 0 else line
        if len(line) > MAX_LINE:  # only a word with no place to break may be longer
            assert " " not in text.strip(" "), line
        assert len(line) <= 998


def written(name: str) -> str:
    """The name as the header must hold it: whitespace runs (any Unicode
    whitespace) are one space, none at the ends."""
    return re.sub(r"\s+", " ", name).strip()


def assert_reads_back(name: str) -> None:
    mailboxes = [(name, "dana@acme.example"), ("Lee Chen", "lee@acme.example")]
    field = address_field("To", mailboxes)
    assert_well_folded(field)
    message = parse_head(field + "\r\n")
    expected = [(written(name), "dana@acme.example"), ("Lee Chen", "lee@acme.example")]
    assert addresses(message, "To") == expected
    assert strict_names(field) == expected


@pytest.mark.parametrize(
    "name",
    [
        "Dana Okafor (Head of Ops) <eve@evil.example>, and a long tail to force the "
        "header to fold past 78 chars",
        SPECIALS,
        *SPECIALS,
        'Lee "Li" O\'Neill, \\ Jr.',
        "eve@evil.example",
        "<eve@evil.example>",
        "a, b <c@d.example>, e",
        "=?utf-8?q?eve=40evil.example?=",
        "x" * 300,
        ("(" * 20 + "word ") * 15,
        " leading and trailing ",
        "two  spaces",
        "Mó Ní Bhroin-李",
        "Jürgen (CEO) <eve@evil.example>, Müller",
        "Müller  Dana",
        "Александр Сергеевич Пушкин",
        "Αλέξανδρος Παπαδόπουλος-Κωνσταντινίδης",
        "محمد بن عبد الرحمن آل سعود",
        "דנה אוקפור (ראש תפעול)",
        "山田 太郎",
        "🎉 Dana 🎉",
        "\u202eDana\u200b",
        "tab\there",
    ],
)
def test_hostile_and_international_names_read_back_exactly(name):
    assert_reads_back(name)


@BOUNDED
@given(name=ascii_names)
def test_any_ascii_name_reads_back_exactly(name):
    assert_reads_back(name)


@BOUNDED
@given(name=any_names)
def test_any_name_reads_back_exactly(name):
    assert_reads_back(name)


@BOUNDED
@given(names=st.lists(any_names, min_size=1, max_size=4))
def test_several_mailboxes_stay_apart(names):
    mailboxes = [(name, f"p{i}@acme.example") for i, name in enumerate(names)]
    field = address_field("Cc", mailboxes)
    expected = [(written(name), addr) for name, addr in mailboxes]
    assert addresses(parse_head(field + "\r\n"), "Cc") == expected
    assert strict_names(field) == expected


def test_a_display_name_never_has_adjacent_encoded_words():
    """Python (3.11) keeps the space between them, readers drop it: both must agree."""
    for name in ("Александр Сергеевич Пушкин Младший из Москвы", "日本" * 40):
        field = address_field("To", [(name, "a@b.example")])
        assert not re.search(rf"{ENCODED_WORD.pattern}\s+{ENCODED_WORD.pattern}", unfolded(field))
        assert_reads_back(name)


def test_unicode_whitespace_next_to_a_space_reads_back_as_written():
    """Hypothesis found "ü \\xa0": Python read the encoded " \\xa0" as one space."""
    for name in (
        "ü \xa0",
        "ü\xa0x",
        "\u2029 \u2001ü",
        "a\u2003\u2001 b\u205f",
        "x\u2009üü\u2003\xa0x",
    ):
        assert_reads_back(name)
        field = address_field("Cc", [(name, "p@a.example")])
        assert addresses(parse_head(field + "\r\n"), "Cc") == [(written(name), "p@a.example")]


def test_a_plain_name_is_written_as_it_was():
    assert address_field("From", [("Ciara Walsh", "ciara@north.example")]) == (
        "From: Ciara Walsh <ciara@north.example>"
    )
    assert address_field("To", [("J. Smith", "j@x.example")]) == 'To: "J. Smith" <j@x.example>'


# -- subjects -------------------------------------------------------------------------------

TITLES = {
    "German": "Den Relaunch des Kundenportals für Müller & Söhne wieder auf Kurs bringen",
    "Polish": "Przywrócenie portalu klienta w Łodzi na właściwe tory – źródła opóźnień",
    "Greek": "Επαναφορά της πύλης πελατών στην πορεία της μετά την καθυστέρηση",
    "Japanese": "顧客ポータルの再構築を軌道に戻す 計画 について",
    "emoji": "Launch 🚀 party 🎉🎉 for the team 👩‍💻 and friends",
    "Arabic": "إعادة إطلاق بوابة العملاء إلى المسار الصحيح",
    "Hebrew": "החזרת פורטל הלקוחות למסלול (שלב 2)",
    "mixed": "Portal für الفريق and 日本 team: 20 % done, “quoted” — ok",
}


def subject_reads_back(text: str) -> str:
    field = unstructured_field("Subject", text)
    assert_well_folded(field)
    assert max(len(line) for line in field.split("\r\n")) <= MAX_LINE
    assert str(parse_head(field + "\r\n")["Subject"]) == text
    assert str(make_header(decode_header(unfolded(field).lstrip(" ")))) == text
    return field


@pytest.mark.parametrize("script", TITLES)
def test_subjects_in_any_script_keep_every_space(script):
    subject_reads_back(f"Recap of our check-in on 26 Nov 2026: {TITLES[script]}")


def test_the_space_in_fuer_mueller_is_inside_the_encoded_text():
    field = subject_reads_back(TITLES["German"])
    words = [str(make_header(decode_header(w))) for w in ENCODED_WORD.findall(unfolded(field))]
    assert "für Müller" in words  # one encoded word holds both, and the space between them
    assert not re.search(rf"{ENCODED_WORD.pattern} {ENCODED_WORD.pattern}", unfolded(field))


@BOUNDED
@given(
    text=texts(
        st.sampled_from([*NON_ASCII, " ", " ", "\t", "a", "=?", "?=", "-"]), OTHER_CHARACTERS
    )
)
def test_any_subject_reads_back_exactly(text):
    subject_reads_back(f"Recap: {text}")


def test_the_same_text_gives_the_same_bytes():
    for text in TITLES.values():
        assert unstructured_field("Subject", text) == unstructured_field("Subject", text)
        assert address_field("To", [(text, "a@b.example")]) == address_field(
            "To", [(text, "a@b.example")]
        )


# -- reading a field that is not mend's -----------------------------------------------------


def head(*lines: str) -> EmailMessage:
    return parse_head("\r\n".join(lines) + "\r\n")


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        # What CPython's folder wrote for the name: a comment hides Eve.
        (
            "To: Dana Okafor (Head of Ops) <eve@evil.example>, and a long tail to force the\r\n"
            " header to fold past 78 chars <mo@harbour.example>",
            "holds a comment in parentheses",
        ),
        # CVE-2023-27043's examples: the legacy parser reads Bob, so both are refused.
        ("To: alice@example.org)<bob@example.org>", "cannot be read unambiguously"),
        ('To: "alice@example.org>\\"<bob@example.org>', "cannot be read unambiguously"),
        ("To: a@example.org c@example.org", "cannot be read unambiguously"),
        # Quotes the modern parser drops and the legacy one keeps: not the same address.
        ('To: "a"@example.org', "reads as a@example.org to one email parser"),
        ("To: friends: a@example.org, b@example.org;", "group syntax"),
        ("To: a@example.org, <incomplete>", "local part with no domain"),
        ("To: a@example.org\r\nTo: b@example.org", "appears 2 times"),
    ],
)
def test_an_ambiguous_address_field_is_refused(line, reason):
    with pytest.raises(HeaderError) as info:
        addresses(head(line), "To")
    assert info.value.field == "To"
    assert reason in info.value.reason


def test_a_plain_address_field_is_read_as_written():
    message = head('To: "Okafor, Dana" <dana@acme.example>, lee@acme.example')
    assert addresses(message, "To") == [
        ("Okafor, Dana", "dana@acme.example"),
        ("", "lee@acme.example"),
    ]
    assert addresses(message, "Cc") == []


def test_a_field_is_read_the_same_however_often_it_is_read():
    """Readings are kept by the field's text: a refused field stays refused, each time afresh."""
    bad = parse_head('To: "Dana" <dana@x.example> (and eve@evil.example)\r\n')
    good = parse_head("To: Dana <dana@x.example>\r\n")
    for _ in range(2):
        with pytest.raises(HeaderError, match="comment"):
            addresses(bad, "To")
        assert addresses(good, "To") == [("Dana", "dana@x.example")]
    twice = parse_head("To: Dana <dana@x.example>\r\nTo: Dana <dana@x.example>\r\n")
    with pytest.raises(HeaderError, match="appears 2 times"):
        addresses(twice, "To")
