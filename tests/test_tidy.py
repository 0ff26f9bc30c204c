"""writers.md.tidy keeps each line's kind beside it: the same output as reading it again."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from generator.writers.md import _indent, _kind, tidy


def reference(text: str) -> str:
    out: list[str] = []
    for raw in text.splitlines():
        line = raw.rstrip()
        kind = _kind(line)
        if kind == "blank":
            if out and out[-1]:
                out.append("")
            continue
        if out and out[-1]:
            prev = _kind(out[-1])
            if prev != kind or kind == "heading":
                out.append("")
        elif (
            len(out) >= 2
            and kind == _kind(out[-2])
            and kind in ("list", "table")
            and _indent(line) == 0
        ):
            out.pop()
        out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out) + "\n"


LINES = st.sampled_from(
    ["", "   ", "# Head", "## Sub", "| a | b |", "|---|", "- item", "* item", "1. one",
     "2) two", "  - nested", "text", "more text  ", "\t", "#x"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(LINES, max_size=30).map("\n".join))
def test_tidy_matches_the_reference(text: str) -> None:
    assert tidy(text) == reference(text)
