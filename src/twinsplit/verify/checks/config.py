"""verify check `config`: the recorded config is valid, canonical and hashes as listed."""

from __future__ import annotations

from ...config import config_body, config_sha256, parse_config
from ...errors import TwinsplitError
from ..core import (
    Check,
    Context,
    check,
    same,
)


@check
def config_matches(ctx: Context) -> Check:
    c = Check("config")
    body = ctx.manifest["config"]["body"]
    try:
        config = parse_config(body, "in manifest")
    except TwinsplitError as exc:
        c.problems.append(str(exc))
        return c
    if config_body(config) != body:
        c.problems.append("config body is not in canonical form (edited by hand?)")
    if (sha := config_sha256(config)) != ctx.manifest["config"]["sha256"]:
        c.problems.append(f"config sha256 is {sha[:12]}…, manifest says {ctx.manifest['config']['sha256'][:12]}…")
    if not same(ctx.manifest["lineage"], config.lineage.model_dump()):
        c.problems.append("lineage differs from the config's lineage block")
    ctx.options["config"] = config
    return c
