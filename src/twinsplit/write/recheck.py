"""generate --simcheck: written variants that a simulator rejects are redrawn from their own streams.

The simulator lives above generate (sim/ imports verify and validate), so generate only knows the small
`VariantCheck` protocol below; commands/generate_cmd.py injects the Newton implementation (sim/variant_check.py).

A rejected variant is re-planned with one more skip: `make_plan(skips={(split, index): k})` draws variant index's
acceptable draws from its own streams and keeps the (k+1)-th, so try k+1 is a deterministic function of the variant's
SeedSequence and k alone. The whole plan is re-planned (a redrawn train variant moves the margin every holdout
draw is held to), and every layer whose bytes changed is simulated again, until all pass or one has used its tries.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from ..errors import TwinsplitError

Skips = dict[tuple[str, int], int]


class VariantCheck(Protocol):
    """What generate asks of a simulator."""

    tries: int  # draws a variant may use, the first included (>= 1)

    def record(self) -> dict[str, Any]:
        """Engine versions, settings and thresholds: the manifest's set-level `simcheck` entry (JSON)."""

    def failures(self, layers: list[tuple[str, Path]], checked: Callable[[str], None] | None = None,
                 ) -> dict[str, list[str]]:
        """{variant id: what failed, one line per body} for the (variant id, layer path) pairs that fail;
        `checked(variant id)` after each one is simulated (the progress bar)."""


def skips_of(variants: list[dict[str, Any]]) -> Skips:
    """The skips a manifest's variants were planned with (tries - 1 of each simcheck record)."""
    out: Skips = {}
    for v in variants:
        tries = (v.get("simcheck") or {}).get("tries", 1)
        if isinstance(tries, int) and tries > 1:
            out[(v["split"], int(v["id"].rsplit("-", 1)[1]))] = tries - 1
    return out


def redraw_until_stable(write: Callable[[Skips], tuple[list[dict], dict[str, Path]]], check: VariantCheck,
                        tick: Callable[[int], None] | None = None) -> tuple[list[dict], Skips]:
    """`write(skips)` plans and writes the whole set, returning its variant entries and {variant id: layer path};
    this re-plans until every variant passes `check`, then gives each entry its `simcheck` record. Raises naming
    the variants (and bodies) still failing after `check.tries` tries."""
    skips: Skips = {}
    passed: dict[str, str] = {}  # variant id -> sha256 of the layer that passed
    seen: set[str] = set()

    def checked(vid: str) -> None:  # the bar counts variants simulated once; a redraw's re-simulation does not
        if tick is not None and vid not in seen:
            seen.add(vid)
            tick(1)
    while True:
        variants, paths = write(skips)
        todo = [v for v in variants if passed.get(v["id"]) != v["sha256"]]
        bad = check.failures([(v["id"], paths[v["id"]]) for v in todo], checked)
        passed.update({v["id"]: v["sha256"] for v in todo if v["id"] not in bad})
        if not bad:
            break
        spent = {vid: skips.get(_key(vid), 0) + 1 for vid in bad}
        if out := sorted(vid for vid, n in spent.items() if n >= check.tries):
            lines = "; ".join(f"{vid}: {', '.join(bad[vid])}" for vid in out)
            raise TwinsplitError(f"--simcheck: {', '.join(out)} still unstable after {check.tries} tries ({lines}); "
                                 "raise --simcheck-tries, or fix what the config lets the draws do to these bodies")
        for vid, n in spent.items():
            skips[_key(vid)] = n
    record = check.record()
    for v in variants:
        v["simcheck"] = {"passed": True, "tries": skips.get(_key(v["id"]), 0) + 1} | record
    return variants, skips


def _key(vid: str) -> tuple[str, int]:
    split, index = vid.rsplit("-", 1)
    return split, int(index)
