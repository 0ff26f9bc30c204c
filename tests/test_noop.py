"""The rebuild in which nothing changed: what it may skip, and what still rebuilds.

It reads no case and renders nothing, not even ``index.html``, whose key
(``build.index_key``) is kept in the manifest; each test here changes one
input of the index, or the file itself, and sees it rendered again.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import generator.build as build_module
from generator.build import build
from generator.cache import MANIFEST_NAME

from .conftest import FULL_CASE, MINIMAL_CASE, TODAY, make_workspace

FORMATS = ("md", "html")


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times the index has been rendered, build by build."""
    calls: list[int] = []
    real = build_module.render_index

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(build_module, "render_index", counted)
    return calls


def index_of(ws: Path) -> str:
    return (ws / "output" / "index.html").read_text(encoding="utf-8")


def test_a_rebuild_with_nothing_changed_does_not_render_the_index(workspace, renders):
    assert build(workspace, today=TODAY, formats=FORMATS).ok
    before = index_of(workspace)
    assert len(renders) == 1
    again = build(workspace, today=TODAY, formats=FORMATS)
    assert len(renders) == 1
    assert again.written == [] and again.unchanged == ["index.html"]
    assert index_of(workspace) == before


def test_a_hand_edited_or_deleted_index_is_written_again(workspace, renders):
    assert build(workspace, today=TODAY, formats=FORMATS).ok
    before = index_of(workspace)
    index = workspace / "output" / "index.html"
    index.write_text(before.replace("Acme", "Amce"), encoding="utf-8")
    assert build(workspace, today=TODAY, formats=FORMATS).written == ["index.html"]
    assert index_of(workspace) == before
    index.unlink()
    assert build(workspace, today=TODAY, formats=FORMATS).written == ["index.html"]
    assert index_of(workspace) == before and len(renders) == 3


def test_an_edited_case_shows_on_the_index(workspace, renders):
    assert build(workspace, today=TODAY, formats=FORMATS).ok
    case = workspace / "content" / "harbour.yaml"
    case.write_text(case.read_text().replace("title:", "title: Renamed", 1), encoding="utf-8")
    assert build(workspace, today=TODAY, formats=FORMATS).ok
    assert len(renders) == 2 and "Renamed" in index_of(workspace)


def test_an_index_template_override_is_rendered(workspace, renders):
    assert build(workspace, today=TODAY, formats=FORMATS).ok
    override = workspace / "templates" / "html" / "index.html"
    override.parent.mkdir(parents=True)
    override.write_text("<p>our own index: {{ entries | length }}</p>\n", encoding="utf-8")
    assert build(workspace, today=TODAY, formats=FORMATS).written == ["index.html"]
    assert index_of(workspace) == "<p>our own index: 2</p>\n"
    override.write_text("<p>edited: {{ entries | length }}</p>\n", encoding="utf-8")
    assert build(workspace, today=TODAY, formats=FORMATS).written == ["index.html"]
    assert index_of(workspace) == "<p>edited: 2</p>\n"


def test_an_edit_to_a_template_the_index_includes_is_rendered(workspace, renders):
    assert build(workspace, today=TODAY, formats=FORMATS).ok
    style = workspace / "templates" / "html" / "style.css"
    style.parent.mkdir(parents=True)
    style.write_text("body { color: rebeccapurple }\n", encoding="utf-8")
    assert "index.html" in build(workspace, today=TODAY, formats=FORMATS).written
    assert "rebeccapurple" in index_of(workspace)


def test_another_today_or_mend_toml_renders_the_index(workspace, renders):
    assert build(workspace, today=TODAY, formats=FORMATS).ok
    later = TODAY.replace(day=TODAY.day + 1)
    assert build(workspace, today=later, formats=FORMATS).ok
    assert len(renders) == 2
    (workspace / "mend.toml").write_text('timezone = "Europe/Dublin"\n', encoding="utf-8")
    assert build(workspace, today=later, formats=FORMATS).ok
    assert len(renders) == 3
    assert build(workspace, today=later, formats=FORMATS).ok
    assert len(renders) == 3


def test_a_case_that_fails_or_goes_shows_on_the_index(workspace, renders):
    assert build(workspace, today=TODAY, formats=FORMATS).ok
    harbour = workspace / "content" / "harbour.yaml"
    harbour.write_text(MINIMAL_CASE.replace("due: 2026-12-10", "due: soon"), encoding="utf-8")
    assert not build(workspace, today=TODAY, formats=FORMATS).ok
    assert "content/harbour.yaml" in index_of(workspace)  # listed as not built
    assert not build(workspace, today=TODAY, formats=FORMATS).ok
    assert len(renders) == 2  # failing again, as before: the same index
    harbour.unlink()
    assert build(workspace, today=TODAY, formats=FORMATS).ok
    assert "harbour" not in index_of(workspace) and len(renders) == 3


def test_a_manifest_from_before_the_index_key_renders_the_index(workspace, renders):
    assert build(workspace, today=TODAY, formats=FORMATS).ok
    manifest = workspace / "output" / MANIFEST_NAME
    data = json.loads(manifest.read_text())
    del data["index"]
    manifest.write_text(json.dumps(data))
    assert build(workspace, today=TODAY, formats=FORMATS).unchanged == ["index.html"]
    assert len(renders) == 2
    assert "index" in json.loads(manifest.read_text())  # recorded, for the next build


def test_a_partial_build_then_a_full_one_renders_the_index(workspace, renders):
    """A build of one case changes the manifest but not the index: the next full build shows it."""
    assert build(workspace, today=TODAY, formats=FORMATS).ok
    case = workspace / "content" / "harbour.yaml"
    case.write_text(case.read_text().replace("title:", "title: Renamed", 1), encoding="utf-8")
    assert build(workspace, today=TODAY, formats=FORMATS, cases=["harbour"]).ok
    assert len(renders) == 1
    assert build(workspace, today=TODAY, formats=FORMATS).ok
    assert len(renders) == 2 and "Renamed" in index_of(workspace)


# -- what the no-op check looks at ----------------------------------------------------


@pytest.mark.parametrize("overrides", [False, True])
def test_fingerprints_look_templates_up_where_the_renderer_does(tmp_path, overrides):
    """The build hashes templates found by generator.searchpath's rule: the renderer must load by it too."""
    from generator.render import Renderer
    from generator.searchpath import search_path

    ws = make_workspace(
        tmp_path / "ws",
        {"acme.yaml": FULL_CASE},
        templates={"html/plan.html": "x"} if overrides else None,
    )
    assert search_path(ws) == Renderer(ws).search_path
    assert search_path(None) == Renderer(None).search_path


def test_an_output_replaced_by_a_dangling_link_is_rebuilt(workspace):
    """The folder's listing counts what a link points to, as ``is_file`` did."""
    assert build(workspace, today=TODAY, formats=FORMATS).ok
    plan = workspace / "output" / "harbour" / "plan.md"
    before = plan.read_bytes()
    plan.unlink()
    os.symlink(plan.parent / "gone.md", plan)
    report = build(workspace, today=TODAY, formats=FORMATS)
    assert report.ok and "harbour/plan.md" in report.written
    assert plan.read_bytes() == before and not plan.is_symlink()


def test_cases_are_found_in_name_order_and_oddities_reported(tmp_path):
    from generator.workspace import Workspace

    ws = make_workspace(
        tmp_path / "ws", {"b.yaml": MINIMAL_CASE, "a.yml": MINIMAL_CASE, "notes.txt": "x"}
    )
    content = ws / "content"
    (content / "folder.yaml").mkdir()
    (content / ".hidden.yaml").write_text("x")
    os.symlink(content / "b.yaml", content / "c.yaml")
    os.symlink(content / "missing.yaml", content / "d.yaml")
    workspace = Workspace.open(ws)
    assert [p.name for p in workspace.case_paths()] == ["a.yml", "b.yaml", "c.yaml"]
    assert [str(p) for p in workspace.content_problems()] == [
        "content/d.yaml: a symbolic link to "
        f"{content / 'missing.yaml'}, which does not exist, not a case file",
        "content/folder.yaml: a folder, not a case file",
    ]


def test_a_no_op_rebuild_imports_nothing_that_renders(tmp_path):
    """Nor Jinja, nor pydantic for a workspace without mend.toml: nothing to validate."""
    from .test_startup import imported_after

    ws = make_workspace(tmp_path / "ws", {"acme.yaml": FULL_CASE, "harbour.yaml": MINIMAL_CASE})
    args = ["build", "-w", str(ws), "--today", TODAY.isoformat(), "-q", "-f", "md,html", "-j", "1"]
    rendering = ("generator.render", "generator.views", "generator.model", "markdown", "yaml")
    assert imported_after(args, tmp_path, rendering) == set(rendering)  # the first build renders
    assert imported_after(args, tmp_path, (*rendering, "pydantic", "babel", "jinja2")) == set()


def test_the_defaults_without_mend_toml_are_the_settings_defaults(tmp_path):
    from generator.config import Config
    from generator.workspace import Workspace

    ws = Workspace.open(make_workspace(tmp_path / "ws", {"acme.yaml": FULL_CASE}))
    assert ws.language == Config().language
    assert ws.config == Config()
    (tmp_path / "ws" / "mend.toml").write_text('language = "en-GB"\n')
    assert Workspace.open(tmp_path / "ws").language == "en-GB"


def test_spoilt_references_in_the_manifest_are_looked_up_again(workspace):
    from generator import cache

    assert build(workspace, today=TODAY, formats=FORMATS).ok
    manifest = workspace / "output" / MANIFEST_NAME
    data = json.loads(manifest.read_text())
    assert data["references"]  # what each template source names, for the next build
    data["references"] = {key: 5 for key in data["references"]}
    manifest.write_text(json.dumps(data))
    cache._known_references.clear()  # as in a new process
    again = build(workspace, today=TODAY, formats=FORMATS)
    assert again.written == [] and again.skipped == 9
    assert all(
        v is None or isinstance(v, list)
        for v in json.loads(manifest.read_text())["references"].values()
    )
