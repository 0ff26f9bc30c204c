"""Rendering templates: the Jinja environments, the theme lookup, the filters.

The default theme lives in the repository's ``templates/`` folder and ships
inside the wheel as ``generator/theme``. A workspace's own ``templates/``
folder comes first on the search path, so a file there replaces the default
of the same name, as MkDocs' ``custom_dir`` does.
"""

from __future__ import annotations

import difflib
import re
import traceback
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime, time
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import markdown as markdown_lib
import nh3
from jinja2.environment import TemplateModule
from jinja2.runtime import BlockReference, LoopContext, Macro, TemplateReference
from jinja2.sandbox import SandboxedEnvironment
from markdown.extensions.sane_lists import SaneListExtension
from markdown.extensions.tables import TableExtension
from markupsafe import Markup

from .errors import TemplateError, display_path
from .i18n import (
    CADENCES,
    CASE_STATUSES,
    KIND_TITLES,
    KINDS,
    WEEKDAYS,
    Language,
    get_language,
    upfirst,
)
from .searchpath import search_path, theme_dir  # noqa: F401  # theme_dir: the starter's README names it here

#: What case Markdown may become in HTML: text structure, emphasis, links.
#: Images are left out: a picture in a client's pasted email could point at a
#: local file or a tracking pixel.
ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h3", "h4", "h5", "h6",
    "hr", "i", "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "table", "tbody",
    "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "td": {"align"}, "th": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}
TEXT_SUFFIXES = (".md", ".txt", ".ics")


# -- Markdown ---------------------------------------------------------------------

# Extensions as instances: named, Markdown looks each up among every installed
# package's entry points (importlib.metadata, some 30 ms of a command).
_md = markdown_lib.Markdown(
    extensions=[SaneListExtension(), TableExtension()], output_format="html"
)


#: Lines of plain words: Unicode letters and digits (no ``_``), spaces,
#: and punctuation that no Markdown construct is made of or starts with
#: (within a line), each line starting with a letter (``1.`` starts a list,
#: ``-`` a list or an underline, ``=`` an underline) and not ending with a
#: space (two make a line break), one newline between lines (two start a
#: paragraph), one at the end at most. Markdown makes such a text one
#: paragraph of the same lines, ``<p>lines</p>``, which the cleaner keeps as
#: it is (it escapes only ``&``, ``<``, ``>`` and a no-break space in text),
#: so it is written so without either: a quarter of a millisecond a text,
#: and 43 of the 57 texts of the repo's content/ examples. tests/test_render.py
#: checks that the two agree on such texts.
_PLAIN_LINE = r"""[^\W\d_](?:[^\W_]|[ ,.;:!?'()/"%+=@$£€-])*(?<! )"""
_PLAIN_LINES_RE = re.compile(rf"{_PLAIN_LINE}(?:\n{_PLAIN_LINE})*\n?")


@lru_cache(maxsize=4096)
def markdown_to_html(text: str) -> Markup:
    """Render case Markdown to HTML that is safe to put in any page or email."""
    if _PLAIN_LINES_RE.fullmatch(text):
        return Markup(f"<p>{text.removesuffix(chr(10))}</p>")
    return Markup(_convert(text))


def _convert(text: str) -> str:
    """Markdown, then the cleaner: what every text but plain lines goes through."""
    html = _md.reset().convert(text)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    )


class MarkdownText(str):
    """Markdown that :func:`sanitize_markdown` already made safe to print."""


_TAG_START_RE = re.compile(r"<(?=[A-Za-z/!?])(?!(?:https?|mailto):)")  # not an autolink
# Link syntax as CommonMark reads it, closely enough that what a viewer
# would make a link or an image is matched whole: a label with one level of
# nested brackets, a destination in <...> or with balanced parentheses (as
# in ``javascript:alert(1)``), an optional title.
_LABEL = r"\[((?:[^\[\]\n]|\[[^\[\]\n]*\])*)\]"
_DEST = r"(<[^<>\n]*>|(?:[^\s()<>]|\([^\s()]*\))*)"
_TITLE = r"""(?:\s+(?:"[^"]*"|'[^']*'|\([^()]*\)))?"""
_IMAGE_RE = re.compile(r"!" + _LABEL + r"\(\s*" + _DEST + _TITLE + r"\s*\)")
_LINK_RE = re.compile(_LABEL + r"\(\s*" + _DEST + _TITLE + r"\s*\)")
# A reference definition, its destination on the same line or the next one.
_REFDEF_RE = re.compile(
    r"^ {0,3}\[[^\]\n]+\]:[ \t]*(?:\n[ \t]*)?(<[^<>\n]*>|\S*)(?:[ \t].*)?$", re.MULTILINE
)
_SAFE_URL_RE = re.compile(r"^(https?:|mailto:)", re.IGNORECASE)


def _safe_url(url: str) -> bool:
    return bool(_SAFE_URL_RE.match(url.strip("<> \t")))


def _safe_link(match: re.Match[str]) -> str:
    return match[0] if _safe_url(match[2]) else match[1]


def sanitize_markdown(text: str) -> MarkdownText:
    """Keep case Markdown as Markdown, without raw HTML, images or unsafe links.

    Raw HTML is escaped so it shows as the text it was; an image keeps its
    alt text; a link to anything but http(s) or mailto keeps its label only,
    and such a reference definition goes. A ``![`` left over (a reference
    image, ``![logo][1]``) is escaped, so no viewer fetches a picture.
    """
    text = _IMAGE_RE.sub(r"\1", text)
    text = text.replace("![", "!\\[")
    text = _LINK_RE.sub(_safe_link, text)
    text = _REFDEF_RE.sub(lambda m: m[0] if _safe_url(m[1]) else "", text)
    # Last, so that a destination in <...> was read as one by the steps above.
    text = _TAG_START_RE.sub("&lt;", text)
    return MarkdownText(text.strip())


_MD_SPECIAL_RE = re.compile(r"([\\`*_\[\]<>|#])")


def escape_markdown(value: str) -> str:
    """Plain text for a Markdown document: it prints as the text it is.

    A one-line field such as a name or a decision must not turn into a link
    or a heading in a Markdown viewer, whatever characters it holds.
    """
    return _MD_SPECIAL_RE.sub(r"\\\1", value)


# -- dates --------------------------------------------------------------------------


def long_date(value: date | None) -> str:
    """``Tuesday 24 November 2026``: unambiguous in every English locale."""
    if value is None:
        return ""
    return f"{value:%A} {value.day} {value:%B %Y}"


def short_date(value: date | None) -> str:
    if value is None:
        return ""
    return f"{value.day} {value:%b %Y}"


def clock(value: time | datetime | None) -> str:
    return "" if value is None else f"{value:%H:%M}"


def _md_filter(text: str | None) -> MarkdownText:
    if isinstance(text, MarkdownText):  # the Markdown view sanitised it already
        return text
    return sanitize_markdown(text or "")


def _html_md_filter(text: str | None) -> Markup:
    return markdown_to_html(text or "")


def _indent_md(text: str, width: int = 2) -> str:
    return MarkdownText(text.replace("\n", "\n" + " " * width))


# -- the language ------------------------------------------------------------------
#
# One environment serves every case, whatever its language: the translations
# are not installed on the environment but read from the render's context
# (``i18n``, a Language), by callables Jinja's i18n extension calls with the
# context. A template rendered without one (a test's) speaks English.

_ENGLISH = get_language(None)


def _language_of(context: Any) -> Language:
    # ``context.get("i18n")`` without its method calls: the template's own
    # variables first, then what it was rendered with, as Jinja resolves a name.
    names = context.vars
    lang = names["i18n"] if "i18n" in names else context.parent.get("i18n")
    return lang if isinstance(lang, Language) else _ENGLISH


# The theme's gettext calls, each one function: Jinja's newstyle callables
# (``jinja2.ext._make_new_gettext`` and its siblings) wrap the translation
# function in another context call, and ``_`` in a third; on a plan that
# prints 150 fixed words, those calls were a fifth of the render. These do
# what the wrappers do (the translation is Markup in an autoescaped template,
# so its variables are escaped; it is always a format string), in one call.


@jinja2.pass_context
def _gettext(context: Any, message: str, /, **variables: Any) -> str:
    return _translate(context, message, variables)


def _translate(context: Any, message: str, variables: dict[str, Any]) -> str:
    """``gettext(message, **variables)`` in ``context``: what :func:`_gettext` returns."""
    lang = _language_of(context)
    if not context.eval_ctx.autoescape:
        rv = lang.gettext(message)
    elif type(message) is str:
        rv = _markup_of(lang, message)
    else:
        rv = Markup(lang.gettext(message))
    return rv % variables if variables or "%" in rv else rv


#: Each language's translations as Markup, by the Language's id: an entry
#: holds its Language, so the id is not reused while the entry lives. A
#: Language's catalog never changes (an edited catalog is a new Language).
_markups: dict[int, tuple[Language, dict[str, Markup]]] = {}


def _markup_of(lang: Language, message: str) -> Markup:
    """``Markup(lang.gettext(message))``, made once a language and message."""
    entry = _markups.get(id(lang))
    if entry is None:
        if len(_markups) > 64:
            _markups.clear()
        entry = _markups[id(lang)] = (lang, {})
    words = entry[1]
    rv = words.get(message)
    if rv is None:
        if len(words) > 4096:  # a template translating case text: keep it bounded
            words.clear()
        rv = words[message] = Markup(lang.gettext(message))
    return rv


def _formatted(context: Any, rv: str, variables: dict[str, Any]) -> str:
    """A translation filled in as Jinja's newstyle wrappers do: Markup when autoescaped."""
    if context.eval_ctx.autoescape:
        rv = Markup(rv)
    return rv % variables


@jinja2.pass_context
def _ngettext(context: Any, singular: str, plural: str, n: int, /, **variables: Any) -> str:
    variables.setdefault("num", n)
    return _formatted(context, _language_of(context).ngettext(singular, plural, n), variables)


@jinja2.pass_context
def _pgettext(context: Any, ctx: str, message: str, /, **variables: Any) -> str:
    variables.setdefault("context", ctx)
    return _formatted(context, _language_of(context).pgettext(ctx, message), variables)


@jinja2.pass_context
def _npgettext(
    context: Any, ctx: str, singular: str, plural: str, n: int, /, **variables: Any
) -> str:
    variables.setdefault("context", ctx)
    variables.setdefault("num", n)
    return _formatted(context, _language_of(context).npgettext(ctx, singular, plural, n), variables)


@jinja2.pass_context
def _underscore(context: Any, /, *args: Any, **kwargs: Any) -> Any:
    """``_``: the ``gettext`` the template sees, as Jinja's alias calls it."""
    if "gettext" not in context.vars and context.parent.get("gettext") is _gettext:
        return _gettext(context, *args, **kwargs)
    return context.call(context.resolve("gettext"), *args, **kwargs)


#: Our own callables, which need no sandbox check and take the context:
#: :meth:`_Environment.call` calls them directly.
_TRANSLATORS = frozenset(map(id, (_underscore, _gettext, _ngettext, _pgettext, _npgettext)))
#: The names they look up in the context (and its eval context, which a
#: derived context shares).
_TRANSLATOR_NAMES = frozenset({"i18n", "gettext"})


@jinja2.pass_context
def _longdate_filter(context: Any, value: date | None) -> str:
    return _language_of(context).long_date(value)


@jinja2.pass_context
def _shortdate_filter(context: Any, value: date | None) -> str:
    return _language_of(context).short_date(value)


@jinja2.pass_context
def _conjoin_filter(context: Any, items: Sequence[str]) -> str:
    return _language_of(context).conjoin(items)


def _phrase_filter(table: dict[str, str]) -> Any:
    @jinja2.pass_context
    def phrase(context: Any, value: str) -> str:
        return _language_of(context).phrase(table, value)

    return phrase


# -- the renderer -----------------------------------------------------------------


@lru_cache(maxsize=1)
def _bytecode_cache() -> jinja2.BytecodeCache | None:
    try:
        return jinja2.FileSystemBytecodeCache()
    except (OSError, RuntimeError):  # no usable temp dir: compile every time
        return None


_renderers: dict[tuple[object, ...], Renderer] = {}


def get_renderer(workspace: Path | None) -> Renderer:
    """One renderer per workspace and process, so templates compile once.

    The key includes the files of the workspace's ``templates/`` and their
    times: a new override must shadow a default that is already compiled,
    which Jinja's own reload check (per file) would miss.
    """
    overrides: tuple[tuple[str, int], ...] = ()
    folder = workspace / "templates" if workspace else None
    if folder is not None and folder.is_dir():
        overrides = tuple(
            sorted((str(p), p.stat().st_mtime_ns) for p in folder.rglob("*") if p.is_file())
        )
    key = (str(workspace.resolve()) if workspace else "", overrides)
    renderer = _renderers.get(key)
    if renderer is None:
        if len(_renderers) > 16:
            _renderers.clear()
        renderer = _renderers[key] = Renderer(workspace)
    return renderer


_JINJA_OBJECTS = (TemplateModule, LoopContext, TemplateReference)
_PLAIN_VALUES = (Macro, BlockReference, bool, int)
_MISSING = object()


class _Environment(SandboxedEnvironment):
    """A sandbox that looks keys of plain dicts up first.

    Sandboxed, because a template may be copied from anywhere: it can print
    and loop over what its view holds, but not reach Python's internals
    (``cycler.__init__.__globals__``) to read files or the unredacted case,
    so the audience rule holds against a template that tries.

    Dict keys first, because views are dicts and Jinja's default (attribute
    first, then item) raises and catches an AttributeError for every field
    a template prints.
    """

    def call(self, context: Any, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        """Call from template code; the theme's gettext functions without the detour.

        They are ours and safe, and take the context, as
        :meth:`jinja2.runtime.Context.call` would give it (derived with the
        loop's or block's variables); a macro (26,725 calls on 150 cases) is
        called as Context.call would; anything else goes through the
        sandbox's check.
        """
        if id(obj) in _TRANSLATORS:
            # Context.call would derive a context holding the variables a
            # loop or block set; these functions read only the names in
            # _TRANSLATOR_NAMES from it, which resolve the same in both
            # unless the loop or block set one of them: only then derive.
            loop_vars = kwargs.pop("_loop_vars", None)
            block_vars = kwargs.pop("_block_vars", None)
            if loop_vars and not _TRANSLATOR_NAMES.isdisjoint(loop_vars):
                context = context.derived(loop_vars)
            if block_vars and not _TRANSLATOR_NAMES.isdisjoint(block_vars):
                context = context.derived(block_vars)
            if len(args) == 1 and (
                obj is _gettext
                or (
                    obj is _underscore
                    and "gettext" not in context.vars
                    and context.parent.get("gettext") is _gettext
                )
            ):
                # ``_("Plan")`` (85,855 calls on 150 cases): what _underscore
                # and _gettext would do, without their two calls.
                return _translate(context, args[0], kwargs)
            return obj(context, *args, **kwargs)
        if type(obj) is Macro:
            # A template's own macro: safe, and its __call__ takes the eval
            # context (which decides its escaping), so what Context.call
            # does for it is passing that, dropping these two, and calling.
            kwargs.pop("_loop_vars", None)
            kwargs.pop("_block_vars", None)
            try:
                return obj(context.eval_ctx, *args, **kwargs)
            except StopIteration:
                return self.undefined(
                    "value was undefined because a callable raised a StopIteration exception"
                )
        return super().call(context, obj, *args, **kwargs)

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        elif type(obj) in _JINJA_OBJECTS and attribute[:1] != "_":
            # ``ui.bullets``, ``loop.last``, ``self.kicker``: Jinja's own
            # objects, whose public attributes the sandbox allows; for these
            # values (no method, so no str.format to wrap) its checks pass.
            value = getattr(obj, attribute, _MISSING)
            if type(value) in _PLAIN_VALUES:
                return value
        return super().getattr(obj, attribute)


class Renderer:
    """Two Jinja environments over one search path: HTML (autoescaped) and text.

    ``StrictUndefined`` makes a template that names a missing field fail
    loudly, and the client view has no internal field to name, so a
    client-facing template cannot print one by mistake.
    """

    def __init__(self, workspace: Path | None = None, extra_dirs: Sequence[Path] = ()) -> None:
        self.workspace = workspace
        search = search_path(workspace, extra_dirs)
        self.search_path = search
        loader = jinja2.FileSystemLoader([str(p) for p in search])
        common = {
            "loader": loader,
            "undefined": jinja2.StrictUndefined,
            "trim_blocks": True,
            "lstrip_blocks": True,
            "keep_trailing_newline": True,
            # A stat per template lookup: `mend serve` sees edited templates.
            "auto_reload": True,
            "cache_size": 400,
            # Compiled templates are kept between runs (in a private folder
            # of the temp dir), which saves a short command most of its
            # template cost.
            "bytecode_cache": _bytecode_cache(),
            # Every fixed word of the theme goes through gettext (newstyle:
            # ``_("Due %(day)s", day=...)``, with variables escaped in HTML).
            "extensions": ["jinja2.ext.i18n"],
        }
        self.html = _Environment(autoescape=True, **common)
        # Markdown keeps the newline after a block tag: a line that ends in
        # {% endif %} must still end. writers/md.py tidies the blank lines.
        self.text = _Environment(autoescape=False, **{**common, "trim_blocks": False})
        for env, md in ((self.html, _html_md_filter), (self.text, _md_filter)):
            # Newstyle, as Jinja's own would be (``{% trans %}`` compiles for
            # it), with the one-call functions above in place of its wrappers.
            env.newstyle_gettext = True  # type: ignore[attr-defined]
            env.globals.update(
                _=_underscore,
                gettext=_gettext,
                ngettext=_ngettext,
                pgettext=_pgettext,
                npgettext=_npgettext,
            )
            env.filters.update(
                markdown=md,
                longdate=_longdate_filter,
                shortdate=_shortdate_filter,
                clock=clock,
                indent_md=_indent_md,
                conjoin=_conjoin_filter,
                upfirst=upfirst,
                weekdays=_phrase_filter(WEEKDAYS),
                cadence=_phrase_filter(CADENCES),
                kind=_phrase_filter(KINDS),
                kind_title=_phrase_filter(KIND_TITLES),
                case_status=_phrase_filter(CASE_STATUSES),
            )

    def environment(self, name: str) -> jinja2.Environment:
        return self.text if name.endswith(TEXT_SUFFIXES) else self.html

    def source_path(self, name: str) -> Path | None:
        """The file a template name resolves to, to name it in an error."""
        for folder in self.search_path:
            candidate = folder / name
            if candidate.is_file():
                return candidate
        return None

    def render(self, name: str, context: Mapping[str, Any]) -> str:
        """Render one template; turn every Jinja failure into a TemplateError.

        Every message starts with the template's file and line, as the user
        would open it (``templates/html/plan.html:12``, or the theme's
        file), found in the traceback Jinja rewrites to template lines.
        """
        env = self.environment(name)
        try:
            return env.get_template(name).render(context)
        except jinja2.TemplateNotFound as exc:
            raise TemplateError(f"template not found: {exc.name}") from None
        except jinja2.TemplateSyntaxError as exc:
            where = self._show(exc.filename, exc.lineno) if exc.filename else f"{exc.name}"
            raise TemplateError(f"{where}: template syntax error: {exc.message}") from None
        except jinja2.UndefinedError as exc:
            where = self._where(exc, name)
            raise TemplateError(f"{where}: {_undefined_message(exc, context)}") from None
        except TemplateError:
            raise
        except Exception as exc:  # a filter or test in a user's template failed
            where = self._where(exc, name)
            raise TemplateError(f"{where}: {type(exc).__name__}: {exc}") from None

    def _where(self, exc: BaseException, name: str) -> str:
        """``file:line`` of the innermost template frame of ``exc``'s traceback."""
        folders = [str(folder.resolve()) for folder in self.search_path]
        for frame in reversed(traceback.extract_tb(exc.__traceback__)):
            try:
                resolved = str(Path(frame.filename).resolve())
            except (OSError, ValueError):
                continue
            if any(resolved.startswith(folder.rstrip("/") + "/") for folder in folders):
                return self._show(frame.filename, frame.lineno)
        path = self.source_path(name)
        return self._show(str(path), None) if path else name

    def _show(self, filename: str, line: int | None) -> str:
        shown = display_path(Path(filename), self.workspace)
        return shown if line is None else f"{shown}:{line}"


_UNDEFINED_RE = re.compile(r"has no attribute '([^']*)'|^'([^']*)' is undefined")


def _undefined_message(exc: jinja2.UndefinedError, context: Mapping[str, Any]) -> str:
    """An internal field is the audience rule; anything else is an unknown name.

    The last names of the case's internal fields: a template that reaches
    for one in a client document was refused it on purpose, not misspelt.
    """
    from .model import INTERNAL_FIELDS  # the models load only when a template fails

    match = _UNDEFINED_RE.search(exc.message or "")
    if match is None:
        return exc.message or "undefined value"
    name = match[1] if match[1] is not None else match[2]
    if name in {path[-1] for path in INTERNAL_FIELDS}:
        return (
            f"`{name}` is an internal field: a client-facing document cannot use "
            "internal fields (they appear only in internal/ documents)"
        )
    close = difflib.get_close_matches(name, sorted(set(_names_in(context))), n=1, cutoff=0.7)
    return f"unknown name `{name}`" + (f" (did you mean `{close[0]}`?)" if close else "")


def _names_in(value: Any, depth: int = 0) -> Iterator[str]:
    """Every key a template could name in its context, for "did you mean"."""
    if depth > 6:
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str):
                yield key
                yield from _names_in(item, depth + 1)
    elif isinstance(value, list | tuple) and value:
        yield from _names_in(value[0], depth + 1)
