"""Where templates are found: the default theme, and a workspace's own before it.

One rule for the renderer, which loads templates from these folders, and
for the build's fingerprints, which hash the same files: a rebuild in which
nothing changed needs the folders but not the renderer (Jinja's
environments and Markdown), so the rule lives here, with no import of
either.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def theme_dir() -> Path:
    """The default theme: inside the installed package, else the repo's ``templates/``."""
    here = Path(__file__).resolve().parent
    packaged = here / "theme"
    return packaged if packaged.is_dir() else here.parent / "templates"


def search_path(workspace: Path | None, extra_dirs: Sequence[Path] = ()) -> list[Path]:
    """The folders templates are looked up in, first match first.

    ``extra_dirs``, then the workspace's ``templates/`` (which overrides any
    file of the theme by the same name), then the theme, unless it is one of
    them already (the repo's own ``templates/`` is the theme).
    """
    search = [*extra_dirs]
    if workspace is not None and (workspace / "templates").is_dir():
        search.append(workspace / "templates")
    theme = theme_dir()
    if not any(_same(theme, p) for p in search):
        search.append(theme)
    return search


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False
