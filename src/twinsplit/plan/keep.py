"""The ways a variant's blocks ask layout to keep clear (BlockKind.keep_out), and a variant drawn so that the
blocks that keep clear (BlockKind.keeps_clear) are sampled after the blocks whose ways they avoid.

Every block draws from its own stream, so the order blocks are sampled in changes no value: only what a
keeping-clear block sees of the others."""

from __future__ import annotations

import numpy as np

from ..blocks.variant import Way
from ..scene.info import SceneInfo
from .bind import Block


def ways(scene: SceneInfo, blocks: list[Block], split: str, rows: list[np.ndarray | None]) -> list[Way]:
    """The Ways of every block of `split` with a keep_out hook, from its drawn row (None: not drawn yet)."""
    out: list[Way] = []
    for b, row in zip(blocks, rows, strict=True):
        if b.entry.keep_out is not None and split in b.splits and row is not None:
            out += b.entry.keep_out(scene, b.cfg, list(b.params), row, split)
    return out


def draw_variant(scene: SceneInfo, blocks: list[Block], split: str, gens: list[np.random.Generator]) -> np.ndarray:
    """One variant's row: every block in its split drawn from its own generator, NaN for the others; blocks that
    keep clear last, with the others' ways (only when some block asks: otherwise exactly the plain order)."""
    rows: list[np.ndarray | None] = [None] * len(blocks)
    late = any(b.entry.keeps_clear for b in blocks) and any(b.entry.keep_out is not None for b in blocks)
    for k, (b, g) in enumerate(zip(blocks, gens, strict=True)):
        if split not in b.splits:
            rows[k] = np.full(len(b.params), np.nan)
        elif not (late and b.entry.keeps_clear):
            rows[k] = b.entry.sample(scene, b.cfg, list(b.params), split, g)
    if late:
        asked = ways(scene, blocks, split, rows)
        for k, (b, g) in enumerate(zip(blocks, gens, strict=True)):
            if rows[k] is None:
                rows[k] = b.entry.sample(scene, b.cfg, list(b.params), split, g,
                                         **({"keep_out": asked} if asked else {}))
    return np.concatenate(rows) if rows else np.zeros(0)


def row_ways(scene: SceneInfo, blocks: list[Block], split: str, row: np.ndarray) -> list[Way]:
    """The Ways of one drawn variant row (for a keeping-clear block's notes)."""
    rows, start = [], 0
    for b in blocks:
        rows.append(row[start:start + len(b.params)])
        start += len(b.params)
    return ways(scene, blocks, split, rows)
