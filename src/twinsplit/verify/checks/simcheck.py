"""verify check `simcheck`: the records generate --simcheck wrote, and with --simulate the variants simulated again."""

from __future__ import annotations

from ..core import Check, Context, check, same

ENGINE = ("newton", "warp-lang", "newton-usd-schemas")
SET_KEYS = ("engine", "settings", "thresholds")


@check("simcheck", order=200)
def simcheck(ctx: Context, c: Check) -> None:
    """A set made with generate --simcheck: every variant has a record that says it passed, within the set's tries,
    with the set's engine versions, settings and thresholds; with --simulate, every variant whose files are here
    is simulated again and must still pass."""
    top = ctx.manifest.get("simcheck")
    if top is None:
        if carrying := [v["id"] for v in ctx.variants if v.get("simcheck") is not None]:
            c.fail(f"{', '.join(carrying[:5])} carry simcheck records but the manifest has no set-level simcheck")
        elif ctx.simulate is None:
            c.skip("not generated with --simcheck")
            return
    else:
        _records(ctx, c, top)
    if ctx.simulate is not None:
        _simulate(ctx, c)


def _records(ctx: Context, c: Check, top: dict) -> None:
    engine = top.get("engine") or {}
    for name in ENGINE:
        if not isinstance(engine.get(name), str) or engine[name] in ("", "missing"):
            c.fail(f"simcheck.engine does not record the {name} version")
    bound = top.get("tries")
    if not isinstance(bound, int) or isinstance(bound, bool) or bound < 1:
        c.fail(f"simcheck.tries is {bound!r}, not a count >= 1")
        bound = None
    for v in ctx.variants:
        rec = v.get("simcheck")
        if rec is None:
            c.fail(f"{v['id']}: no simcheck record, but the set was generated with --simcheck", v["path"])
            continue
        if rec.get("passed") is not True:
            c.fail(f"{v['id']}: its simcheck record does not say it passed", v["path"])
        tries = rec.get("tries")
        if not isinstance(tries, int) or isinstance(tries, bool) or tries < 1 or (bound and tries > bound):
            c.fail(f"{v['id']}: simcheck tries {tries!r} is not within 1..{bound}", v["path"])
        for key in SET_KEYS:
            if not same(rec.get(key), top.get(key)):
                c.fail(f"{v['id']}: simcheck {key} differ from the set's", v["path"])
    if not c.findings:
        redrawn = sum(1 for v in ctx.variants if v["simcheck"]["tries"] > 1)
        c.detail = f"{len(ctx.variants)} variants passed ({redrawn} redrawn)"


def _simulate(ctx: Context, c: Check) -> None:
    layers = [(v["id"], ctx.path(v["path"], v["split"])) for v in ctx.variants
              if ctx.root_of(v["split"]) is not None]
    failed = ctx.simulate.failures(layers)
    for vid, lines in failed.items():
        c.fail(f"{vid} no longer passes simcheck: {'; '.join(lines)}")
    if not failed:
        c.detail = (c.detail + "; " if c.detail else "") + f"{len(layers)} variants simulated again: stable"
