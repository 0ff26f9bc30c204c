"""Writers: one module a format, each turning a document into bytes.

Every writer module defines ``write(doc, source, ctx) -> bytes``; the build
decides where the bytes go and writes them (``output.py``).
Writers are imported only when their format is built, so that ``mend check``
never pays for WeasyPrint or pyHanko.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..case import Locator
    from ..config import Config
    from ..documents import Document
    from ..model import Case
    from ..render import Renderer

from ..published import Ledger


@dataclass
class Source:
    """What a writer may read: the case (redacted for client documents) and its view.

    Nothing here holds an internal field for a client document: ``case`` is
    the redacted copy, ``view`` was built from it, and ``where`` knows only
    the lines of fields, to blame one in a message.
    """

    where: Locator
    case: Case
    view: dict[str, Any]


@dataclass
class BuildContext:
    """Settings shared by every document of a build."""

    workspace: Path
    config: Config
    renderer: Renderer
    today: date
    warnings: list[str] = field(default_factory=list)
    #: The calendar events this case's earlier builds wrote (the manifest's),
    #: updated as this build writes them.
    ledger: Ledger = field(default_factory=Ledger)

    def warn(self, message: str) -> None:
        self.warnings.append(message)


Writer = Callable[["Document", Source, BuildContext], bytes]


def get_writer(fmt: str) -> Writer:
    """The ``write`` function of a format's module, imported on first use."""
    module = importlib.import_module(f"{__name__}.{fmt}")
    return module.write


def template_context(doc: Document, source: Source, fmt: str) -> dict[str, Any]:
    return {**source.view, "doc": doc, "format": fmt}
