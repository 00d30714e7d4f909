"""Event registry: one entry per event kind under `events:` (same interface as randomizers)."""

from __future__ import annotations

import importlib

from ..randomizers import Randomizer

REGISTRY: dict[str, Randomizer] = {}
_BUILTIN: list[str] = ["person", "obstruction", "alarm", "zone"]


def register(entry: Randomizer) -> Randomizer:
    if entry.name in REGISTRY:
        raise ValueError(f"event kind {entry.name!r} registered twice")
    REGISTRY[entry.name] = entry
    return entry


def load_builtin() -> dict[str, Randomizer]:
    for module in _BUILTIN:
        try:
            importlib.import_module(f"{__name__}.{module}")
        except ModuleNotFoundError as exc:  # a kind still being written is simply not offered yet
            if exc.name != f"{__name__}.{module}":
                raise
    return REGISTRY
