"""Documents in the client's language: catalogs, goldens, workspace languages, the cache.

The completeness test is what keeps the shipped translations whole: a
string added to a template (or marked with ``N_`` in Python) and not
translated in German and French fails here, with the string named.
"""

from __future__ import annotations

import email
import email.policy
import io
import os
import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from click.testing import CliRunner

from generator.build import build
from generator.cli import main
from generator.i18n import get_language

from .conftest import FULL_CASE, TODAY, make_workspace

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "templates" / "locale"
GOLDEN = Path(__file__).parent / "golden"
SHIPPED = ("de", "fr")


def in_language(text: str, language: str) -> str:
    return text.replace(
        "timezone: Europe/London\n", f"timezone: Europe/London\nlanguage: {language}\n"
    )


def _key(message_id: str | tuple[str, ...]) -> str:
    return message_id if isinstance(message_id, str) else message_id[0]


def extracted() -> dict[str, object]:
    """Every string the theme uses, extracted as ``pybabel extract -F babel.cfg -k N_`` does."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    keywords = {**DEFAULT_KEYWORDS, "N_": None}
    found: dict[str, object] = {}
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        found[_key(message)] = message
    return found


# -- catalogs -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def theme_strings() -> dict[str, object]:
    return extracted()


def test_the_template_lists_every_string_the_theme_uses(theme_strings):
    """``templates/locale/mend.pot`` is what ``mend check`` compares a workspace catalog with."""
    with (LOCALE / "mend.pot").open("rb") as handle:
        pot = {_key(m.id) for m in read_po(handle) if m.id}
    assert sorted(set(theme_strings) - pot) == [], "run pybabel extract (README)"
    assert sorted(pot - set(theme_strings)) == [], "run pybabel extract (README)"


@pytest.mark.parametrize("language", SHIPPED)
def test_shipped_catalog_translates_every_string(theme_strings, language):
    with (LOCALE / language / "LC_MESSAGES" / "mend.po").open("rb") as handle:
        catalog = read_po(handle)
    translated = {}
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            continue
        translated[_key(message.id)] = message
    missing = sorted(set(theme_strings) - set(translated))
    assert missing == [], f"{language}: untranslated: {missing}"
    for message in translated.values():
        if isinstance(message.id, tuple):  # every plural form of the language is written
            assert len(message.string) == catalog.num_plurals, message.id
    # Placeholders the same as in English (Babel's python-format checks).
    problems = [(m.id, errors) for m, errors in catalog.check() if errors]
    assert problems == []


def test_plural_rules_follow_each_language():
    minutes = ("%(num)d minute", "%(num)d minutes")
    assert get_language("de").ngettext(*minutes, 1) == "%(num)d Minute"
    assert get_language("de").ngettext(*minutes, 0) == "%(num)d Minuten"
    # French counts 0 and 1 as singular.
    assert get_language("fr").ngettext(*minutes, 0) == "%(num)d minute"
    assert get_language("fr").ngettext(*minutes, 2) == "%(num)d minutes"
    assert get_language("en").ngettext(*minutes, 0) == "%(num)d minutes"


def test_dates_and_lists_follow_each_language():
    day = TODAY.replace(day=24)
    de, fr, en = get_language("de"), get_language("fr"), get_language("en")
    assert de.long_date(day) == "Dienstag, 24. November 2026"
    assert de.short_date(day) == "24.11.2026"
    assert fr.long_date(day) == "mardi 24 novembre 2026"
    assert fr.short_date(day) == "24 nov. 2026"
    assert en.long_date(day) == "Tuesday 24 November 2026"
    assert de.conjoin(["A", "B", "C"]) == "A, B und C"
    assert fr.conjoin(["A", "B", "C"]) == "A, B et C"
    assert en.conjoin(["A", "B", "C"]) == "A, B and C"


# -- goldens ----------------------------------------------------------------------------


def recap_text(path: Path) -> str:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    head = f"Subject: {message['Subject']}\nContent-Language: {message['Content-Language']}\n\n"
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return head + body.get_content().replace("\r\n", "\n")


@pytest.fixture(scope="module", params=SHIPPED)
def built(request, tmp_path_factory) -> tuple[str, Path]:
    language = request.param
    ws = make_workspace(
        tmp_path_factory.mktemp(f"ws-{language}"), {"acme.yaml": in_language(FULL_CASE, language)}
    )
    assert build(ws, today=TODAY, formats=("md", "html", "eml", "ics")).ok
    return language, ws / "output" / "acme"


@pytest.mark.parametrize("name", ["agenda-2026-11-24.md", "plan.md", "recap-2026-11-10.eml"])
def test_documents_match_golden(built, name):
    language, out = built
    actual = recap_text(out / name) if name.endswith(".eml") else (out / name).read_text("utf-8")
    golden = GOLDEN / f"{language}-{name.replace('.eml', '.txt')}"
    if os.environ.get("MEND_UPDATE_GOLDEN"):
        golden.write_text(actual, encoding="utf-8")
    assert actual == golden.read_text(encoding="utf-8")


#: Words of the English theme that a German or French document must not hold
#: (the case's own text is English here, so only the theme's words are looked for).
THEME_WORDS = [
    "What is going well",
    "Where things stand",
    "Milestone",
    "Owner",
    "Due",
    "overdue",
    "Recorded at our meeting",
    "Open actions",
    "Next dates",
    "Thank you for your time",
    "Kind regards",
    "Dear ",
    "Recovery plan",
    "Check-ins:",
    "Tuesday 24 November",
    "24 Nov 2026",
    " at 10:00",
    "Timeline of the milestones",
    "On track",
    "commits to",
    "Commitments to follow through",
    "What we promised",
    "Our commitments",
    "Nothing on this side",
    "Last note",
    "Amendments",
    "Renegotiated",
]


def visible_text(html: str) -> str:
    """What a reader sees of a page, with its title and description: no CSS, no class names."""
    html = re.sub(r"(?s)<style.*?</style>", "", html)
    meta = " ".join(re.findall(r'<meta name="(?:description|keywords)" content="([^"]*)"', html))
    return re.sub(r"<[^>]+>", " ", html) + meta


def test_lang_attribute_and_no_theme_english(built):
    language, out = built
    for path in [p for p in out.rglob("*") if p.suffix in (".html", ".md", ".eml", ".ics")]:
        text = path.read_text("utf-8")
        if path.suffix == ".eml":
            text = recap_text(path)
        if path.suffix == ".html":
            assert f'<html lang="{language}"' in text
            text = visible_text(text)
        for word in THEME_WORDS:
            assert word not in text.replace("Dana's team", ""), (path.name, word)


def test_pdf_declares_its_language(tmp_path):
    pypdf = pytest.importorskip("pypdf")
    ws = make_workspace(tmp_path, {"acme.yaml": in_language(FULL_CASE, "de")})
    assert build(ws, today=TODAY, formats=("pdf",), kinds=("plan",)).ok
    reader = pypdf.PdfReader(ws / "output" / "acme" / "plan.pdf")
    assert reader.trailer["/Root"]["/Lang"] == "de"
    assert reader.metadata.title.startswith("Maßnahmenplan: ")


def test_same_inputs_same_bytes(tmp_path):
    files = {"acme.yaml": in_language(FULL_CASE, "fr")}
    outputs = []
    for name in ("a", "b"):
        ws = make_workspace(tmp_path / name, files)
        assert build(ws, today=TODAY, formats=("md", "html", "eml", "ics")).ok
        out = ws / "output" / "acme"
        outputs.append({p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()})
    assert outputs[0] == outputs[1]


# -- workspace languages --------------------------------------------------------------------

TOY_PO = """\
msgid ""
msgstr ""
"Language: eo\\n"
"Content-Type: text/plain; charset=utf-8\\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\\n"

msgid "What is going well"
msgstr "Kio iras bone"

msgid "Where things stand"
msgstr "Kie ni staras"

msgid "%(num)d minute"
msgid_plural "%(num)d minutes"
msgstr[0] "%(num)d minuto"
msgstr[1] "%(num)d minutoj"
"""


def toy_workspace(tmp_path: Path, language: str = "eo", po: str = TOY_PO) -> Path:
    ws = make_workspace(tmp_path, {"acme.yaml": in_language(FULL_CASE, language)})
    folder = ws / "templates" / "locale" / language / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "mend.po").write_text(po, encoding="utf-8")
    return ws


def test_workspace_adds_a_language_and_falls_back_to_english(tmp_path):
    ws = toy_workspace(tmp_path)
    assert build(ws, today=TODAY, formats=("md", "html")).ok
    agenda = (ws / "output" / "acme" / "agenda-2026-11-24.md").read_text("utf-8")
    assert "## 1. Kio iras bone" in agenda
    assert "## 2. Kie ni staras" in agenda
    assert "(30 minutoj)" in agenda
    assert "## 3. How we will move forward" in agenda  # not in the catalog: English
    html = (ws / "output" / "acme" / "agenda-2026-11-24.html").read_text("utf-8")
    assert '<html lang="eo">' in html


def test_check_warns_per_missing_string_of_a_workspace_catalog(tmp_path):
    ws = toy_workspace(tmp_path)
    result = CliRunner().invoke(main, ["check", "--workspace", str(ws), "--today", "2026-11-22"])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if "no translation of" in line]
    assert (
        'warning: templates/locale/eo/LC_MESSAGES/mend.po: no translation of "How we will move '
        'forward" for language eo: it prints in English' in warnings
    )
    assert not any('"What is going well"' in w for w in warnings)
    with (LOCALE / "mend.pot").open("rb") as handle:
        total = sum(1 for m in read_po(handle) if m.id)
    assert len(warnings) == total - 3


def test_check_warns_of_a_misspelt_placeholder(tmp_path):
    po = TOY_PO + '\n#, python-format\nmsgid "Due %(day)s"\nmsgstr "Limdato %(tago)s"\n'
    ws = toy_workspace(tmp_path, po=po)
    result = CliRunner().invoke(main, ["check", "--workspace", str(ws), "--today", "2026-11-22"])
    line = po.splitlines().index('msgid "Due %(day)s"') + 1
    assert (
        f"warning: templates/locale/eo/LC_MESSAGES/mend.po:{line}: unknown named placeholder 'tago'"
        in result.output
    )


def test_workspace_overrides_one_shipped_translation(tmp_path):
    po = 'msgid ""\nmsgstr ""\n"Language: de\\n"\n\nmsgid "What is going well"\nmsgstr "Was schon gut gelingt"\n'
    ws = toy_workspace(tmp_path, "de", po)
    result = CliRunner().invoke(main, ["check", "--workspace", str(ws), "--today", "2026-11-22"])
    assert "no translation of" not in result.output  # the rest comes from the shipped catalog
    assert build(ws, today=TODAY, formats=("md",)).ok
    agenda = (ws / "output" / "acme" / "agenda-2026-11-24.md").read_text("utf-8")
    assert "## 1. Was schon gut gelingt" in agenda
    assert "## 2. Wo wir stehen" in agenda


def test_right_to_left_language_gets_dir(tmp_path):
    po = 'msgid ""\nmsgstr ""\n"Language: he\\n"\n\nmsgid "What is going well"\nmsgstr "מה הולך טוב"\n'
    ws = toy_workspace(tmp_path, "he", po)
    assert build(ws, today=TODAY, formats=("html",), kinds=("agenda",)).ok
    html = (ws / "output" / "acme" / "agenda-2026-11-24.html").read_text("utf-8")
    assert '<html lang="he" dir="rtl">' in html
    assert "מה הולך טוב" in html


def test_check_refuses_a_language_without_catalog(tmp_path):
    ws = make_workspace(tmp_path, {"acme.yaml": in_language(FULL_CASE, "dee")})
    result = CliRunner().invoke(main, ["check", "--workspace", str(ws), "--today", "2026-11-22"])
    assert result.exit_code == 1
    line = FULL_CASE.splitlines().index("timezone: Europe/London") + 2
    assert re.search(
        rf'error: content/acme.yaml:{line}: language: no catalog for language "dee" '
        r"\(known: de, en, fr\): did you mean `de`\?",
        result.output,
    ), result.output


def test_mend_toml_language_is_the_default(tmp_path):
    ws = make_workspace(tmp_path, {"acme.yaml": FULL_CASE})
    (ws / "mend.toml").write_text('language = "de"\n', encoding="utf-8")
    assert build(ws, today=TODAY, formats=("md", "html")).ok
    assert "# Maßnahmenplan:" in (ws / "output" / "acme" / "plan.md").read_text("utf-8")
    index = (ws / "output" / "index.html").read_text("utf-8")
    assert '<html lang="de">' in index and "Fälle" in index
    (ws / "mend.toml").write_text('language = "xx"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "--workspace", str(ws), "--today", "2026-11-22"])
    assert result.exit_code == 1
    assert 'mend.toml: language: no catalog for language "xx"' in result.output


def test_coaching_stays_in_english(tmp_path):
    ws = make_workspace(tmp_path, {"acme.yaml": in_language(FULL_CASE, "de")})
    result = CliRunner().invoke(main, ["check", "--workspace", str(ws), "--today", "2026-12-20"])
    notes = [line for line in result.output.splitlines() if line.startswith("coach:")]
    assert notes and all(re.search(r"[a-z]+ [a-z]+", n) for n in notes)
    assert not any("Meilenstein" in n for n in notes)


# -- the incremental build ----------------------------------------------------------------


def test_catalog_change_rebuilds_only_cases_in_that_language(tmp_path):
    po = 'msgid ""\nmsgstr ""\n"Language: de\\n"\n\nmsgid "What is going well"\nmsgstr "Was gut läuft"\n'
    ws = make_workspace(
        tmp_path,
        {
            "acme.yaml": in_language(FULL_CASE, "de"),
            "other.yaml": in_language(FULL_CASE.replace("id: acme", "id: other"), "fr"),
        },
    )
    folder = ws / "templates" / "locale" / "de" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "mend.po").write_text(po, encoding="utf-8")
    assert build(ws, today=TODAY, formats=("md",)).ok
    (folder / "mend.po").write_text(po.replace("Was gut läuft", "Was schon gut läuft"), "utf-8")
    report = build(ws, today=TODAY, formats=("md",))
    assert report.ok
    assert report.written and all(p.startswith("acme/") for p in report.written), report.written
    assert not any(p.startswith("other/") for p in report.written + report.unchanged)
    agenda = (ws / "output" / "acme" / "agenda-2026-11-24.md").read_text("utf-8")
    assert "## 1. Was schon gut läuft" in agenda


def test_case_switching_language_rebuilds(tmp_path):
    ws = make_workspace(tmp_path, {"acme.yaml": in_language(FULL_CASE, "de")})
    assert build(ws, today=TODAY, formats=("md",)).ok
    plan = ws / "output" / "acme" / "plan.md"
    assert plan.read_text("utf-8").startswith("# Maßnahmenplan:")
    case = ws / "content" / "acme.yaml"
    case.write_text(case.read_text("utf-8").replace("language: de", "language: fr"), "utf-8")
    report = build(ws, today=TODAY, formats=("md",))
    assert "acme/plan.md" in report.written
    assert plan.read_text("utf-8").startswith("# Plan de redressement")


def test_wheel_ships_compiled_catalogs(tmp_path):
    """The build hook compiles every .po into the wheel; the .mo reads as the .po does."""
    import gettext
    import subprocess
    import sys
    import zipfile

    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
         "--no-index", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("mend-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        for language in SHIPPED:
            data = archive.read(f"generator/theme/locale/{language}/LC_MESSAGES/mend.mo")
            compiled = gettext.GNUTranslations(io.BytesIO(data))
            assert compiled.gettext("What is going well") == get_language(language).gettext(
                "What is going well"
            )


ENGLISH_RE = re.compile(r"\b(the|and|of|with|our|we|you|is|are|to|by|for|due|at|on|as)\b")


@pytest.mark.parametrize(
    ("case", "language"), [("alpenmolkerei-erp", "de"), ("librairie-canuts", "fr")]
)
def test_example_cases_hold_no_english_word(tmp_path, case, language):
    """The example workspace's German and French cases, every client-facing file."""
    ws = tmp_path / "example"
    (ws / "content").mkdir(parents=True)
    source = ROOT / "content" / f"{case}.yaml"
    (ws / "content" / source.name).write_bytes(source.read_bytes())
    assert build(ws, today=TODAY, formats=("md", "html", "eml", "ics")).ok
    out = ws / "output" / case
    files = [p for p in out.iterdir() if p.is_file()]
    assert {p.suffix for p in files} == {".md", ".html", ".eml", ".ics"}
    for path in files:
        text = recap_text(path) if path.suffix == ".eml" else path.read_text("utf-8")
        if path.suffix == ".html":
            assert f'<html lang="{language}"' in text
            text = visible_text(text)
        text = re.sub(r"https?://\S+|\S+@\S+", "", text)  # links and addresses
        if path.suffix == ".ics":  # the words, not the iCalendar property names
            text = " ".join(
                re.findall(r"^(?:SUMMARY|DESCRIPTION|X-WR-CALNAME)[^:]*:(.*)$", text, re.M)
            )
        assert ENGLISH_RE.findall(text) == [], path.name
        for word in THEME_WORDS:
            assert word not in text, (path.name, word)


@pytest.mark.parametrize("language", SHIPPED)
def test_notices_and_moves_speak_the_language(tmp_path, language):
    """A cancelled and a moved check-in: the notices, the plan and the agenda say it in the language."""
    case = in_language(FULL_CASE, language).replace(
        "  - date: 2026-11-24\n    kind: check-in\n",
        "  - date: 2026-11-17\n    cancelled: true\n"
        "  - date: 2026-11-25\n    replaces: 2026-11-24\n    kind: check-in\n",
    )
    ws = make_workspace(tmp_path, {"acme.yaml": case})
    report = build(ws, today=TODAY, formats=("md", "html", "eml", "ics"))
    assert report.ok, report.failed
    out = ws / "output" / "acme"
    notices = sorted(out.glob("notice-*.eml"))
    assert notices
    for path in [*notices, *out.glob("plan.*"), *out.glob("agenda-*")]:
        text = recap_text(path) if path.suffix == ".eml" else path.read_text("utf-8")
        if path.suffix == ".html":
            text = visible_text(text)
        for word in [*THEME_WORDS, "Cancelled", "Moved:", "I am writing", "cancelled", "moves to"]:
            assert word not in text, (path.name, word)
    subject = recap_text(notices[0]).splitlines()[0]
    assert subject.startswith({"de": "Subject: Unser ", "fr": "Subject: Notre "}[language])
