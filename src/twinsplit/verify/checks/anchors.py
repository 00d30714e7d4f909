"""verify check `anchors`: the config's incidents and reference, recomputed from the re-derived plan."""

from __future__ import annotations

from ...hashing import sha256_file
from ...plan import anchors
from ...plan import incidents as inc
from ..core import Check, Context, check, same


@check("anchors", needs=("plan",), order=97)
def anchors_check(ctx: Context, c: Check) -> None:
    """With config incidents: exactly the incidents' holdout variants carry their incident tag, each lies inside its
    incident's neighbourhood (observed +- spread x range), no train variant lies inside one, and the manifest's
    incidents and their lineage are what the config gives. With a reference: the copied file hashes as listed and
    every distance of train (and of an unsealed holdout) to it equals the recomputed one."""
    plan, config, m = ctx.plan, ctx.config, ctx.manifest
    if not config.incidents and config.reference is None:
        for key in ("incidents", "reference"):
            if key in m or key in m["lineage"]:
                c.fail(f"{key} is recorded but the config has none")
        if any("incident" in v for v in ctx.variants):
            c.fail("variants carry incident tags but the config has no incidents")
        if c.ok:
            c.skip("no incidents or reference in the config")
        return
    # the incidents as the manifest's counts place them (a train-only plan of a sealed set bound none)
    bound = inc.bind_incidents(config, plan.params, m["counts"]["holdout"] - inc.total(config))
    sha = None
    if (ref := m.get("reference")) is not None:
        path = ctx.path(ref["path"])
        sha = sha256_file(path) if path.is_file() else None
        if sha != ref["sha256"]:
            c.fail(f"{ref['path']}: sha256 {sha and sha[:12]}…, manifest says {ref['sha256'][:12]}…")
    elif config.reference is not None:
        c.fail("the config has a reference but the manifest records none")
    expected = anchors.manifest_extra(plan, ref and ref["sha256"], ctx.sealed,
                                      bound)
    for key in ("incidents", "reference"):
        if not same(m.get(key), expected.get(key)):
            c.fail(f"manifest {key} differs from what the config and the re-derived plan give")
    lineage = anchors.lineage_extra(plan, ref and ref["sha256"], bound)
    for key in anchors.LINEAGE_KEYS:
        if not same(m["lineage"].get(key), lineage.get(key)):
            c.fail(f"lineage.{key} differs from what the config gives")
    tags = inc.tags(bound)
    for v in ctx.variants:
        want = tags.get(int(v["id"].rsplit("-", 1)[1])) if v["split"] == "holdout" else None
        if v.get("incident") != want:
            c.fail(f"{v['id']}: tagged incident {v.get('incident')!r}, the config gives {want!r}")
    train = plan.splits["train"].draws
    for b in bound:
        inside = [i for i, row in enumerate(train) if b.region.contains(row)]
        if inside:
            c.fail(f"{len(inside)} train variant(s) inside incident {b.id}'s neighbourhood "
                   f"(first train-{inside[0]:05d})")
        if "holdout" in plan.splits:
            held = plan.splits["holdout"].draws
            out = [i for i in b.indices if not b.region.contains(held[i])]
            if out:
                c.fail(f"holdout-{out[0]:05d} (incident {b.id}) lies outside its neighbourhood")
    if c.ok:
        c.detail = (f"{len(bound)} incident(s), {sum(b.count for b in bound)} holdout variants"
                    + (f"; reference {len(ref['distances'])} parameter(s)" if ref else ""))
