"""verify check `purpose`: the set was generated for the purpose `verify --purpose P` names."""

from __future__ import annotations

from ...lineage import purposes
from ..core import Check, Context, check


@check("purpose", order=32)
def purpose(ctx: Context, c: Check) -> None:
    """With --purpose P: P is one of the purposes the set declares (lineage.purpose, matched exactly and
    case-sensitively), so a set made for one use is not taken for another; skipped without --purpose."""
    declared = purposes(ctx.manifest["lineage"])
    listed = ", ".join(repr(p) for p in declared)
    if ctx.purpose is None:
        c.skip(f"no --purpose given (declared: {listed or 'none'})")
        return
    if ctx.purpose in declared:
        c.detail = f"generated for {ctx.purpose!r}"
        return
    near = [p for p in declared if p.casefold() == ctx.purpose.casefold()]
    hint = f" (purposes match exactly: {near[0]!r} differs in case)" if near else ""
    c.fail(f"not generated for {ctx.purpose!r}: the set declares "
           + (f"{'only ' if len(declared) == 1 else ''}{listed}" if declared else "no purpose (lineage.purpose)")
           + hint)
