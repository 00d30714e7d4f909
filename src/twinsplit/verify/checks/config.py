"""verify check `config`: the recorded config is valid, canonical and hashes as listed."""

from __future__ import annotations

from ... import GENERATOR_REVISION, __version__
from ...config import config_body, config_sha256, parse_config
from ...errors import TwinsplitError
from ...lineage import lineage_entry
from ...plan.anchors import LINEAGE_KEYS
from ..core import Check, Context, check, same


@check("config", provides=("config",), order=30)
def config_matches(ctx: Context, c: Check) -> None:
    """The recorded config body validates, is in canonical form and hashes to the recorded sha256; `lineage`
    equals the body's lineage block (besides what the incidents and the reference add: the anchors check)."""
    body = ctx.manifest["config"]["body"]
    try:
        config = parse_config(body, "in manifest")
    except TwinsplitError as exc:
        c.fail(str(exc))
        return
    if config_body(config) != body:
        c.fail("config body is not in canonical form (edited by hand?)")
    if (sha := config_sha256(config)) != ctx.manifest["config"]["sha256"]:
        c.fail(f"config sha256 is {sha[:12]}…, manifest says {ctx.manifest['config']['sha256'][:12]}…")
    config._base = ctx.out  # a recorded `reference:` is the copy's path inside OUT
    own = {k: v for k, v in ctx.manifest["lineage"].items() if k not in LINEAGE_KEYS}  # those: the anchors check
    if not same(own, lineage_entry(config.lineage)):
        c.fail("lineage differs from the config's lineage block")
    ctx.config = config  # provided even when it fails a claim above: the body itself is a valid config


@check("generator", provides=("generator",), order=35)
def generator(ctx: Context, c: Check) -> None:
    """The set was made by this generator revision (the manifest's `tool.generator`): another revision writes
    other bytes for the same seeds, so re-deriving it here would only list value differences."""
    tool = ctx.manifest.get("tool", {})
    made = tool.get("generator", "1")  # sets from before the revision was recorded
    if made != GENERATOR_REVISION:
        c.fail(f"made by twinsplit {tool.get('version', '?')} (generator revision {made}); this is twinsplit "
               f"{__version__} (revision {GENERATOR_REVISION}), which writes other bytes for the same seeds: verify "
               f"it with the twinsplit that made it (pip install twinsplit=={tool.get('version', '?')})")
        return
    ctx.generator = made
    c.detail = f"revision {made}"
