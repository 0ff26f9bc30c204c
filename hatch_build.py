"""Compile the theme's gettext catalogs into the wheel.

The ``.po`` files are the sources, kept in the repository; the ``.mo`` files
are built here, when a wheel is made, and shipped beside them in
``generator/theme/locale``, so an installed mend reads compiled catalogs.
Built rather than committed: a committed ``.mo`` is a binary that silently
goes stale when someone edits the ``.po`` and forgets to compile it. A
repository checkout (an editable install) has no ``.mo``, and mend compiles
the ``.po`` in memory instead (``generator/i18n.py``).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CatalogsHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        self._out = Path(tempfile.mkdtemp(prefix="mend-mo-"))
        locale = Path(self.root) / "templates" / "locale"
        for po in sorted(locale.glob("*/LC_MESSAGES/*.po")):
            with po.open("rb") as handle:
                catalog = read_po(handle)
            mo = self._out / po.relative_to(locale).with_suffix(".mo")
            mo.parent.mkdir(parents=True, exist_ok=True)
            with mo.open("wb") as handle:
                write_mo(handle, catalog)
            target = Path("generator/theme/locale") / po.relative_to(locale).with_suffix(".mo")
            build_data["force_include"][str(mo)] = target.as_posix()

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        out = getattr(self, "_out", None)
        if out is not None:
            shutil.rmtree(out, ignore_errors=True)
