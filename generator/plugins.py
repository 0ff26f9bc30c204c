"""Pydantic's plugins, looked for only when they may be used.

mend uses no pydantic plugin, and its CLI switches them off
(``PYDANTIC_DISABLE_PLUGINS=__all__``, unless the user set the variable).
But pydantic asks ``pydantic.plugin._loader.get_plugins()`` each time it
builds a validator, and that module imports :mod:`importlib.metadata` (and
with it :mod:`email`, :mod:`zipfile`, :mod:`csv`...) before it ever reads
the variable: some 40 ms of every command that reads a case, for a list it
then ignores.

:func:`defer_plugin_lookup` puts a stand-in for that module in its place,
whose ``get_plugins()`` answers exactly as pydantic's does when plugins are
off, and otherwise hands over to pydantic's own module, imported then; any
other name asked of it comes from the real module too. Nothing changes for
a user who enables plugins, nor for a pydantic that no longer calls them
this way (the stand-in is then never asked).
"""

from __future__ import annotations

import importlib
import os
import sys
import types
from collections.abc import Iterable
from typing import Any

_LOADER = "pydantic.plugin._loader"
#: The values of PYDANTIC_DISABLE_PLUGINS with which pydantic loads none.
_ALL_OFF = ("__all__", "1", "true")


def _real_loader() -> types.ModuleType:
    """pydantic's own loader module, in the place of the stand-in from now on."""
    stand_in = sys.modules.get(_LOADER)
    if isinstance(stand_in, _StandIn):
        del sys.modules[_LOADER]
    return importlib.import_module(_LOADER)


class _StandIn(types.ModuleType):
    def get_plugins(self) -> Iterable[Any]:
        if os.getenv("PYDANTIC_DISABLE_PLUGINS") in _ALL_OFF:
            return ()
        return _real_loader().get_plugins()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # what introspection asks every module
            raise AttributeError(name)
        return getattr(_real_loader(), name)


def defer_plugin_lookup() -> None:
    """Install the stand-in, unless pydantic's loader is imported already."""
    if _LOADER not in sys.modules:
        sys.modules[_LOADER] = _StandIn(_LOADER, __doc__)
