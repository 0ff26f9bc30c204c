"""The audience rule: no internal field reaches a client-facing document."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.build import build
from generator.errors import TemplateError
from generator.render import Renderer
from generator.views import build_view, dump

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


def test_views_sharing_their_basis_keep_the_audiences_apart(tmp_path):
    """The md and html views of a case share what they compute alike, by audience."""
    casefile = load(tmp_path, FULL_CASE)
    shared: dict = {}
    internal = build_view(casefile, "internal", TODAY, shared=shared)
    assert "SENTINEL" in repr(internal)
    for markdown in (True, False):
        client = build_view(casefile, "client", TODAY, markdown=markdown, shared=shared)
        assert "SENTINEL" not in repr(client)
        assert client == build_view(casefile, "client", TODAY, markdown=markdown)
    assert internal == build_view(casefile, "internal", TODAY, shared=shared)


@pytest.mark.parametrize("first_markdown", [True, False])
def test_the_html_view_shares_no_data_with_the_markdown_view(tmp_path, first_markdown):
    """One dump serves an audience's md and html views: what a template does to one stays there."""
    casefile = load(tmp_path, FULL_CASE)
    shared: dict = {}
    for audience in ("client", "internal"):
        first = build_view(casefile, audience, TODAY, markdown=first_markdown, shared=shared)
        first["case"]["meetings"].append("changed by a template")
        first["case"]["client"]["contacts"][0]["name"] = "changed"
        second = build_view(casefile, audience, TODAY, markdown=not first_markdown, shared=shared)
        assert second == build_view(casefile, audience, TODAY, markdown=not first_markdown)
        assert "changed by a template" not in second["case"]["meetings"]


def test_markdown_views_sharing_a_memo_match_views_without(tmp_path):
    casefile = load(tmp_path, FULL_CASE)
    shared: dict = {}
    for audience in ("internal", "client"):
        view = build_view(casefile, audience, TODAY, markdown=True, shared=shared)
        assert view == build_view(casefile, audience, TODAY, markdown=True)


def test_the_timeline_is_drawn_from_the_clients_case_for_both_audiences(tmp_path):
    from generator.model import redact
    from generator.timeline import timeline_svg

    casefile = load(tmp_path, FULL_CASE)
    drawn = timeline_svg(casefile.case, TODAY)
    assert timeline_svg(redact(casefile.case), TODAY) == drawn  # it reads no internal field
    for shared in (None, {}):
        internal = build_view(casefile, "internal", TODAY, shared=shared)["timeline"]
        client = build_view(casefile, "client", TODAY, shared=shared)["timeline"]
        assert internal == client == drawn
        assert "SENTINEL" not in internal


def test_a_template_that_prints_an_internal_field_fails(tmp_path):
    ws = make_workspace(
        tmp_path / "ws",
        {"acme.yaml": FULL_CASE},
        templates={"html/plan.html": "{{ case.client.culture }}"},
    )
    report = build(ws, today=TODAY, formats=("html",))
    assert not report.ok
    assert "culture" in report.messages[0] and "internal" in report.messages[0]
    assert not (ws / "output" / "acme" / "plan.html").exists()


def test_strict_undefined_names_the_missing_field(tmp_path):
    (tmp_path / "templates" / "html").mkdir(parents=True)
    (tmp_path / "templates" / "html" / "x.html").write_text("{{ case.nope }}")
    with pytest.raises(TemplateError, match="nope"):
        Renderer(tmp_path).render("html/x.html", {"case": {}})


# -- the audience declared on the model -----------------------------------------------


def _models_reachable_from(model: type) -> set[type]:
    from generator.model import field_model

    seen: set[type] = set()
    todo = [model]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        for info in current.model_fields.values():
            held = field_model(info.annotation)
            if held is not None:
                todo.append(held)
    return seen


def test_every_model_of_the_case_declares_its_audience() -> None:
    """No default: a model added without saying who it is for fails here."""
    from generator.model import Case

    models = _models_reachable_from(Case)
    assert len(models) >= 15
    undeclared = [m.__name__ for m in models if "AUDIENCE" not in vars(m)]
    assert not undeclared, f"models without AUDIENCE: {undeclared}"
    assert all(m.AUDIENCE in ("client", "internal") for m in models)


def test_the_internal_fields_are_the_ones_case_format_md_marks() -> None:
    """The contract's (internal) marks, as paths; derived from the models' markers."""
    from generator.model import INTERNAL_FIELDS

    assert set(INTERNAL_FIELDS) == {
        ("client", "culture"),
        ("listening",),
        ("framing", "client_view"),
        ("framing", "our_view"),
        ("meetings", "*", "internal_notes"),
    }


def test_redact_empties_every_internal_field_and_nothing_else(tmp_path: Path) -> None:
    from generator.model import INTERNAL_FIELDS, redact

    case = load(tmp_path, FULL_CASE).case
    redacted = redact(case)
    full, safe = case.model_dump(), redacted.model_dump()

    def values(data: object, path: tuple[str, ...]) -> list[object]:
        if not path:
            return [data]
        head, rest = path[0], path[1:]
        if head == "*":
            return [v for item in data for v in values(item, rest)]  # type: ignore[attr-defined]
        return values(data[head], rest) if data is not None else []  # type: ignore[index]

    for path in INTERNAL_FIELDS:
        assert any(v for v in values(full, path)), f"the fixture fills {path}"
        assert not any(v for v in values(safe, path)), f"{path} survives redaction"

    # Outside the internal fields, the redacted case is the case.
    assert dump(redacted, "client") == dump(case, "client")


def test_readme_lists_exactly_the_internal_fields() -> None:
    """The README's table of internal fields is the models' declaration, not a copy to keep."""
    from generator.model import INTERNAL_FIELDS
    from generator.reader import format_path

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    table = readme.split("<!-- internal-fields -->")[1]
    listed = {line.split("`")[1] for line in table.splitlines() if line.startswith("| `")}
    assert listed == {format_path(p) for p in INTERNAL_FIELDS}


def _reference_safe(value, kind, plan):
    """markdown_safe's walk as it was before its shortcuts and memo."""
    from generator.render import escape_markdown, sanitize_markdown
    from generator.views import _NONE_PLAN, _fields_plan

    if isinstance(value, str):
        return sanitize_markdown(value) if kind == "markdown" else escape_markdown(value)
    if isinstance(value, list):
        item_kind, item_plan = plan if kind == "list" else _NONE_PLAN
        return [_reference_safe(v, item_kind, item_plan) for v in value]
    if isinstance(value, dict):
        fields = _fields_plan(plan) if kind == "model" else {}
        return {k: _reference_safe(v, *fields.get(k, _NONE_PLAN)) for k, v in value.items()}
    return value


def test_markdown_safe_matches_the_plain_walk(tmp_path):
    from enum import StrEnum

    from generator.model import Case
    from generator.views import _schema, _sub_plan, markdown_safe, new_memo

    class Word(StrEnum):
        star = "*star*"

    data = dump(load(tmp_path, FULL_CASE).case, "internal")
    data["extra"] = [Word.star, "*star*", 1.5, None, True, {"x": "<b>"}]
    kind, sub = _schema(Case)
    expected = _reference_safe(data, kind, _sub_plan(kind, sub))
    memo = new_memo()
    for _ in range(2):  # the second time from the memo
        got = markdown_safe(data, Case, memo)
        assert got == expected
        assert [type(v) for v in got["extra"]] == [type(v) for v in expected["extra"]]
