"""What each output was made from, so a rebuild does only what changed.

The manifest (``output/.mend-manifest.json``) records, for every file mend
wrote, a key: a hash of everything that file was made from (the case file,
every template its document uses, ``mend.toml``, mend's version, the
workspace's assets for PDFs, and ``--today`` where the document depends on
it). A rebuild compares keys, in the spirit of Pelican's ``cache.py``, and
skips a case without even parsing it when nothing it depends on moved.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import jinja2.meta

from . import __version__
from .output import atomic_write

if TYPE_CHECKING:
    from .kinds import Kind

MANIFEST_NAME = ".mend-manifest.json"
MANIFEST_FORMAT = 1


def digest(*parts: bytes | str) -> str:
    h = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()[:32]


class Fingerprints:
    """Hashes of templates (with everything they extend, include or import)."""

    def __init__(self, search_path: list[Path], assets: Path | None = None) -> None:
        self.search_path = search_path
        self.assets = assets
        self._trees: dict[str, str] = {}
        self._env = jinja2.Environment()
        self._assets_fp: str | None = None

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
        refs: list[str] | None
        try:
            found = list(jinja2.meta.find_referenced_templates(self._env.parse(source)))
            refs = None if any(r is None for r in found) else [r for r in found if r]
        except jinja2.TemplateSyntaxError:
            refs = []
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

    def output_key(self, *, base: str, case_hash: str, kind: Kind, fmt: str, today: str) -> str:
        """The key of one output file: equal keys mean equal bytes."""
        templates = (self.template(t) for t in kind.templates_for(fmt))
        parts = [base, case_hash, kind.name, fmt, *templates]
        if fmt == "pdf":
            parts.append(self.assets_fingerprint())
        if kind.uses_today:
            parts.append(today)
        return digest(*parts)


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
    #: What each calendar event was last written as (published.Ledger's JSON).
    calendar: dict[str, list[Any]] = field(default_factory=dict)


@dataclass
class Manifest:
    base: str = ""
    cases: dict[str, CaseEntry] = field(default_factory=dict)

    @classmethod
    def load(cls, out: Path) -> Manifest:
        """The manifest of an output folder; an unreadable one means "rebuild all"."""
        try:
            data = json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))
            if data.get("format") != MANIFEST_FORMAT:
                return cls()
            return cls(
                base=data["base"],
                cases={k: CaseEntry(**v) for k, v in data["cases"].items()},
            )
        except (OSError, ValueError, KeyError, TypeError):
            return cls()

    def save(self, out: Path) -> None:
        data = {
            "format": MANIFEST_FORMAT,
            "base": self.base,
            "cases": {k: vars(v) for k, v in sorted(self.cases.items())},
        }
        text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
        atomic_write(out / MANIFEST_NAME, text.encode("utf-8"))
