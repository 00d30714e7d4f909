"""The lineage block in croissant.json: Croissant RAI fields (http://mlcommons.org/croissant/RAI/1.0) and the
PROV-O entities of the real-world captures the source stage was derived from.

Only what the block states appears: a block without `sources` gives the same fields it always did.
"""

from __future__ import annotations

from typing import Any

from ..lineage import capture_interval


def _roots(lineage: dict[str, Any]) -> list[dict[str, Any]]:
    return lineage.get("sources") or []


def _where(root: dict[str, Any]) -> str:
    parts = [f"capture {', '.join(root['capture_ids'])}" if root.get("capture_ids") else "a capture"]
    if root.get("site"):
        parts.append(f"at {root['site']}")
    if root.get("jurisdiction"):
        parts.append(f"(jurisdiction {root['jurisdiction']})")
    if root.get("capture_date"):
        parts.append(f"on {root['capture_date']}")
    if root.get("stage"):
        parts.append(f"for stage {root['stage']}")
    return " ".join(parts)


def _days(text: str) -> tuple[Any, Any] | None:
    """A capture date's first and last day; None when unset, or not a date (a hand-edited manifest, which the
    config check fails: the document is still built, so the croissant check reports a difference, not a crash)."""
    try:
        return capture_interval(text) if text else None
    except ValueError:
        return None


def rai(lineage: dict[str, Any]) -> dict[str, Any]:
    """The RAI fields the lineage block fills (empty ones are left out)."""
    fields: dict[str, Any] = {"rai:dataUseCases": lineage.get("purpose", ""),
                              "rai:personalSensitiveInformation": lineage.get("consent", ""),
                              "rai:dataReleaseMaintenancePlan": lineage.get("retention", "")}
    roots = _roots(lineage)
    if roots:
        fields["rai:dataCollection"] = ("Synthetic variants (domain randomization) of a source stage built from "
                                        "real-world captures: " + "; ".join(_where(r) for r in roots) + ".")
        fields["rai:dataCollectionType"] = "Synthetic data from a digital twin of captured real-world sites"
        days = [d for r in roots if (d := _days(r.get("capture_date", "")))]
        if days:  # the collection's first and last day, as ISO 8601 dates
            first, last = min(d[0] for d in days).isoformat(), max(d[1] for d in days).isoformat()
            fields["rai:dataCollectionTimeframe"] = [first] if first == last else [first, last]
    return {k: v for k, v in fields.items() if v}


def captures(lineage: dict[str, Any], source_name: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """PROV entities of the captures: (those the source stage was derived from, those of other stages)."""
    mine: list[dict[str, Any]] = []
    other: list[dict[str, Any]] = []
    for i, root in enumerate(_roots(lineage)):
        ids = root.get("capture_ids") or []
        entity: dict[str, Any] = {"@type": "prov:Entity", "@id": f"lineage/capture/{i}",
                                  "name": ", ".join(ids) or f"capture {i}",
                                  "description": f"real-world {_where(root)}"}
        if ids:
            entity["identifier"] = ids
        if root.get("site") or root.get("jurisdiction"):
            entity["prov:atLocation"] = {"@type": "prov:Location", "name": root.get("site") or root["jurisdiction"],
                                         **({"sc:addressCountry": root["jurisdiction"]}
                                            if root.get("jurisdiction") else {})}
        if root.get("capture_date"):
            entity["prov:generatedAtTime"] = root["capture_date"]
        (mine if root.get("stage", "") in ("", source_name) else other).append(entity)
    return mine, other


def anchors(lineage: dict[str, Any]) -> list[dict[str, Any]]:
    """PROV entities of what the set is anchored to: each field incident (config `incidents:`) and the reference
    measurements (config `reference:`)."""
    out: list[dict[str, Any]] = []
    for inc in lineage.get("incidents") or []:
        what = "; ".join(x for x in (inc.get("description"), inc.get("source")) if x)
        out.append({"@type": "prov:Entity", "@id": f"lineage/incident/{inc['id']}", "name": inc["id"],
                    "description": f"field incident{': ' + what if what else ''} (event {inc['event']}), anchoring "
                                   f"holdout variants {', '.join(inc['variants'])}"})
    if (ref := lineage.get("reference")) is not None:
        out.append({"@type": "prov:Entity", "@id": f"lineage/{ref['path']}", "name": ref["path"],
                    "sha256": ref["sha256"], "description": "real measurements the splits are compared with"
                    + (f"; {len(ref['empirical'])} parameter(s) drawn from them" if ref.get("empirical") else "")})
    return out
