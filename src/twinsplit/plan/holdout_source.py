"""A holdout drawn on a second stage of the same site (`generate --holdout-source OTHER`).

The config binds on SOURCE (train) and again on OTHER (holdout). Each block's targets (the prims its parameters
write) are matched across the two stages by discovery, in this order: the same path; else the one unmatched
target with the same semantic labels, type and applied schemas; else the one with the same leaf name and type.
A parameter of OTHER matches the SOURCE parameter of its matched target with the same attribute and component.

Holdout variants are drawn and written on OTHER (its geometry keeps layout and events valid there). For the
margin, the disjointness and the distance figures, each holdout row is carried into SOURCE's columns through the
match, in normalized space (so a cm stage and an m stage compare); SOURCE columns with no match on OTHER are left
out of those figures, and the unmatched targets of both sides are listed in the manifest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import TwinsplitError
from ..scene.info import SceneInfo
from .bind import Block

if TYPE_CHECKING:
    from .draw import Plan


@dataclass
class HoldoutSource:
    """OTHER's own plan (its scene, its blocks, the holdout's raw draws) and how its columns meet SOURCE's."""

    plan: Plan                 # scene = OTHER, blocks bound on OTHER, splits = {"holdout": raw draws}
    columns: np.ndarray        # (d_other,) int: the SOURCE column each OTHER column matches, -1 if none
    matched_by: dict[str, str] = field(default_factory=dict)  # OTHER target -> "path" | "label" | "name"
    target_map: dict[str, str] = field(default_factory=dict)   # OTHER target -> SOURCE target
    only_source: list[dict[str, str]] = field(default_factory=list)  # [{"block", "target"}] not found on OTHER
    only_other: list[dict[str, str]] = field(default_factory=list)   # [{"block", "target"}] not found on SOURCE
    _maps: tuple | None = field(default=None, repr=False)  # project()'s index and range arrays, built once

    def unmatched_source_columns(self, d_source: int) -> np.ndarray:
        """Mask of SOURCE's columns no OTHER column matches (left out of the margin and the figures)."""
        mask = np.ones(d_source, dtype=bool)
        mask[self.columns[self.columns >= 0]] = False
        return mask

    def project(self, source_params: list, other_rows: np.ndarray) -> np.ndarray:
        """OTHER rows in SOURCE's columns (NaN where nothing matches), with equal normalized values on both sides
        (the same range: the value itself, so a choice index stays exact)."""
        rows = np.atleast_2d(np.asarray(other_rows, dtype=np.float64))
        if self._maps is None:
            o = np.flatnonzero(self.columns >= 0)
            s = self.columns[o]
            po, ps = self.plan.params, source_params
            lo_o, hi_o = (np.array([po[k].normalize_range[i] for k in o]) for i in (0, 1))
            lo_s, hi_s = (np.array([ps[j].normalize_range[i] for j in s]) for i in (0, 1))
            self._maps = (o, s, lo_o, hi_o, lo_s, hi_s, (lo_o == lo_s) & (hi_o == hi_s), len(ps))
        o, s, lo_o, hi_o, lo_s, hi_s, same, d = self._maps
        out = np.full((len(rows), d), np.nan)
        x = rows[:, o]
        out[:, s] = np.where(same, x, lo_s + (x - lo_o) / (hi_o - lo_o) * (hi_s - lo_s))
        return out

    def entry(self) -> dict[str, Any]:
        """What the manifest records of the match (the stage files and hashes are added by generate)."""
        by = {k: sum(1 for v in self.matched_by.values() if v == k) for k in ("path", "label", "name")}
        return {
            "matched_targets": {"by_path": by["path"], "by_label": by["label"], "by_name": by["name"]},
            "renamed": [{"holdout_source": o, "source": s} for o, s in sorted(self.target_map.items()) if o != s],
            "matched_columns": int(np.count_nonzero(self.columns >= 0)),
            "unmatched": {"source_only": self.only_source, "holdout_source_only": self.only_other},
        }


def _signature(scene: SceneInfo, path: str) -> tuple | None:
    info = scene.prims.get(path)
    if info is None or not info.labels:
        return None
    return (tuple(sorted(info.labels)), info.type_name, tuple(sorted(info.schemas)))


def _leaf(scene: SceneInfo, path: str) -> tuple:
    info = scene.prims.get(path)
    return (path.rsplit("/", 1)[-1], info.type_name if info is not None else "")


def _unique(keyed_source: dict[Any, list[str]], key: Any) -> str | None:
    hits = keyed_source.get(key, []) if key is not None else []
    return hits[0] if len(hits) == 1 else None


def match_targets(source: SceneInfo, other: SceneInfo, src_targets: list[str],
                  other_targets: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """{OTHER target: SOURCE target} and {OTHER target: how it was matched} for one block's targets."""
    pairs: dict[str, str] = {}
    how: dict[str, str] = {}
    src_set = set(src_targets)
    for t in other_targets:
        if t in src_set:
            pairs[t], how[t] = t, "path"
    free = [t for t in src_targets if t not in pairs.values()]
    for kind, key_of in (("label", _signature), ("name", _leaf)):
        keyed_src: dict[Any, list[str]] = {}
        for t in free:
            keyed_src.setdefault(key_of(source, t), []).append(t)
        keyed_other: dict[Any, list[str]] = {}
        for t in other_targets:
            if t not in pairs:
                keyed_other.setdefault(key_of(other, t), []).append(t)
        for key, others in keyed_other.items():
            if len(others) == 1 and (hit := _unique(keyed_src, key)) is not None:
                pairs[others[0]], how[others[0]] = hit, kind
        free = [t for t in free if t not in pairs.values()]
    return pairs, how


def match_blocks(source: SceneInfo, other: SceneInfo, src_blocks: list[Block], other_blocks: list[Block],
                 source_params: list) -> tuple[np.ndarray, dict[str, str], dict[str, str], list, list]:
    """The column map and the targets matched and unmatched, block by block (both bound from one config)."""
    src_index = {(p.source, p.prim, p.attr, p.component): j for j, p in enumerate(source_params)}
    columns: list[int] = []
    matched_by: dict[str, str] = {}
    target_map: dict[str, str] = {}
    only_source: list[dict[str, str]] = []
    only_other: list[dict[str, str]] = []
    for sb, ob in zip(src_blocks, other_blocks, strict=True):
        src_targets = list(dict.fromkeys(p.prim for p in sb.params))
        other_targets = list(dict.fromkeys(p.prim for p in ob.params))
        pairs, how = match_targets(source, other, src_targets, other_targets)
        if other_targets and not pairs:
            raise TwinsplitError(f"{ob.source}: none of its {len(other_targets)} targets on the holdout source "
                                 f"matches one on the source (by path, semantic label or name), e.g. "
                                 f"{other_targets[0]}: the two stages are not of the same site")
        for p in ob.params:
            s_prim = pairs.get(p.prim)
            columns.append(-1 if s_prim is None else src_index.get((p.source, s_prim, p.attr, p.component), -1))
        matched_by |= how
        target_map |= pairs
        hit = set(pairs.values())
        only_source += [{"block": sb.source, "target": t} for t in src_targets if t not in hit]
        only_other += [{"block": ob.source, "target": t} for t in other_targets if t not in pairs]
    return np.array(columns, dtype=np.int64), matched_by, target_map, only_source, only_other


def match_source(plan: Plan, other: Plan) -> HoldoutSource:
    """`other` (the config bound on OTHER, nothing drawn yet) matched to `plan` (bound on SOURCE)."""
    columns, matched_by, target_map, only_source, only_other = match_blocks(plan.scene, other.scene, plan.blocks,
                                                                            other.blocks, plan.params)
    return HoldoutSource(other, columns, matched_by, target_map, only_source, only_other)


def check_regions(regions: list, unmatched: np.ndarray) -> None:
    """An ood region must bound columns the holdout source draws: else no holdout row could lie inside it."""
    for r in regions:
        if any(unmatched[c] for c in r.columns):
            raise TwinsplitError(f"splits.holdout_regions[{r.name!r}] bounds a parameter of a source target the "
                                 "holdout source does not have: no holdout variant could lie inside it")
