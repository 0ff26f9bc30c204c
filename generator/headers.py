"""Header fields that mend composes itself, and the check that reads them back.

Two promises, for every message mend writes or sends:

1. **A name is only ever a name.** A display name is written as plain
   words, as one RFC 5322 quoted-string (``"`` and ``\\`` escaped), or as
   RFC 2047 encoded words, so no character in it (``,<>@"()``…) can act as
   header syntax. The email package's folder is not trusted with this:
   CPython's folding (gh-80222, unfixed in the 3.11 this project runs on)
   can drop the quotes of a long display name, and the ``,``
   and ``<…>`` inside it then make a second recipient. Folding here only
   ever puts a line break in front of a space that is already there, so
   unfolding gives back the line exactly.
2. **The reader gets the text of the case, spaces included.** RFC 2047
   §6.2: whitespace between two adjacent encoded words is not text. So a
   run of words that needs encoding is encoded *with* its inner spaces,
   and the only literal space next to an encoded word is one that separates
   it from plain ASCII text, which readers keep. (The email package encodes
   word by word, and readers show "fürMüller".)

Display names have one more constraint: Python's own address parser (3.11)
keeps the whitespace between adjacent encoded words, against §6.2, while
mail readers drop it. No split can read the same in both, so a display name
never has two adjacent encoded words: each run of non-ASCII words is one
encoded word, which for an unusually long run (over about 45 bytes of
UTF-8, with no ASCII word in it) is longer than RFC 2047's 75 characters.
Readers and Python decode such words; a Subject never needs them.

:func:`addresses` is the reading side: it refuses an address field unless
two independent parsers (the email package's modern parser and its legacy
``getaddresses``) find the same addresses in it, and it contains nothing mend
never writes (a comment, group syntax, a parse defect, a second copy of the
field). The build calls it on every message before writing it; ``mend
send`` calls it before connecting.
"""

from __future__ import annotations

import base64
import email.policy
import functools
import re
import string
import typing
from collections.abc import Callable, Iterator, Sequence
from email.errors import NonASCIILocalPartDefect
from email.headerregistry import Address, Group
from email.message import EmailMessage, Message
from email.parser import HeaderParser
from email.utils import getaddresses
from typing import TypeVar

from .errors import HeaderError

#: RFC 5322 §2.1.1: a line SHOULD be at most 78 characters, CRLF excluded.
MAX_LINE = 78
#: RFC 2047 §2: an encoded word is at most 75 characters.
MAX_ENCODED_WORD = 75
#: Every field that names a mailbox, in the order mend writes them.
ADDRESS_FIELDS = ("From", "Sender", "Reply-To", "To", "Cc", "Bcc")

_PREFIX = "=?utf-8?"  # then "q?" or "b?", the encoded text, and "?="
_OVERHEAD = len(_PREFIX) + len("q?") + len("?=")
#: RFC 5322 atext: a word made only of these needs no quotes in a phrase.
_ATEXT = frozenset(string.ascii_letters + string.digits + "!#$%&'*+-/=?^_`{|}~")
#: RFC 2047 §5 (3): the only characters a "Q" word in a phrase may hold as they are.
_Q_SAFE = frozenset(string.ascii_letters + string.digits + "!*+-/")
_VISIBLE_ASCII = frozenset(chr(c) for c in range(0x21, 0x7F))
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_QUOTED_SPACES = re.compile(r"(?<! ) ")
_Piece = TypeVar("_Piece", str, bytes)


def display_name(name: str) -> str:
    """A person's name as an address field holds it: each run of whitespace one space.

    That is how readers show a display name in any case, and Python's
    parser goes further: in an encoded word it reads a space followed by any
    other whitespace (a no-break space, an em space) as one space, and it
    strips Unicode whitespace at a name's ends. So every whitespace
    character (``str.isspace``) counts as a space here, runs become one,
    and none is kept at the ends: the name then reads back the same in
    Python and in mail readers. Every other character is kept.
    """
    return " ".join(name.split())


def address_field(name: str, mailboxes: Sequence[tuple[str, str]]) -> str:
    """``Name: mailbox, mailbox`` folded at 78 characters, CRLF between lines.

    Each mailbox is a ``(display name, addr-spec)`` pair; the addr-spec must
    already be valid (``headerregistry.Address`` makes one), and the name is
    written as :func:`display_name` gives it.
    """
    folder = _Folder(name)
    for i, (display, addr_spec) in enumerate(mailboxes):
        words = _phrase(display_name(display))
        words.append(f"<{addr_spec}>" if words else addr_spec)
        if i < len(mailboxes) - 1:
            words[-1] += ","
        for word in words:
            folder.word(word)
    return folder.text()


def unstructured_field(name: str, text: str) -> str:
    """``Name: text`` (a Subject) folded at 78 characters, encoded where it must be.

    Plain words stay readable; each run of other words becomes encoded
    words that hold the run's spaces, so no reader can lose one.
    """
    folder = _Folder(name)
    for plain, words in _runs(text, _plain_text_word):
        if plain:
            for word in words:
                folder.word(word)
        else:
            folder.encoded(" ".join(words))
    return folder.text()


class _AddressField(typing.Protocol):
    """An address field as policy.default parses it (an AddressHeader, which
    is also a BaseHeader with its parse defects)."""

    addresses: tuple[Address, ...]
    groups: tuple[Group, ...]
    defects: tuple[Exception, ...]


def parse_head(head: str) -> EmailMessage:
    """A header section as the email package reads it (policy.default)."""
    return HeaderParser(policy=email.policy.default).parsestr(head)


def addresses(message: Message, field: str) -> list[tuple[str, str]]:
    """The ``(display name, addr-spec)`` pairs of one address field, if they are certain.

    Raises HeaderError unless the field appears at most once, parses
    without a defect, holds no comment and no group, names only complete
    addresses, and gives the same addresses to the legacy parser as to the
    modern one. A header that two parsers read differently is how a name
    smuggles in a recipient, so neither reading is trusted then.
    """
    raws = [(key, value) for key, value in message.raw_items() if key.lower() == field.lower()]
    if not raws:
        return []
    if len(raws) > 1:
        raise HeaderError(field, f"appears {len(raws)} times; a message has at most one")
    key, value = raws[0]
    # A field read from text (parse_head) is a string, and its reading is a
    # function of that string alone: a case's recaps and notices share their
    # From, To and Cc fields, so each distinct field is parsed once.
    reading = _read_text(key, value) if isinstance(value, str) else _read(key, value)
    if isinstance(reading, str):
        raise HeaderError(field, reading)
    return list(reading)


_Reading = tuple[tuple[str, str], ...] | str


def _read(name: str, value: typing.Any) -> _Reading:
    """The addresses of one field as policy.default reads it, or why they are not certain.

    The modern parser is the one a ``policy.default`` message's ``[name]``
    applies (header_fetch_parse), so the reading is what it always was,
    whatever policy parsed the section.
    """
    raw = _FOLD.sub("", str(value))
    if _has_comment(raw):
        return (
            "holds a comment in parentheses, which can hide an address and which mend never writes"
        )
    try:
        header = typing.cast(_AddressField, email.policy.default.header_fetch_parse(name, value))
        modern = [(a.display_name, a.addr_spec) for a in header.addresses]
        groups = [g for g in header.groups if g.display_name is not None]
        # RFC 6532 allows a local part in UTF-8; mend writes one only then.
        defects = [d for d in header.defects if not isinstance(d, NonASCIILocalPartDefect)]
    except (AttributeError, TypeError, ValueError, IndexError) as exc:
        return f"cannot be read as addresses: {exc}"
    if defects:
        return f"cannot be read unambiguously: {defects[0]}"
    if groups:
        return f"uses group syntax ({groups[0].display_name}:)"
    for _, addr_spec in modern:
        user, at, domain = addr_spec.rpartition("@")
        if not (user and at and domain):
            return f'"{addr_spec}" is not a complete address'
    legacy = [addr for shown, addr in getaddresses([raw]) if shown or addr]
    if legacy != [addr for _, addr in modern]:
        return (
            f"reads as {', '.join(a for _, a in modern) or 'nobody'} to one email parser "
            f"and as {', '.join(legacy) or 'nobody'} to another"
        )
    return tuple(modern)


#: Bounded: only the fields of the case being built repeat. On the recaps of
#: 40 generated cases, the build's parse-back check of a header went from
#: 2.3 ms to 0.3 ms (bench/bench_recap.py).
_read_text = functools.lru_cache(maxsize=1024)(_read)


# -- composing ------------------------------------------------------------------------------


class _Folder:
    """Builds a header field from words, each preceded by one space where a line may break."""

    def __init__(self, name: str) -> None:
        self.lines: list[str] = []
        self.line = f"{name}:"
        self.bare = True  # nothing after the field name yet: never break there

    def word(self, word: str) -> None:
        if not self.bare and len(self.line) + 1 + len(word) > MAX_LINE:
            self.lines.append(self.line)
            self.line = ""
        self.line += " " + word
        self.bare = False

    def encoded(self, text: str) -> None:
        """Encoded words for ``text``, the first filling the room left on this line."""
        room = MAX_LINE - len(self.line) - 1
        if not self.bare and room < _OVERHEAD + 12:
            self.lines.append(self.line)
            self.line, room = "", MAX_LINE - 1
        for word in _encoded_words(text, min(room, MAX_ENCODED_WORD), MAX_ENCODED_WORD):
            self.word(word)

    def text(self) -> str:
        return "\r\n".join([*self.lines, self.line])


def _phrase(name: str) -> list[str]:
    """A display name as the words of an RFC 5322 phrase (the spaces between them are FWS)."""
    if not name:
        return []
    items = name.split(" ")
    if _VISIBLE_ASCII.issuperset(name.replace(" ", "")) and "=?" not in name:
        if all(item and _ATEXT.issuperset(item) for item in items):
            return items
        return _quoted(name)
    words: list[str] = []
    for plain, run in _runs(name, _plain_phrase_word):
        if not plain:
            (word,) = _encoded_words(" ".join(run), None, None)
            words.append(word)
        elif all(_ATEXT.issuperset(item) for item in run):
            words.extend(run)
        else:
            words.extend(_quoted(" ".join(run)))
    return words


def _quoted(text: str) -> list[str]:
    """``text`` as one quoted-string, cut before each space that may become a fold.

    A space that follows another space is never a cut, so no line ends in
    whitespace (which some relays strip).
    """
    quoted = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return _QUOTED_SPACES.split(quoted)


def _runs(text: str, plain: Callable[[str], bool]) -> Iterator[tuple[bool, list[str]]]:
    """Consecutive space-separated items of ``text`` grouped by whether they can stay plain.

    Splitting on single spaces keeps every space: an empty item is a
    second space (or one at an end). It and the word after it (before it,
    at the end) are never plain, so the extra space lands inside encoded
    text, where no reader can drop or merge it.
    """
    items = text.split(" ")
    flags = [plain(item) for item in items]
    for i, item in enumerate(items):
        if not item and len(items) > 1:
            flags[i + 1 if i + 1 < len(items) else i - 1] = False
    run: list[str] = []
    for i, item in enumerate(items):
        if run and flags[i] != flags[i - 1]:
            yield flags[i - 1], run
            run = []
        run.append(item)
    yield flags[-1], run


def _plain_phrase_word(item: str) -> bool:
    """A word of a display name that needs no encoding (it may still need quotes)."""
    return bool(item) and _VISIBLE_ASCII.issuperset(item) and "=?" not in item


def _plain_text_word(item: str) -> bool:
    """A Subject word that can be written as it is: short enough to fit a line of its own."""
    return _plain_phrase_word(item) and len(item) < MAX_LINE


def _encoded_words(text: str, first: int | None, rest: int | None) -> list[str]:
    """``text`` as UTF-8 encoded words, "Q" or "B" whichever is shorter.

    Words hold whole characters; the first is at most ``first`` characters
    long and the others at most ``rest`` (None: no limit, one word). The
    choice depends on the text alone, so a rebuild writes the same bytes.
    """
    pieces = [_q(char) for char in text]
    chars = [char.encode("utf-8") for char in text]
    if sum(map(len, pieces)) <= _b_length(sum(map(len, chars))):
        return _pack("q", pieces, int, "".join, first, rest)
    return _pack(
        "b", chars, _b_length, lambda chunk: base64.b64encode(b"".join(chunk)).decode(), first, rest
    )


def _b_length(size: int) -> int:
    """The length of ``size`` bytes in base64."""
    return 4 * -(-size // 3)


def _pack(
    letter: str,
    pieces: list[_Piece],
    length: Callable[[int], int],
    encode: Callable[[list[_Piece]], str],
    first: int | None,
    rest: int | None,
) -> list[str]:
    """Encoded words of whole pieces (the encoding of one character each), cut at the limits."""
    words: list[str] = []
    chunk: list[_Piece] = []
    size, limit = 0, first
    for piece in pieces:
        if limit is not None and chunk and length(size + len(piece)) > limit - _OVERHEAD:
            words.append(f"{_PREFIX}{letter}?{encode(chunk)}?=")
            chunk, size, limit = [], 0, rest
        chunk.append(piece)
        size += len(piece)
    words.append(f"{_PREFIX}{letter}?{encode(chunk)}?=")
    return words


def _q(char: str) -> str:
    if char in _Q_SAFE:
        return char
    if char == " ":
        return "_"
    return "".join(f"={byte:02X}" for byte in char.encode("utf-8"))


def _has_comment(value: str) -> bool:
    """Whether an unfolded address field holds ``(`` outside a quoted-string."""
    quoted = escaped = False
    for char in value:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "(" and not quoted:
            return True
    return False
