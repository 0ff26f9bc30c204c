"""The registry of document kinds: a new kind is one entry plus its templates.

The toy kind here lives in a test-only registry. Nothing else in mend is
told about it, yet it is built, recorded in the manifest, skipped when
nothing changed, rebuilt when its template changes, and linked from the
index: everything the build knows of a kind, it asks the kind.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from generator.build import build
from generator.kinds import KINDS, Kind, Registry, default_templates
from generator.model import Case

from .conftest import FULL_CASE, TODAY, make_workspace


def _one_per_milestone_due_soon(case: Case, today: date) -> list[date | None]:
    return [m.due for m in case.plan.milestones if m.due >= today][:2]


NOTE = Kind(
    name="note",
    audience="client",
    formats=("md", "html"),
    stem="note-{date}",
    occurs=_one_per_milestone_due_soon,
    uses_today=False,
    label="a note on a milestone",
    index_label="Milestone note",
    index_rank=99,
    templates=default_templates("note", ("md", "html")),
)
TOY_REGISTRY = Registry([*KINDS, NOTE])

NOTE_MD = "# Note for {{ case.title }}\n\nDue {{ doc.date }}.\n"
NOTE_HTML = (
    '{% extends "html/base.html" %}{% block content %}<h1>Note: {{ case.title }}</h1>'
    "<p>{{ doc.date }}</p>{% endblock %}"
)


@pytest.fixture
def toy_workspace(tmp_path: Path) -> Path:
    return make_workspace(
        tmp_path / "ws",
        {"acme.yaml": FULL_CASE},
        templates={"md/note.md": NOTE_MD, "html/note.html": NOTE_HTML},
    )


def _notes(out: Path) -> list[str]:
    return sorted(p.name for p in (out / "acme").glob("note-*"))


def test_a_toy_kind_is_built_from_its_entry_and_templates(toy_workspace: Path) -> None:
    report = build(toy_workspace, today=TODAY, formats=("md", "html"), registry=TOY_REGISTRY)
    assert report.ok, report.failed
    out = toy_workspace / "output"
    notes = _notes(out)
    assert notes and len(notes) % 2 == 0
    assert {n.rsplit(".", 1)[1] for n in notes} == {"md", "html"}
    first = (out / "acme" / notes[1]).read_text(encoding="utf-8")  # sorted: .html, .md
    assert first.startswith("# Note for ")
    assert "Note: " in (out / "acme" / notes[0]).read_text(encoding="utf-8")


def test_the_default_registry_knows_nothing_of_the_toy(toy_workspace: Path) -> None:
    assert build(toy_workspace, today=TODAY, formats=("md", "html")).ok
    assert _notes(toy_workspace / "output") == []


def test_a_toy_kind_is_recorded_skipped_and_rebuilt_when_its_template_changes(
    toy_workspace: Path,
) -> None:
    out = toy_workspace / "output"
    assert build(toy_workspace, today=TODAY, formats=("md",), registry=TOY_REGISTRY).ok
    manifest = json.loads((out / ".mend-manifest.json").read_text(encoding="utf-8"))
    outputs = manifest["cases"]["content/acme.yaml"]["outputs"]
    recorded = sorted(rel for rel, info in outputs.items() if info["kind"] == "note")
    assert recorded == [f"acme/{n}" for n in _notes(out)]

    again = build(toy_workspace, today=TODAY, formats=("md",), registry=TOY_REGISTRY)
    assert again.ok and not [f for f in again.written if "note-" in f]

    (toy_workspace / "templates" / "md" / "note.md").write_text(
        NOTE_MD.replace("Note for", "A note for"), encoding="utf-8"
    )
    changed = build(toy_workspace, today=TODAY, formats=("md",), registry=TOY_REGISTRY)
    assert changed.ok
    assert sorted(f for f in changed.written if "note-" in f) == recorded
    # The plan's template did not change, so the plan was not rendered again.
    assert not [f for f in changed.written if f.endswith("plan.md")]


def test_a_toy_kind_that_ignores_today_is_kept_on_a_new_day(toy_workspace: Path) -> None:
    assert build(toy_workspace, today=TODAY, formats=("md",), registry=TOY_REGISTRY).ok
    later = build(toy_workspace, today=date(2026, 11, 23), formats=("md",), registry=TOY_REGISTRY)
    assert later.ok
    assert not [f for f in later.written if "note-" in f]


def test_a_toy_kind_is_linked_from_the_index_with_its_label(toy_workspace: Path) -> None:
    assert build(toy_workspace, today=TODAY, formats=("md", "html"), registry=TOY_REGISTRY).ok
    index = (toy_workspace / "output" / "index.html").read_text(encoding="utf-8")
    assert "Milestone note" in index
    for name in _notes(toy_workspace / "output"):
        assert f'href="acme/{name}"' in index
    # Its rank puts it after every kind mend ships.
    assert index.index("Milestone note") > index.index('href="acme/agreement.html"')


def test_a_kind_must_put_internal_documents_under_internal() -> None:
    with pytest.raises(ValueError, match="internal"):
        Kind(
            name="leak",
            audience="internal",
            formats=("md",),
            stem="leak",
            occurs=_one_per_milestone_due_soon,
            uses_today=True,
            label="a leak",
        )
    with pytest.raises(ValueError, match="unknown formats"):
        Kind(
            name="odd",
            audience="client",
            formats=("docx",),
            stem="odd",
            occurs=_one_per_milestone_due_soon,
            uses_today=True,
            label="odd",
        )


def test_the_shipped_kinds_have_their_templates_in_the_theme() -> None:
    from generator.render import theme_dir

    for kind in KINDS:
        for fmt in kind.formats:
            for name in kind.templates_for(fmt):
                assert (theme_dir() / name).is_file(), (kind.name, fmt, name)


def test_every_one_document_command_comes_from_the_registry() -> None:
    from generator.cli import main

    for kind in KINDS:
        if kind.command_help is not None:
            assert main.commands[kind.name].help == kind.command_help
