"""Templates, overrides, and Markdown made safe."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.build import build
from generator.errors import TemplateError
from generator.render import Renderer, markdown_to_html, sanitize_markdown, theme_dir

from .conftest import FULL_CASE, TODAY, make_workspace


def test_workspace_template_overrides_the_default(tmp_path):
    override = '{% extends "html/base.html" %}{% block content %}<p id="mine">Our own plan page</p>{% endblock %}'
    ws = make_workspace(
        tmp_path / "ws", {"acme.yaml": FULL_CASE}, templates={"html/plan.html": override}
    )
    assert build(ws, today=TODAY, formats=("html",)).ok
    plan = (ws / "output" / "acme" / "plan.html").read_text()
    assert '<p id="mine">Our own plan page</p>' in plan
    assert "<style>" in plan  # the default base layout still wraps it
    agenda = (ws / "output" / "acme" / "agenda-2026-11-24.html").read_text()
    assert "Where things stand" in agenda  # other documents keep the default


def test_theme_is_found():
    assert (theme_dir() / "html" / "base.html").is_file()
    assert Renderer(None).source_path("md/plan.md") == theme_dir() / "md" / "plan.md"


def test_markdown_to_html_removes_scripts_images_and_unsafe_links():
    html = markdown_to_html(
        "Hi <script>alert(1)</script> **there** [x](javascript:alert(1)) "
        "![p](file:///etc/passwd) [ok](https://example.com) <img src=http://evil.example/t.png>"
    )
    assert "<script" not in html and "alert(1)</script>" not in html
    assert "javascript:" not in html and "<img" not in html and "file:" not in html
    assert "<strong>there</strong>" in html
    assert 'href="https://example.com"' in html


def test_sanitize_markdown_keeps_markdown_but_not_html():
    md = sanitize_markdown(
        "**Bold** <b onclick=x>tag</b> [bad](javascript:alert(1)) ![img](http://x/y.png) [good](https://ok.example)\n\n"
        "[ref]: data:text/html;base64,xx"
    )
    assert "**Bold**" in md
    assert "<b" not in md and "&lt;b onclick=x>" in md
    assert "javascript:" not in md and "data:" not in md and "http://x/y.png" not in md
    assert "[good](https://ok.example)" in md


def test_jinja_syntax_in_data_is_printed_not_run(tmp_path):
    text = FULL_CASE.replace(
        "title: Getting the Acme portal back on track",
        "title: '{{ 7*7 }} {% if true %}x{% endif %}'",
    )
    ws = make_workspace(tmp_path / "ws", {"acme.yaml": text})
    assert build(ws, today=TODAY, formats=("md", "html")).ok
    html = (ws / "output" / "acme" / "plan.html").read_text()
    top = html.split("<main>")[1].split("Milestones")[0]
    # A whole 49, not the digits of a coordinate in the timeline.
    assert "{{ 7*7 }}" in html and not re.search(r"\b49\b", top)


def test_text_fields_are_escaped_in_html_and_markdown(tmp_path):
    text = FULL_CASE.replace(
        "Thank you for the fast test feedback", "'<script>alert(1)</script> [click](javascript:x)'"
    )
    ws = make_workspace(tmp_path / "ws", {"acme.yaml": text})
    assert build(ws, today=TODAY, formats=("md", "html")).ok
    html = (ws / "output" / "acme" / "agenda-2026-11-24.html").read_text()
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    md = (ws / "output" / "acme" / "agenda-2026-11-24.md").read_text()
    assert r"\<script\>alert(1)\</script\> \[click\](javascript:x)" in md


def test_markdown_fields_stay_markdown_and_text_fields_are_escaped_in_md(tmp_path):
    text = (
        FULL_CASE.replace(
            "summary: The relaunch slipped three weeks.",
            "summary: The relaunch slipped **three weeks**.",
        )
        .replace(
            "summary: We agreed to restart with weekly check-ins.",
            "summary: We agreed a *weekly* rhythm.",
        )
        .replace(
            "decisions: [Weekly check-ins on Tuesdays]",
            "decisions: ['Weekly check-ins, *not* daily']",
        )
    )
    ws = make_workspace(tmp_path / "ws", {"acme.yaml": text})
    assert build(ws, today=TODAY, formats=("md",)).ok
    plan = (ws / "output" / "acme" / "plan.md").read_text()
    assert "The relaunch slipped **three weeks**." in plan  # incident.summary: Markdown
    assert (
        "We agreed a *weekly* rhythm." in plan
    )  # meetings[].summary: Markdown in a list of models
    assert r"- Weekly check-ins, \*not\* daily" in plan  # meetings[].decisions: text


# -- template errors: the file and line to fix, and what is wrong -------------------------


def plan_failure(tmp_path, templates):
    ws = make_workspace(tmp_path / "ws", {"acme.yaml": FULL_CASE}, templates=templates)
    report = build(ws, today=TODAY, formats=("html",), kinds=("plan",))
    assert not report.ok and not (ws / "output" / "acme" / "plan.html").exists()
    return report.messages


def test_a_misspelt_name_is_an_unknown_name_at_its_file_and_line(tmp_path):
    """Not blamed on the audience rule: `titel` is no internal field, just a typo."""
    failed = plan_failure(tmp_path, {"html/plan.html": "<h1>\n  {{ case.titel }}\n</h1>"})
    assert failed == [
        "content/acme.yaml: templates/html/plan.html:2: unknown name `titel` "
        "(did you mean `title`?)"
    ]


def test_an_unknown_top_level_name_in_an_included_file_names_that_file(tmp_path):
    failed = plan_failure(
        tmp_path,
        {
            "html/plan.html": "{% include 'html/part.html' %}",
            "html/part.html": "<p>one</p>\n<p>two</p>\n{{ milestnes }}\n",
        },
    )
    assert failed == [
        "content/acme.yaml: templates/html/part.html:3: unknown name `milestnes` "
        "(did you mean `milestones`?)"
    ]


def test_an_internal_field_in_a_client_document_is_the_audience_rule(tmp_path):
    failed = plan_failure(tmp_path, {"html/plan.html": "<p>{{ case.listening.unsaid }}</p>"})
    assert failed == [
        "content/acme.yaml: templates/html/plan.html:1: `listening` is an internal field: a "
        "client-facing document cannot use internal fields (they appear only in internal/ "
        "documents)"
    ]


def test_a_syntax_error_names_the_override_relative_to_the_workspace(tmp_path):
    failed = plan_failure(tmp_path, {"html/plan.html": "<p>\n{% if %}\n</p>"})
    assert failed == [
        "content/acme.yaml: templates/html/plan.html:2: template syntax error: "
        "Expected an expression, got 'end of statement block'"
    ]


def test_an_error_in_a_theme_file_names_the_theme_file_and_line():
    """A context without `history` fails inside the theme's own plan template."""
    renderer = Renderer(None)
    with pytest.raises(TemplateError) as caught:
        renderer.render("md/plan.md", {"audience": "client"})
    message = caught.value.format_message()
    theme_file = str(theme_dir() / "md" / "plan.md")
    assert message.startswith(theme_file + ":"), message
    line = int(message[len(theme_file) + 1 :].split(":", 1)[0])
    assert "history" in (theme_dir() / "md" / "plan.md").read_text().splitlines()[line - 1]
    assert message.endswith(": unknown name `history`")


def test_the_theme_gettext_and_macro_calls_do_what_jinjas_own_do(tmp_path):
    """render.py calls its gettext functions and macros without Jinja's detours:
    the output is the same as a sandbox with Jinja's own newstyle i18n gives."""
    import gettext as gettext_module

    import jinja2
    from jinja2.sandbox import SandboxedEnvironment

    source = (
        "{% macro n() %}[{{ caller() }}]{% endmacro %}{% macro m(x) %}<b>{{ x }}</b>{% endmacro %}"
        '{{ m("<i>") }}|{% autoescape false %}{{ m("<i>") }}|{{ _("a %(v)s", v="<") }}'
        '{% endautoescape %}|{% for i in [1] %}{% set y = "<" ~ i %}{{ m(y) }}'
        '{{ _("a %(v)s", v=y) }}{% endfor %}|{% call n() %}<u>{{ "<" }}{% endcall %}|'
        '{{ _("100%%") }}|{{ gettext("plain") }}|{{ ngettext("%(num)d x", "%(num)d xs", 2) }}|'
        '{{ ngettext("%(num)d of %(w)s", "%(num)d of %(w)s", 1, w="<") }}|'
        '{{ pgettext("c", "w %(context)s") }}|{{ npgettext("c", "%(num)d", "%(num)d s", 3) }}|'
        "{% trans w='<' %}t {{ w }}{% endtrans %}|"
        "{% trans count=2 %}{{ count }} one{% pluralize %}{{ count }} many{% endtrans %}|"
        '{% for i in [1, 2] %}{% set w = i %}{{ _("w %(w)s", w=w) }}'
        '{% if i == 2 %}{% set gettext = m %}{% endif %}{{ _("x") }}{% endfor %}|{{ _("y") }}'
    )
    (tmp_path / "templates" / "html").mkdir(parents=True)
    (tmp_path / "templates" / "html" / "t.html").write_text(source)
    ours = Renderer(tmp_path).render("html/t.html", {})
    env = SandboxedEnvironment(
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(gettext_module.NullTranslations(), newstyle=True)
    assert ours == env.from_string(source).render({})


@pytest.mark.parametrize(
    "source",
    [
        "{% for x in [1] %}{{ loop.__class__ }}{% endfor %}",
        "{% for x in [1] %}{{ loop._iterator }}{% endfor %}",
        '{% import "html/m.html" as ui %}{{ ui.__dict__ }}',
        '{% import "html/m.html" as ui %}{{ ui.m.__call__.__globals__ }}',
        "{% block b %}{% endblock %}{{ self.__dict__ }}",
    ],
)
def test_jinjas_own_objects_keep_their_private_attributes(tmp_path, source):
    """The sandbox's shortcut for loop, imported modules and self is for public names only."""
    (tmp_path / "templates" / "html").mkdir(parents=True)
    (tmp_path / "templates" / "html" / "m.html").write_text("{% macro m() %}m{% endmacro %}")
    (tmp_path / "templates" / "html" / "t.html").write_text(source)
    with pytest.raises(TemplateError):
        Renderer(tmp_path).render("html/t.html", {})


def test_underscore_follows_a_template_that_rebinds_gettext(tmp_path):
    (tmp_path / "templates" / "html").mkdir(parents=True)
    (tmp_path / "templates" / "html" / "t.html").write_text(
        '{% macro g(m) %}[{{ m }}]{% endmacro %}{{ _("a") }}|{% set gettext = g %}{{ _("b") }}'
    )
    assert Renderer(tmp_path).render("html/t.html", {}) == "a|[b]"


def test_each_language_keeps_its_own_words(tmp_path):
    """The translations kept as Markup are kept per Language: one process, two catalogs."""
    import gettext as gettext_module

    from generator.i18n import Language

    class Shouting(gettext_module.NullTranslations):
        def gettext(self, message):
            return message.replace("plan", "PLAN")

    (tmp_path / "templates" / "html").mkdir(parents=True)
    (tmp_path / "templates" / "html" / "t.html").write_text('{{ _("plan & %(x)s", x="<") }}')
    renderer = Renderer(tmp_path)
    loud = Language(code="xx", translations=Shouting(), locale=None)
    plain = Language(code="yy", translations=gettext_module.NullTranslations(), locale=None)
    for _ in range(2):
        assert renderer.render("html/t.html", {"i18n": loud}) == "PLAN & &lt;"
        assert renderer.render("html/t.html", {"i18n": plain}) == "plan & &lt;"
        assert renderer.render("html/t.html", {}) == "plan & &lt;"


#: What plain lines may hold (Unicode letters and digits among them), and
#: what they may not: Markdown's syntax, a no-break space, a break made by
#: two spaces, a blank line, a line that starts a list or underlines one.
PLAIN_CHARS = list("aZé日ǅßİ1٣² ,.;:!?'()/\"%+=@$£€-") + ["  ", "\nWe", "\nÜ", "\n"]
OTHER_CHARS = list("_*`[]<>&#|\\~\t\r\xa0\u2028") + ["1. ", "- ", " *x* ", "_x_", "`x`", "[a](b)"]
BREAKS = ["\n\nWe", "  \nWe", " \nWe", "\n- x", "\n-", "\n= x", "\n==", "\n2. x", "\n\n", "\n "]
LINES = st.one_of(
    st.lists(st.sampled_from(PLAIN_CHARS), min_size=1, max_size=14),
    st.lists(st.sampled_from(PLAIN_CHARS + BREAKS), min_size=1, max_size=14),
    st.lists(st.sampled_from(PLAIN_CHARS + OTHER_CHARS + BREAKS), min_size=1, max_size=14),
).map("".join)


@settings(max_examples=600, deadline=None)
@given(LINES)
def test_a_plain_line_is_the_paragraph_markdown_and_the_cleaner_make_of_it(text):
    """The shortcut for one line of plain words writes what the whole path would."""
    from generator.render import _PLAIN_LINES_RE, _convert

    if _PLAIN_LINES_RE.fullmatch(text):
        assert markdown_to_html(text) == _convert(text)


@pytest.mark.parametrize(
    "text",
    [
        "Call Dana on Friday.",
        "Straße (Lager) / Büro: 3 Tage, 2 Wochen!",
        "日本の顧客 3件",
        "Ok?",
        'She said "soon", 50% of £25k + VAT = late.\nWe agreed @ 10:00.\n',
    ],
)
def test_plain_lines_take_the_shortcut_and_agree(text):
    from generator.render import _PLAIN_LINES_RE, _convert

    assert _PLAIN_LINES_RE.fullmatch(text)
    assert markdown_to_html(text) == _convert(text) == f"<p>{text.rstrip()}</p>"


@pytest.mark.parametrize(
    "text",
    [
        "1. first",
        "2026 was hard",
        "a_b",
        "*a*",
        "a *b* c",
        "a **b**",
        "a `b`",
        "# a",
        "a | b",
        "a\n\nb",
        "a  \nb",
        "a\n-",
        "a\n===",
        "a\n2. b",
        "a\n\n",
        "a &amp; b",
        "a\xa0b",
        "trailing  ",
        " leading",
        "<b>x</b>",
        "a [link](http://x)",
        "a\\b",
        "a\tb",
    ],
)
def test_anything_markdown_could_read_as_syntax_goes_the_whole_way(text):
    from generator.render import _PLAIN_LINES_RE

    assert not _PLAIN_LINES_RE.fullmatch(text)
