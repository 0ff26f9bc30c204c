"""The template reference scan's cache: keyed on the source, safe to lose or spoil."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest

from generator import cache
from generator.cache import Fingerprints, references


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An empty cache: nothing in memory, a private folder for the files."""
    folder = tmp_path / "jinja-cache"
    folder.mkdir()
    monkeypatch.setattr(cache, "_known_references", {})
    monkeypatch.setattr(cache, "_references_file", lambda key: folder / f"refs-{key}.json")
    return folder


def test_an_edited_source_is_scanned_again(fresh: Path) -> None:
    env = jinja2.Environment()
    assert references('{% extends "a.html" %}', env) == ["a.html"]
    assert references('{% extends "b.html" %}{% include "c.html" %}', env) == ["b.html", "c.html"]
    assert references("{% include name %}", env) is None
    assert references("{% if %}", env) == []


def test_a_new_process_reads_the_answer_from_its_file(
    fresh: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = jinja2.Environment()
    source = '{% import "macros.html" as ui %}'
    assert references(source, env) == ["macros.html"]
    monkeypatch.setattr(cache, "_known_references", {})  # as in a new process

    def no_parse(*args: object) -> None:
        raise AssertionError("parsed again")

    monkeypatch.setattr(env, "parse", no_parse)
    assert references(source, env) == ["macros.html"]


def test_a_spoilt_cache_file_is_parsed_again(fresh: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = jinja2.Environment()
    source = '{% include "x.html" %}'
    references(source, env)
    (stored,) = fresh.iterdir()
    for spoilt in ("{not json", '{"a": 1}', "[1, 2]"):
        stored.write_text(spoilt)
        monkeypatch.setattr(cache, "_known_references", {})
        assert references(source, env) == ["x.html"]


def test_the_key_follows_an_included_template_edit(fresh: Path, tmp_path: Path) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "page.html").write_text('{% include "part.html" %}')
    (folder / "part.html").write_text("one")
    (folder / "other.html").write_text("two")
    before = Fingerprints([folder]).template("page.html")
    (folder / "part.html").write_text("changed")
    assert Fingerprints([folder]).template("page.html") != before
    (folder / "page.html").write_text('{% include "other.html" %}')
    moved = Fingerprints([folder]).template("page.html")
    (folder / "part.html").write_text("changed again")  # no longer included
    assert Fingerprints([folder]).template("page.html") == moved
