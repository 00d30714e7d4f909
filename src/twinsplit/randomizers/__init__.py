"""Randomizers: block kinds under `randomize:` (physics materials, lighting, layout).

Each module registers one `twinsplit.blocks.registry.BlockKind` with `RANDOMIZERS`."""
