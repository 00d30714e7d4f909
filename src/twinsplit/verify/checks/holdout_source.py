"""verify check `holdout-source`: a holdout drawn on a second stage of the site (generate --holdout-source)."""

from __future__ import annotations

from ...hashing import sha256_file
from ...plan.stakes import max_shared_fraction
from ...proof.holdout_source import shared_entry
from ..core import Check, Context, check, same


@check("holdout-source", needs=("config",), uses=("plan",), order=65)
def holdout_source(ctx: Context, c: Check) -> None:
    """With a holdout source: it is not the source (sha256 of the recorded and the copied roots), every holdout
    variant composes on the copied holdout source and not on the source, the match of the config's targets equals
    the re-derived one, and the fraction of its composed prims identical to the source's is recomputed and at most
    splits.max_shared_fraction (default 0.9)."""
    hs = ctx.manifest.get("holdout_source")
    if hs is None:
        c.skip("none (the holdout is drawn on the source)")
        return
    src = ctx.manifest["source"]
    if hs["sha256"] == src["sha256"]:
        c.fail(f"the holdout source {hs['name']} has the source's sha256 {src['sha256'][:12]}…: it is the source")
    root = ctx.root_of("holdout")
    if root is None:
        c.detail = "sealed: the holdout source and its shared fraction are checked with --holdout DIR"
        return
    other, source = ctx.path(hs["root"], "holdout"), ctx.path(src["root"])
    if not (other.is_file() and source.is_file()):
        c.fail("the copied holdout source or source root is missing")  # each named by `files`
        return
    if sha256_file(other) == sha256_file(source):
        c.fail(f"the copied {hs['root']} is byte-identical to {src['root']}", file=f"{ctx.label(root)}{hs['root']}")
    if not hs["localized"] and sha256_file(other) != hs["sha256"]:
        c.fail(f"holdout_source.sha256 says {hs['sha256'][:12]}…, the byte-copied root is "
               f"{sha256_file(other)[:12]}…", file=f"{ctx.label(root)}{hs['root']}")
    composed = _composes_on(ctx, c, other, source)
    if ctx.plan is not None and ctx.plan.holdout_source is not None:
        if not same(ctx.plan.holdout_source.entry(), hs["match"]):
            c.fail("holdout_source.match differs from the match of the config's targets re-derived on both stages")
    shared = shared_entry(other, source, ctx.config.splits)
    if not same(shared, hs["shared"]):
        c.fail(f"holdout_source.shared says {hs['shared']}, recomputed {shared}")
    if shared["fraction"] > (ceiling := max_shared_fraction(ctx.config.splits)):
        c.fail(f"{shared['identical']} of the holdout source's {shared['prims']} composed prims are identical to the "
               f"source's ({shared['fraction']:.1%} > splits.max_shared_fraction {ceiling}): not an independent stage")
    unmatched = sum(len(v) for v in hs["match"]["unmatched"].values())
    c.detail = (f"{hs['name']}: {shared['identical']} of {shared['prims']} composed prims identical to the source's "
                f"(shared fraction {shared['fraction']:.4f}, max {ceiling}); {composed} holdout variants compose on "
                f"it; {unmatched} unmatched targets")


def _composes_on(ctx: Context, c: Check, other, source) -> int:
    """Open every holdout variant (payloads unloaded): it composes without errors, and its layer stack holds the
    copied holdout source and not the source."""
    from pxr import Usd

    other_id, source_id = str(other.resolve()), str(source.resolve())
    n = 0
    for v in ctx.variants:
        if v["split"] != "holdout" or not (path := ctx.path(v["path"], "holdout")).is_file():
            continue
        stage = Usd.Stage.Open(str(path), Usd.Stage.LoadNone)
        stack = {layer.realPath for layer in stage.GetLayerStack(includeSessionLayers=False)}
        label = f"{ctx.label(ctx.root_of('holdout'))}{v['path']}"
        if errors := stage.GetCompositionErrors():
            c.fail(f"does not compose: {errors[0]}", file=label)
        elif other_id not in stack or source_id in stack:
            c.fail("does not compose on the copied holdout source", file=label)
        else:
            n += 1
    return n
