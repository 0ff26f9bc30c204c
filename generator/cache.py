"""What each output was made from, so a rebuild does only what changed.

The manifest (``output/.mend-manifest.json``) records, for every file mend
wrote, a key: a hash of everything that file was made from (the case file,
every template its document uses, the catalogs of the case's language,
``mend.toml``, mend's version, the workspace's assets for PDFs, and
``--today`` where the document depends on it). A change to the German
catalog so rebuilds the German cases only. A rebuild compares keys, in the spirit of Pelican's ``cache.py``, and
skips a case without even parsing it when nothing it depends on moved.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .output import atomic_write

if TYPE_CHECKING:
    import jinja2

    from .kinds import Kind

MANIFEST_NAME = ".mend-manifest.json"
MANIFEST_FORMAT = 1


def digest(*parts: bytes | str) -> str:
    return hashlib.sha256(framed(parts)).hexdigest()[:32]


def framed(parts: Iterable[bytes | str]) -> bytes:
    """The parts as :func:`digest` hashes them: each its length, then its bytes.

    One buffer for one ``sha256`` call, rather than two updates a part: a
    rebuild checks 16,000 keys, and the calls were most of their cost.
    """
    out = []
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        out.append(len(data).to_bytes(8, "little"))
        out.append(data)
    return b"".join(out)


_MISSING = object()
#: What each template source names (see :func:`references`), by its key.
_known_references: dict[str, list[str] | None] = {}


def references(
    source: str,
    env: jinja2.Environment | None = None,
    known: dict[str, Any] | None = None,
    seen: dict[str, Any] | None = None,
) -> list[str] | None:
    """The templates a template's source extends, includes or imports.

    ``None`` when one of them is a name computed at run time; ``[]`` when
    the source does not parse here. Parsing is what a one-case command
    paid most for its keys (26 theme templates, a second), so the answer
    is kept, in this process and in a file beside Jinja's compiled
    templates (its private folder in the temp dir), under a hash of the
    source and Jinja's code (:func:`_jinja_stamp`): what the answer depends
    on. A cache file that cannot be read or holds anything else is parsed
    again. ``known`` is a build's own store (the manifest's), looked in
    before the file, so that a rebuild in which nothing changed never
    imports Jinja; every answer given is put in ``seen``, for the next.
    """
    key = digest("references", _jinja_stamp(), source)
    found = _known_references.get(key, _MISSING)
    if found is _MISSING and known is not None:
        found = _valid_references(known.get(key, _MISSING))
    if found is _MISSING:
        found = _stored_references(key)
        if found is _MISSING:
            found = _parse_references(source, env)
            _store_references(key, found)
    if len(_known_references) > 4096:
        _known_references.clear()
    _known_references[key] = found  # type: ignore[assignment]
    if seen is not None:
        seen[key] = found
    return found  # type: ignore[return-value]


def _parse_references(source: str, env: jinja2.Environment | None) -> list[str] | None:
    import jinja2
    import jinja2.meta

    try:
        parsed = (env or jinja2.Environment()).parse(source)
        names = list(jinja2.meta.find_referenced_templates(parsed))
    except jinja2.TemplateSyntaxError:
        return []
    return None if any(r is None for r in names) else [r for r in names if r]


@functools.lru_cache(maxsize=1)
def _jinja_stamp() -> str:
    """Which Jinja parses here, without importing it: a hash of its package's
    ``__init__.py``, which names its version (its version, once imported)."""
    import importlib.util

    spec = importlib.util.find_spec("jinja2")
    try:
        assert spec is not None and spec.origin is not None
        with open(spec.origin, "rb") as handle:
            return digest("jinja2", handle.read())
    except (AssertionError, OSError):
        import jinja2

        return digest("jinja2", jinja2.__version__)


def _valid_references(data: object) -> object:
    """``data`` if it is an answer :func:`references` gives, else ``_MISSING``."""
    if data is None or (isinstance(data, list) and all(isinstance(n, str) for n in data)):
        return data
    return _MISSING


def _references_file(key: str) -> Path | None:
    """Beside Jinja's compiled templates, in the folder the renderer keeps them in."""
    import jinja2

    try:  # as render._bytecode_cache, without importing what renders
        folder = jinja2.FileSystemBytecodeCache().directory
    except (OSError, RuntimeError):  # no usable temp dir: parsed every time
        return None
    return Path(folder) / f"mend-references-{key}.json"


def _stored_references(key: str) -> object:
    path = _references_file(key)
    if path is None:
        return _MISSING
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return _MISSING
    return _valid_references(data)


def _store_references(key: str, refs: list[str] | None) -> None:
    path = _references_file(key)
    if path is not None:
        with contextlib.suppress(OSError):  # not kept: parsed again next time
            atomic_write(path, json.dumps(refs).encode("utf-8"), mode=0o600)


class Fingerprints:
    """Hashes of templates (with everything they extend, include or import)."""

    def __init__(
        self,
        search_path: list[Path],
        assets: Path | None = None,
        workspace: Path | None = None,
        known_references: dict[str, Any] | None = None,
    ) -> None:
        self.search_path = search_path
        #: Answers of :func:`references` a build kept (the manifest's), and
        #: those this one gave, to keep for the next.
        self.known_references = known_references
        self.seen_references: dict[str, Any] = {}
        self.assets = assets
        self.workspace = workspace
        self._catalogs: dict[str, str] = {}
        self._trees: dict[str, str] = {}
        self._assets_fp: str | None = None
        #: What every case's key of a kind and format ends with (see tail).
        self._tails: dict[tuple[object, ...], bytes] = {}

    def _find(self, name: str) -> Path | None:
        for folder in self.search_path:
            path = folder / name
            if path.is_file():
                return path
        return None

    def _file(self, name: str) -> tuple[str, list[str] | None]:
        path = self._find(name)
        if path is None:
            return "missing", []
        source = path.read_text(encoding="utf-8")
        refs = references(source, None, self.known_references, self.seen_references)
        return digest(str(path), source), refs

    def template(self, name: str) -> str:
        """One hash for a template and, transitively, every template it names."""
        if name in self._trees:
            return self._trees[name]
        seen: dict[str, str] = {}
        todo = [name]
        dynamic = False
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            fp, refs = self._file(current)
            seen[current] = fp
            if refs is None:  # a template name computed at run time: depend on all
                dynamic = True
                refs = []
            todo.extend(refs)
        if dynamic:
            seen["*"] = self.all_templates()
        self._trees[name] = digest(*(f"{k}={v}" for k, v in sorted(seen.items())))
        return self._trees[name]

    def all_templates(self) -> str:
        parts = []
        for folder in self.search_path:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    parts.append(digest(str(path), path.read_bytes()))
        return digest(*parts)

    def assets_fingerprint(self) -> str:
        if self._assets_fp is None:
            parts = []
            if self.assets is not None and self.assets.is_dir():
                for path in sorted(self.assets.rglob("*")):
                    if path.is_file():
                        stat = path.stat()
                        parts.append(f"{path}:{stat.st_size}:{stat.st_mtime_ns}")
            self._assets_fp = digest(*parts)
        return self._assets_fp

    def catalog(self, language: str) -> str:
        """One hash for the catalog files a language reads ("" for English)."""
        if language not in self._catalogs:
            from .i18n import catalog_fingerprint

            self._catalogs[language] = catalog_fingerprint(language, self.workspace)
        return self._catalogs[language]

    def output_key(
        self, *, base: str, case_hash: str, kind: Kind, fmt: str, today: str, language: str = ""
    ) -> str:
        """The key of one output file: equal keys mean equal bytes.

        A hash of the base, the case, and what a kind and format depend on
        besides (its templates, the language's catalog, the assets for a
        PDF, ``--today`` if it uses the date); that last part is the same for
        every case, so it is framed once a build (:meth:`tail`).
        """
        return self.key_with(framed((base, case_hash)), self.tail(kind, fmt, today, language))

    @staticmethod
    def key_with(head: bytes, tail: bytes) -> str:
        """:meth:`output_key` from its two halves framed: ``head`` is
        ``framed((base, case_hash))``, the same for all of a case's outputs."""
        return hashlib.sha256(head + tail).hexdigest()[:32]

    def tail(self, kind: Kind, fmt: str, today: str, language: str) -> bytes:
        """What the key of each case's output of this kind and format ends with, framed."""
        templates = tuple(kind.templates_for(fmt))
        memo = (kind.name, fmt, templates, kind.uses_today and today, language)
        tail = self._tails.get(memo)
        if tail is None:
            parts = [kind.name, fmt, *(self.template(t) for t in templates)]
            catalog = self.catalog(language) if language else ""
            if catalog:  # English has none: its keys are what they were before catalogs
                parts.append(catalog)
            if fmt == "pdf":
                parts.append(self.assets_fingerprint())
            if kind.uses_today:
                parts.append(today)
            tail = self._tails[memo] = framed(parts)
        return tail


def base_key(config_bytes: bytes) -> str:
    """What every output depends on: mend's version and the workspace settings."""
    return digest(__version__, str(MANIFEST_FORMAT), config_bytes)


@dataclass
class CaseEntry:
    """What the last successful build of one case file produced."""

    id: str
    hash: str
    today: str
    kinds: list[str]
    formats: list[str]
    outputs: dict[str, dict[str, str]]  # relpath -> {"kind", "fmt", "key"}
    summary: dict[str, Any] = field(default_factory=dict)
    #: The case's language, so a skip check needs not parse the case.
    language: str = ""
    #: What each calendar event was last written as (published.Ledger's JSON).
    calendar: dict[str, list[Any]] = field(default_factory=dict)


@dataclass
class Manifest:
    base: str = ""
    cases: dict[str, CaseEntry] = field(default_factory=dict)
    #: ``output/index.html``'s key (see ``build.index_key``) and the digest
    #: of the bytes written for it: empty until an index is written.
    index: dict[str, str] = field(default_factory=dict)
    #: What each template source names (cache.references), as the last build
    #: looked them up: a rebuild reads them here rather than importing Jinja.
    references: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, out: Path) -> Manifest:
        """The manifest of an output folder; an unreadable one means "rebuild all"."""
        try:
            data = json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))
            if data.get("format") != MANIFEST_FORMAT:
                return cls()
            index = data.get("index", {})
            if not isinstance(index, dict):  # not ours: the index is rendered again
                index = {}
            refs = data.get("references", {})
            if not isinstance(refs, dict):  # not ours: looked up again (each is checked)
                refs = {}
            return cls(
                base=data["base"],
                cases={k: CaseEntry(**v) for k, v in data["cases"].items()},
                index=index,
                references=refs,
            )
        except (OSError, ValueError, KeyError, TypeError):
            return cls()

    def save(self, out: Path) -> None:
        data = {
            "format": MANIFEST_FORMAT,
            "base": self.base,
            "cases": {k: vars(v) for k, v in sorted(self.cases.items())},
            "index": self.index,
            "references": self.references,
        }
        text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
        atomic_write(out / MANIFEST_NAME, text.encode("utf-8"))
