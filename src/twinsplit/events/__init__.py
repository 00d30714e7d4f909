"""Scripted events: block kinds under `events:` (person, obstruction, alarm, zone).

Each module defines one `twinsplit.blocks.registry.BlockKind` as `KIND`, declared under the
`twinsplit.events` entry-point group in pyproject.toml; `EVENTS.load()` imports it."""
