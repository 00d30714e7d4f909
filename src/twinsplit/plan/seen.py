"""One variant's blocks as drawn (blocks.variant.Variant), for a block that plans around the rest of its variant."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..blocks.variant import Variant, VariantBlock

if TYPE_CHECKING:
    from .draw import Plan


def variant_view(plan: Plan, split: str, index: int) -> Variant:
    """The blocks this split draws in variant `index`, each with its slice of the variant's row."""
    row, out, start = plan.splits[split].draws[index], [], 0
    for b in plan.blocks:
        stop = start + len(b.params)
        if split in b.splits:
            out.append(VariantBlock(b.entry, b.cfg, list(b.params), row[start:stop], b.source))
        start = stop
    return Variant(plan.scene, tuple(out))
