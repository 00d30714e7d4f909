"""verify check `seal`: a sealed holdout's commitment, opened by --reveal."""

from __future__ import annotations

import re

from ..core import Check, Context, check


@check("seal", provides=("holdout_entropy",), order=40)
def seal(ctx: Context, c: Check) -> None:
    """A sealed holdout: the commitment is well formed; with --reveal, the key opens it (and gives the holdout
    entropy to re-derive the holdout with)."""
    if not ctx.sealed:
        if ctx.reveal is not None:
            c.fail("--reveal given but the manifest is not sealed")
        else:
            c.skip("not sealed")
        return
    from ...proof.seal import check_reveal, read_key

    commitment = ctx.manifest["seeds"]["holdout"]["commitment"]
    if not re.fullmatch(r"sha256:[0-9a-f]{64}", commitment):
        c.fail(f"holdout commitment {commitment!r} is not sha256:<64 hex>")
        return
    if ctx.reveal is None:
        c.detail = "commitment well formed; holdout not checked (pass --holdout DIR --reveal KEY)"
        return
    key = read_key(ctx.reveal)
    check_reveal(key, commitment)
    ctx.holdout_entropy = key.entropy
    c.detail = "revealed key matches the commitment"
