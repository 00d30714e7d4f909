"""The plan: every variant's draws as numpy arrays, one row per variant, one column per parameter.

Independence by construction: variant i of a split draws block b from
`SeedSequence(split_entropy, spawn_key=(i, crc32(b)))`. Nothing of one split is derived from the other
split's entropy, and a variant's draws do not depend on how many variants are generated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..blocks.data import Columns, Edit, ParamSpec, expand
from ..errors import TwinsplitError
from ..scene.info import SceneInfo
from . import incidents as inc
from . import ood, reference
from .bind import Block, bind
from .disjoint import margin_rejector
from .holdout_source import HoldoutSource, check_regions, match_source
from .keep import draw_variant, row_ways
from .seen import variant_view

if TYPE_CHECKING:
    from ..config import Config


def stream(entropy: int, index: int, block: Block) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy, spawn_key=(index, block.stream_key))))


@dataclass
class SplitPlan:
    split: str
    entropy: int
    draws: np.ndarray  # (n, d) float64, in each parameter's own space
    redraws: np.ndarray  # (n,) int: extra draws spent keeping this variant acceptable

    def ids(self) -> list[str]:
        return [variant_id(self.split, i) for i in range(len(self.draws))]


@dataclass
class Plan:
    scene: SceneInfo
    config: Config
    blocks: list[Block]
    splits: dict[str, SplitPlan] = field(default_factory=dict)
    # generate --holdout-source: the holdout drawn and written on OTHER; splits["holdout"] holds its rows carried
    # into this plan's columns (NaN where OTHER has no match), for the margin, disjointness and distance figures
    holdout_source: HoldoutSource | None = None
    incidents: list[inc.BoundIncident] = field(default_factory=list)  # config incidents: holdout variants near them

    @property
    def params(self) -> list[ParamSpec]:
        return [p for b in self.blocks for p in b.params]

    @property
    def shared(self) -> np.ndarray:
        """Mask of the columns both splits draw (holdout-only blocks are NaN in train rows; with a holdout source,
        columns OTHER has no match for are NaN in holdout rows)."""
        mask = np.array([len(b.splits) == 2 for b in self.blocks for _ in b.params], dtype=bool)
        if self.holdout_source is not None:
            mask &= ~self.holdout_source.unmatched_source_columns(len(mask))
        return mask

    def normalized(self, split: str, shared: bool = True) -> np.ndarray:
        """Draws scaled to [0, 1] per parameter; by default only the columns both splits share."""
        x = normalize(self.params, self.splits[split].draws)
        return x[:, self.shared] if shared else x

    def shared_names(self) -> list[str]:
        return [p.name for p, keep in zip(self.params, self.shared, strict=False) if keep]

    def notes(self, split: str, index: int) -> dict[str, Any]:
        """{block source: notes} of the blocks that keep notes (BlockKind.notes) for one variant."""
        if (other := self._drawn_on(split)) is not self:
            return other.notes(split, index)
        row, out, start = self.splits[split].draws[index], {}, 0
        for b in self.blocks:
            stop = start + len(b.params)
            if split in b.splits and b.entry.notes is not None:
                if note := b.entry.notes(self.scene, b.cfg, list(b.params), row[start:stop],
                                         **self._seen(b, split, index), **self._kept(b, split, index)):
                    out[b.source] = note
            start = stop
        return out

    def edits(self, split: str, index: int) -> list[Edit]:
        """What one variant's layer authors, one Edit per attribute (or new prim)."""
        return expand(self.batch(split, index))

    def batch(self, split: str, index: int) -> list[Edit | Columns]:
        """What one variant's layer authors, as its blocks give it: Edits, and Columns for many prims at once."""
        if (other := self._drawn_on(split)) is not self:
            return other.batch(split, index)
        row, out, start = self.splits[split].draws[index], [], 0
        owner: dict[str, tuple[str, Edit | Columns]] = {}
        for b in self.blocks:
            stop = start + len(b.params)
            if split in b.splits:
                for item in b.entry.edits(self.scene, b.cfg, list(b.params), row[start:stop],
                                          **self._seen(b, split, index)):
                    if type(item) is Columns:
                        if owner.keys().isdisjoint(item.keys):  # thousands of keys: one set operation
                            owner.update(dict.fromkeys(item.keys, (b.source, item)))
                            out.append(item)
                            continue
                        edits = item.edits()  # a clash: the exact rule, value by value (rare)
                    else:
                        edits = [item]
                    out += [e for e in edits if e.attr is None or _claim(owner, b.source, e.key, e)]
            start = stop
        return out

    def scene_of(self, split: str) -> SceneInfo:
        """The stage a split's variants are written on: the holdout source's for its holdout."""
        return self._drawn_on(split).scene

    def _drawn_on(self, split: str) -> Plan:
        """The plan whose stage a split's variants are written on: the holdout source's for its holdout."""
        return self.holdout_source.plan if split == "holdout" and self.holdout_source is not None else self

    def _seen(self, b: Block, split: str, index: int) -> dict[str, Any]:
        """`variant=` for a block that plans around the rest of its variant (BlockKind.sees_variant), else nothing."""
        return {"variant": variant_view(self, split, index)} if b.entry.sees_variant else {}

    def _kept(self, b: Block, split: str, index: int) -> dict[str, Any]:
        """`keep_out=` for a block that kept clear of the others' ways (BlockKind.keeps_clear) when some asked."""
        if not b.entry.keeps_clear:
            return {}
        asked = row_ways(self.scene, self.blocks, split, self.splits[split].draws[index])
        return {"keep_out": asked} if asked else {}

    def stage_metadata(self, base: dict[str, Any]) -> dict[str, Any]:
        """The source's root-layer metadata plus what blocks need (e.g. a time range for events)."""
        out = dict(base)
        for b in self.blocks:
            if b.entry.metadata is not None:
                for key, value in b.entry.metadata(self.scene, b.cfg).items():
                    if key in ("startTimeCode",):
                        value = min(value, out.get(key, value))
                    elif key in ("endTimeCode",):
                        value = max(value, out.get(key, value))
                    out[key] = value
        return out


def _claim(owner: dict, source: str, key: str, e: Edit) -> bool:
    """Two blocks may not both author one attribute (which would win?); the same value from two blocks (e.g. the
    events' shared physics material) is written once: False."""
    other, first = owner.setdefault(key, (source, e))
    if first is e:
        return True
    if type(first) is Columns:
        first = next(x for x in first.edits() if x.key == key)
    if first == e:
        return False
    if other != source:
        raise TwinsplitError(f"{other} and {source} both write {key}; narrow one of their selectors")
    return True


def variant_id(split: str, index: int) -> str:
    return f"{split}-{index:05d}"


def normalize(params: list[ParamSpec], draws: np.ndarray) -> np.ndarray:
    lo = np.array([p.normalize_range[0] for p in params], dtype=np.float64)
    hi = np.array([p.normalize_range[1] for p in params], dtype=np.float64)
    return (np.asarray(draws, dtype=np.float64).reshape(-1, len(params)) - lo) / (hi - lo)


def _stuck(blocks: list[Block], row: np.ndarray) -> str:
    """Blocks whose every drawn value is 0 (a layout block that placed no unit): what keeps variants equal."""
    out, start = [], 0
    for b in blocks:
        stop = start + len(b.params)
        if b.params and not np.any(row[start:stop]):
            out.append(b.source)
        start = stop
    if not out:
        return ""
    return (f"; {', '.join(out)} drew only zeros (a layout block whose units all stayed where they were: its "
            "bounds, keep-out regions or neighbours leave no room)")


# (split, entropy, n) -> (rows, states): every variant's first draw, and each block's stream state after it
# (drawn elsewhere, e.g. on worker processes by write.chunks; None: drawn here)
FirstDraws = Callable[[str, int, int], tuple[np.ndarray, list[list[dict]]]]


def sample_split(scene: SceneInfo, config: Config, blocks: list[Block], split: str, entropy: int, n: int,
                 reject=None, on_variant: Callable[[], None] | None = None,
                 first: tuple[np.ndarray, list[list[dict]]] | None = None, skips: dict | None = None) -> SplitPlan:
    """Draw n variants of one split. `reject(shared normalized row, raw row) -> reason|None` asks for a redraw;
    `on_variant()` is called after each variant (progress). `first`: every variant's first draw and its streams'
    states after it (FirstDraws), already drawn: rejection and redraws continue from those states, so the
    result is the same as drawing here. `skips` {(split, index): k}: that variant keeps its (k+1)-th acceptable
    draw from its own streams (generate --simcheck redraws a variant a simulator rejected)."""
    params = [p for b in blocks for p in b.params]
    shared = np.array([len(b.splits) == 2 for b in blocks for _ in b.params], dtype=bool)
    rows, redraws = np.zeros((n, len(params))), np.zeros(n, dtype=np.int64)
    for i in range(n):
        gens = [stream(entropy, i, b) for b in blocks]
        spent = -1
        for k in range((skips or {}).get((split, i), 0) + 1):
            for attempt in range(config.splits.max_redraws + 1):  # noqa: B007 (read after the loop: redraw count)
                if k == 0 and attempt == 0 and first is not None:
                    row = first[0][i]
                    for g, state in zip(gens, first[1][i], strict=True):
                        g.bit_generator.state = state
                else:
                    row = draw_variant(scene, blocks, split, gens)
                reason = reject(normalize(params, row)[0][shared], row) if reject is not None else None
                if reason is None:
                    break
            else:
                raise TwinsplitError(
                    f"{variant_id(split, i)}: no acceptable draw after {config.splits.max_redraws} redraws "
                    f"({reason}){_stuck(blocks, row)}; lower splits.min_margin, widen the ranges or add parameters")
            spent += attempt + 1
        rows[i], redraws[i] = row, spent
        if on_variant is not None and first is None:
            on_variant()
    return SplitPlan(split, entropy, rows, redraws)


def holdout_regions(plan: "Plan") -> list[ood.BoundRegion]:
    return ood.bind_regions(plan.config.splits.holdout_regions, plan.params)


def plan_blocks(scene: SceneInfo, config: Config) -> list[Block]:
    """The config bound to the scene, as the plan draws it (also on write.chunks' workers)."""
    blocks = bind(scene, config)
    if config.reference is not None:  # `distribution: empirical` parameters get their measurements
        blocks = reference.attach(scene, config, blocks)
    return blocks


def make_plan(scene: SceneInfo, config: Config, n_train: int, n_holdout: int | None, entropy: dict[str, int],
              on_variant: Callable[[], None] | None = None, holdout_scene: SceneInfo | None = None,
              drawer: FirstDraws | None = None, skips: dict[tuple[str, int], int] | None = None) -> Plan:
    """Train first, then holdout against it. n_holdout None: a sealed set verified without its key (train only).
    `holdout_scene`: the holdout is drawn on this second stage of the site (plan.holdout_source).
    `drawer`: draws each split's first attempts elsewhere (write.chunks: on workers), not with a holdout source's
    holdout (drawn here, on its own stage). `skips`: see sample_split (not for the incidents' variants)."""
    blocks = plan_blocks(scene, config)
    plan = Plan(scene, config, blocks)
    regions = holdout_regions(plan)
    n_regular = None if n_holdout is None else n_holdout - inc.total(config)
    if config.incidents:
        if holdout_scene is not None:
            raise TwinsplitError("incidents: are not supported with --holdout-source yet")
        if n_regular is not None and n_regular < 1:
            raise TwinsplitError(f"{n_holdout} holdout variants leave none besides the incidents' {inc.total(config)}")
        plan.incidents = inc.bind_incidents(config, plan.params, n_regular or 0)
    if holdout_scene is not None:
        try:
            other = bind(holdout_scene, config)
        except TwinsplitError as exc:
            raise TwinsplitError(f"on the holdout source: {exc}") from None
        plan.holdout_source = match_source(plan, Plan(holdout_scene, config, other))
        check_regions(regions, plan.holdout_source.unmatched_source_columns(len(plan.params)))
    if config.splits.mode == "ood" and not regions and not any(len(b.splits) == 1 for b in blocks):
        raise TwinsplitError("splits.mode is ood but nothing is held out: add splits.holdout_regions or a "
                             "holdout_only event")
    near = regions + inc.regions(plan.incidents)
    train_reject = ood.train_rejector(near) if near else None

    def first(split: str, n: int):
        return drawer(split, entropy[split], n) if drawer is not None else None

    plan.splits["train"] = sample_split(scene, config, blocks, "train", entropy["train"], n_train, train_reject,
                                        on_variant, first("train", n_train), skips)
    if n_holdout is None:
        return plan
    reject = ood.combine(margin_rejector(plan.normalized("train"), config.splits.min_margin, config.splits.metric),
                         ood.holdout_rejector(regions) if regions else None)
    if (hs := plan.holdout_source) is not None:
        other = hs.plan
        other.splits["holdout"] = sp = sample_split(other.scene, config, other.blocks, "holdout", entropy["holdout"],
                                                    n_holdout, _carried(plan, reject), on_variant, skips=skips)
        plan.splits["holdout"] = SplitPlan("holdout", sp.entropy, hs.project(plan.params, sp.draws), sp.redraws)
        return plan
    plan.splits["holdout"] = sp = sample_split(scene, config, blocks, "holdout", entropy["holdout"], n_regular,
                                               reject, on_variant, first("holdout", n_regular), skips)
    if plan.incidents:
        shared = plan.shared
        rows, redraws = inc.sample(scene, config, blocks, entropy["holdout"], plan.incidents,
                                   lambda row: normalize(plan.params, row)[0][shared], reject, stream)
        sp.draws, sp.redraws = np.concatenate([sp.draws, rows]), np.concatenate([sp.redraws, redraws])
    return plan


def _carried(plan: Plan, reject):
    """`reject` (over plan's columns) asked of a row drawn on the holdout source, carried into those columns."""
    if reject is None:
        return None
    params, shared, hs = plan.params, plan.shared, plan.holdout_source

    def reject_other(_normalized: np.ndarray, raw: np.ndarray) -> str | None:
        row = hs.project(params, raw)
        return reject(normalize(params, row)[0][shared], row[0])

    return reject_other


def fresh_entropy() -> int:
    """Root entropy from the OS (recorded in the manifest so the run can be re-derived)."""
    return int(np.random.SeedSequence().entropy)
