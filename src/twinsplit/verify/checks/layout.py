"""verify check `layout`: every variant of a set with a `randomize.layout` block starts as a valid scene.

From what each variant's layer authors (rederive's `authored`: its xform op values, xformOpOrder and `active`)
on top of the copied source, whose shapes and transforms are read once per set (`verify.variant_poses`): no
interpenetration beyond 0.1 mm at the pose time deeper than the source's own for that pair (jointed links, a
base sunk into the ground), every moved body inside its block's bounds and clear of the split's keep-out
regions and of the people's ways the variant's notes say it kept clear (`kept_clear`, re-derived by rederive),
and a body that rested in the source still resting (`geometry.resting`: its centre of mass over the hull of its
contacts). No variant stage is composed; what moved is read from the layer, never from the plan."""

from __future__ import annotations

from ...blocks.variant import Way
from ...errors import TwinsplitError
from ...geometry.prism import KeepOut
from ...geometry.support import overlap_tolerance
from ...scene.mass import centres_of_mass
from ...scene.shapes import scene_shapes
from ...scene.xforms import scene_xforms
from ..core import Check, Context, check
from ..variant_poses import SourcePoses, check_variant_poses


def _regions(scene, blocks: list, split: str, notes: dict) -> list[tuple[set[str], object, KeepOut | None]]:
    """Per layout block: (bodies it may move, bounds prism, the split's keep-out regions plus the ways the variant's
    notes say it kept clear for people with `keep_clear`)."""
    from ...randomizers.layout.bound import bound

    out = []
    for i, block in enumerate(blocks):
        source = f"randomize.layout[{i}]"
        b = bound(scene, block, source)
        members = {m for u in b.geo.units for m in u.members}
        prisms = list(b.regions[split]) + [p for r in notes.get(source, {}).get("kept_clear", [])
                                           for p in Way.of(r).prisms(scene.up_index)]
        out.append((members, b.bounds, KeepOut(prisms, b.extent()) if prisms else None))
    return out


@check("layout", needs=("config", "plan", "authored"), order=100)
def layout(ctx: Context, c: Check) -> None:
    """With a `randomize.layout` block: every variant starts as a valid scene (no interpenetration at t = 0 beyond
    what the source has, moved bodies inside their bounds and clear of the split's keep-out regions, a body that
    rested still rests)."""
    blocks = list(getattr(ctx.config.randomize, "layout", None) or [])
    if not blocks:
        c.skip("no layout block")
        return
    poses, regions = {}, {}
    for s in ("train", "holdout"):  # a holdout drawn on a holdout source is checked on that stage
        scene = ctx.plan.scene_of(s)
        poses[s] = SourcePoses(scene_shapes(scene), lambda paths, scene=scene: scene_xforms(scene, paths),
                               scene.up_index, overlap_tolerance(scene.meters_per_unit), centres_of_mass(scene))
        regions[s] = _regions(scene, blocks, s, {})
    checked = 0
    for v in ctx.variants:
        try:
            ctx.path(v["path"], v["split"])
        except TwinsplitError:
            continue  # sealed holdout without --holdout: nothing to read
        authored = ctx.authored.get(v["id"])
        if authored is None:
            continue  # not on disk (reported by `files`) or not re-derived
        checked += 1
        kept = v.get("notes") if any("kept_clear" in n for n in v.get("notes", {}).values()) else None
        split = v["split"]
        here = _regions(ctx.plan.scene_of(split), blocks, split, kept) if kept else regions[split]
        for f in check_variant_poses(poses[split], authored, here):
            c.fail(f.message, file=v["path"], prim=f.prim)
    c.detail = f"{checked} variants: no overlap, bounds and keep-out hold, supports hold" if c.ok else \
        f"{checked} variants checked"
