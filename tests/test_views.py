"""The audience rule: no internal field reaches a client-facing document."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.build import build
from generator.errors import TemplateError
from generator.render import Renderer
from generator.views import build_view

from .conftest import FULL_CASE, SENTINELS, TODAY, make_workspace
from .test_case import load


def client_files(out: Path) -> list[Path]:
    return [p for p in out.rglob("*") if p.is_file() and "internal" not in p.relative_to(out).parts]


def test_no_sentinel_in_any_client_facing_file(workspace):
    report = build(workspace, today=TODAY, formats=("md", "html"))
    assert report.ok, report.failed
    out = workspace / "output"
    files = client_files(out)
    assert {p.name for p in files} >= {
        "index.html",
        "plan.md",
        "plan.html",
        "agenda-2026-11-24.md",
        "agreement.html",
    }
    for path in files:
        text = path.read_text(encoding="utf-8")
        leaked = [s for s in SENTINELS if s in text]
        assert not leaked, f"{path.name} leaks {leaked}"
    brief = (out / "acme" / "internal" / "brief-2026-11-24.html").read_text(encoding="utf-8")
    assert all(s in brief for s in SENTINELS)


def test_client_view_has_no_internal_keys(tmp_path):
    view = build_view(load(tmp_path, FULL_CASE), "client", TODAY)
    case = view["case"]
    assert "listening" not in case
    assert "culture" not in case["client"]
    assert set(case["framing"]) == {"shared"}
    assert all("internal_notes" not in m for m in case["meetings"])
    assert "SENTINEL" not in repr(view)


def test_a_template_that_prints_an_internal_field_fails(tmp_path):
    ws = make_workspace(
        tmp_path / "ws",
        {"acme.yaml": FULL_CASE},
        templates={"html/plan.html": "{{ case.client.culture }}"},
    )
    report = build(ws, today=TODAY, formats=("html",))
    assert not report.ok
    assert "culture" in report.failed[0] and "internal" in report.failed[0]
    assert not (ws / "output" / "acme" / "plan.html").exists()


def test_strict_undefined_names_the_missing_field(tmp_path):
    (tmp_path / "templates" / "html").mkdir(parents=True)
    (tmp_path / "templates" / "html" / "x.html").write_text("{{ case.nope }}")
    with pytest.raises(TemplateError, match="nope"):
        Renderer(tmp_path).render("html/x.html", {"case": {}})
