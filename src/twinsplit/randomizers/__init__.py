"""Randomizers: block kinds under `randomize:` (physics materials, lighting, layout).

Each module defines one `twinsplit.blocks.registry.BlockKind` as `KIND`, declared under the
`twinsplit.randomizers` entry-point group in pyproject.toml; `RANDOMIZERS.load()` imports it."""
