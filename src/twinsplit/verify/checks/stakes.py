"""verify check `stakes`: the set shows what its splits.stakes profile requires (docs/proof.md#stakes-profiles)."""

from __future__ import annotations

from ...plan.stakes import evidence, met, missing
from ...proof.attest import ATTESTATION
from ..core import Check, Context, check


@check("stakes", needs=("config",), order=95)
def stakes(ctx: Context, c: Check) -> None:
    """With splits.stakes: every requirement of its profile is present in the set (low: independent seeds and a
    margin; medium: + ood regions or a holdout-only block, and a signature checked with --pubkey; high: + a holdout
    source, a sealed holdout and a larger margin). The checks named in docs/proof.md prove each one."""
    level = ctx.config.splits.stakes
    if level is None:
        c.skip("no splits.stakes profile")
        return
    seeds = ctx.manifest["seeds"]
    if not ctx.sealed and seeds["train"].get("entropy") == seeds["holdout"].get("entropy"):
        c.fail("the train and holdout seeds are equal: the splits share their streams")
    signed = (ctx.out / ATTESTATION).is_file()
    ev = evidence(ctx.manifest["config"]["body"], signed=signed, sealed=ctx.sealed,
                  holdout_source="holdout_source" in ctx.manifest)
    for gap in missing(level, ev):
        c.fail(f"stakes {level}: {gap}")
    if level != "low" and signed and ctx.pubkey is None:
        c.fail(f"stakes {level}: {ATTESTATION} is not checked: pass --pubkey")
    if c.ok:
        c.detail = met(level, ev)
