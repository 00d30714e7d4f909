"""Event registry: one entry per event kind under `events:` (same interface as randomizers)."""

from __future__ import annotations

import importlib

from ..randomizers import Randomizer

REGISTRY: dict[str, Randomizer] = {}
_BUILTIN: list[str] = []


def register(entry: Randomizer) -> Randomizer:
    if entry.name in REGISTRY:
        raise ValueError(f"event kind {entry.name!r} registered twice")
    REGISTRY[entry.name] = entry
    return entry


def load_builtin() -> dict[str, Randomizer]:
    for module in _BUILTIN:
        importlib.import_module(f"{__name__}.{module}")
    return REGISTRY
