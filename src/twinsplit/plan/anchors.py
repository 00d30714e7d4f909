"""What a plan's anchors to reality (config `incidents:` and `reference:`) add to the manifest and its lineage.

manifest `incidents`: per incident its neighbourhood per parameter name and variant ids; each such variant carries
`incident: <id>`. manifest `reference`: the copied file (`path` inside OUT, `sha256`), what is drawn from it and the
distances of each split to it (train only when the holdout is sealed: holdout figures would leak its marginals).
lineage `incidents` / `reference`: where the edge cases and the measurements come from.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..blocks import empirical as emp
from . import incidents as inc
from . import reference

if TYPE_CHECKING:
    from .draw import Plan

LINEAGE_KEYS = ("incidents", "reference")  # what the anchors add to the config's lineage block


def lineage_extra(plan: Plan, reference_sha256: str | None, bound: list[inc.BoundIncident] | None = None
                  ) -> dict[str, Any]:
    config = plan.config
    out: dict[str, Any] = {}
    if config.incidents:
        out["incidents"] = inc.lineage_entry(config, plan.incidents if bound is None else bound)
    if config.reference is not None:
        out["reference"] = {"path": config.reference, "sha256": reference_sha256,
                            "empirical": sorted({p.name for p in plan.params if p.empirical is not None}),
                            "bandwidth": emp.BANDWIDTH_RULE}
    return out


def manifest_extra(plan: Plan, reference_sha256: str | None, sealed: bool,
                   bound: list[inc.BoundIncident] | None = None) -> dict[str, Any]:
    config = plan.config
    out: dict[str, Any] = {}
    if config.incidents:
        out["incidents"] = inc.manifest_entry(plan.incidents if bound is None else bound, plan.params, config)
    if config.reference is not None:
        draws = {s: sp.draws for s, sp in plan.splits.items() if not (sealed and s == "holdout")}
        out["reference"] = reference.manifest_entry(config, plan.params, draws, reference_sha256)
    return out
