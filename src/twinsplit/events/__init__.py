"""Scripted events: block kinds under `events:` (person, obstruction, alarm, zone).

Each module registers one `twinsplit.blocks.registry.BlockKind` with `EVENTS`."""
