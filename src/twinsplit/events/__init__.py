"""Event registry: one entry per event kind under `events:` (same interface as randomizers)."""

from __future__ import annotations

from ..randomizers import Registry

REGISTRY = Registry("event kind", __name__, ["person", "obstruction", "alarm", "zone"])
register = REGISTRY.register
load_builtin = REGISTRY.load_builtin
