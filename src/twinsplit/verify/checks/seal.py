"""verify check `seal`: a sealed holdout's commitment, opened by --reveal."""

from __future__ import annotations

import re

from ..core import (
    Check,
    Context,
    check,
)


@check
def seal(ctx: Context) -> Check:
    """A sealed holdout: the commitment is well formed; with --reveal, the key opens it."""
    c = Check("seal")
    if not ctx.sealed:
        if ctx.reveal is not None:
            c.problems.append("--reveal given but the manifest is not sealed")
        else:
            c.skipped, c.detail = True, "not sealed"
        return c
    from ...proof.seal import check_reveal, read_key

    commitment = ctx.manifest["seeds"]["holdout"]["commitment"]
    if not re.fullmatch(r"sha256:[0-9a-f]{64}", commitment):
        c.problems.append(f"holdout commitment {commitment!r} is not sha256:<64 hex>")
        return c
    if ctx.reveal is None:
        c.detail = "commitment well formed; holdout not checked (pass --holdout DIR --reveal KEY)"
        return c
    key = read_key(ctx.reveal)
    check_reveal(key, commitment)
    ctx.options["holdout_entropy"] = key.entropy
    c.detail = "revealed key matches the commitment"
    return c
