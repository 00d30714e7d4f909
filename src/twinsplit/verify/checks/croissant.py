"""verify check `croissant`: OUT/croissant.json is the Croissant document the manifest gives."""

from __future__ import annotations

from ...manifest import MANIFEST
from ...proof.croissant import CROISSANT, dumps
from ..core import Check, Context, check


@check("croissant", order=85)
def croissant(ctx: Context, c: Check) -> None:
    """OUT/croissant.json is byte for byte the Croissant 1.1 document re-derived from manifest.json (the files,
    their sha256, splits, lineage and seeds it describes are the manifest's)."""
    import json

    path = ctx.out / CROISSANT
    if not path.is_file():
        c.fail("missing: generate writes it beside the manifest", file=CROISSANT)
        return
    manifest_bytes = (ctx.out / MANIFEST).read_bytes()
    if path.read_bytes() != dumps(json.loads(manifest_bytes), manifest_bytes):
        c.fail("differs from the document re-derived from manifest.json (edited, or from another manifest)",
               file=CROISSANT)
        return
    c.detail = "re-derived from the manifest"
