"""A module imported on first use: the store's read and write modules a command may not need.

``temporal-lineage tables`` reads through one of the reader's dozen read modules; importing
them all cost about a tenth of its start-up (bench/startup.py).
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule:
    """Stands for the module ``name``; the first attribute read imports it (thread-safe:
    ``importlib`` holds the import lock), later ones find it imported."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attribute: str) -> Any:
        module = self._module
        if module is None:
            module = self._module = importlib.import_module(self._name)
        return getattr(module, attribute)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}>"
