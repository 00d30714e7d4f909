"""A score: one metric of RESULTS against the set's variants (VariantTable) -> a plain dict (the JSON `score`).

Per split the mean of the per-variant means with its bootstrap interval, the train -> holdout gap, the same per
OOD region, per holdout-only event kind and per config incident, the metric per event kind and split, and the
attribution.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError, TwinsplitError
from . import bootstrap as bs
from .attribution import attribute
from .results import Results, named
from .table import VariantTable

SPLITS = ("train", "holdout")


def rows_of(table: VariantTable, results: Results) -> np.ndarray:
    """Each result row's variant as a row of the table; unknown ids are an InputError naming them."""
    index = table.index()
    unknown = sorted({v for v in results.variants if v not in index})
    if unknown:
        raise InputError(f"{results.path}: {named(unknown, 'variant id(s) the manifest does not list')}")
    return np.fromiter((index[v] for v in results.variants), dtype=np.int64, count=len(results.variants))


def score(table: VariantTable, results: Results, metric: str | None = None) -> dict[str, Any]:
    name, y = results.metric(metric)
    if np.isinf(y).any():
        raise InputError(f"{results.path}: metric {name!r} has an infinite value")
    rows = rows_of(table, results)
    means, episodes = bs.per_variant(rows, y, len(table.ids))
    has = episodes > 0
    missing = [v for v, h in zip(table.ids, has, strict=True) if not h]

    def group(sel: np.ndarray, label: str) -> tuple[dict, np.ndarray]:
        sel = sel & has
        return bs.group(means[sel], episodes[sel], label)

    splits = {s: group(table.split == s, f"split {s}") for s in SPLITS}
    train = splits["train"]
    regions = []
    for region, inside in table.regions:
        g = group(inside, f"region {region}")
        regions.append({"region": region, **g[0], "gap": bs.gap(train, g)})
    incidents = []
    for incident, tagged in table.incidents:  # the holdout variants drawn around a field incident
        g = group(tagged, f"incident {incident}")
        incidents.append({"incident": incident, **g[0], "gap": bs.gap(train, g)})
    kind_col = {k: j for j, k in enumerate(table.kinds)}
    holdout_only = []
    for kind in table.holdout_only_kinds():
        g = group(table.has_kind[:, kind_col[kind]] & (table.split == "holdout"), f"holdout-only kind {kind}")
        holdout_only.append({"kind": kind, **g[0], "gap": bs.gap(train, g)})
    by_kind = [{"kind": k, **{s: group(table.has_kind[:, j] & (table.split == s), f"kind {k} {s}")[0]
                               for s in SPLITS}} for j, k in enumerate(table.kinds)]
    usable = has & table.known
    ranked, facts = attribute(table.names, table.kinds, table.values[usable], table.has_kind[usable], means[usable])
    values = y[np.isfinite(y)]
    return {
        "metric": name, "metrics": list(results.metrics), "ignored_columns": results.ignored,
        "binary": bool(len(values) and np.isin(values, (0.0, 1.0)).all()),
        "rows": int(len(y)), "rows_without_value": int((~np.isfinite(y)).sum()),
        "variants": {"listed": len(table.ids), "scored": int(has.sum()),
                     "without_results": {"count": len(missing), "ids": missing}},
        "splits": {s: g[0] for s, g in splits.items()},
        "gap": bs.gap(train, splits["holdout"]),
        "regions": regions, "holdout_only_events": holdout_only, "event_kinds": by_kind,
        "attribution": ranked,
        **({"incidents": incidents} if incidents else {}),
        "attribution_facts": {**facts, "variants_without_values": int((has & ~table.known).sum())},
    }


def of_set(out: Path, results_path: Path, metric: str | None = None, reveal: Path | None = None,
           plan=None) -> dict[str, Any]:
    """The score record of RESULTS on the set OUT (its plan re-derived unless given, e.g. verify's)."""
    from .. import manifest as mf
    from ..verify.set_plan import derive_plan
    from .record import record
    from .results import read
    from .table import from_plan

    out = Path(out)
    if not out.is_dir():
        raise TwinsplitError(f"{out}: no such output directory")
    manifest = mf.load(out)
    results = read(results_path)  # its errors before the (slower) re-derivation
    table = from_plan(manifest, plan if plan is not None else derive_plan(out, manifest, reveal))
    return record(out, results_path, score(table, results, metric))
