"""generate --simcheck and verify --simulate: the Newton implementation of write.recheck.VariantCheck (injected
by commands/, since generate and verify sit below sim/ in the import order)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import step, verdict
from .runner import Settings, check_one
from .runtime import load, versions

SOLVER = "XPBD"
DEFAULT_TRIES = 3


def thresholds() -> dict[str, float]:
    """The verdict's thresholds, as recorded in a manifest (metres, seconds, multiples of a body's size)."""
    return {"at_rest_m": verdict.AT_REST_M, "at_rest_of_size": verdict.AT_REST_OF_SIZE,
            "explode_speed_m_s": verdict.EXPLODE_SPEED_M_S, "explode_speed_of_size": verdict.EXPLODE_SPEED_OF_SIZE,
            "explode_displacement_m": verdict.EXPLODE_DISPLACEMENT_M,
            "explode_displacement_of_size": verdict.EXPLODE_DISPLACEMENT_OF_SIZE}


@dataclass
class NewtonCheck:
    """Simulate variant layers in Newton on the CPU (in this process) and name the bodies that fail."""

    settings: Settings
    tries: int = DEFAULT_TRIES

    def __post_init__(self) -> None:
        load()  # no simulator: one clear error (exit 2) before anything is planned or written

    def record(self) -> dict[str, Any]:
        return {"engine": versions(),
                "settings": {"seconds": self.settings.seconds, "hz": self.settings.hz, "solver": SOLVER,
                             "iterations": step.ITERATIONS},
                "thresholds": thresholds()}

    def failures(self, layers: list[tuple[str, Path]], checked: Callable[[str], None] | None = None,
                 ) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for vid, path in layers:
            r = check_one(path, "variant", self.settings)
            if checked is not None:
                checked(vid)
            if r.error is not None:
                out[vid] = [r.error]
            elif bad := [f"{i.message} [{i.rule}]" for i in r.issues]:
                out[vid] = bad
        return out
