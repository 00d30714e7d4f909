"""`twinsplit init`: a commented starter config built from what discovery found on the stage."""

from __future__ import annotations

from pathlib import Path

from .blocks.registry import EVENTS, RANDOMIZERS
from .scene.info import SceneInfo


def _sections(entries, scene: SceneInfo) -> list[str]:
    return [block for entry in entries.values() if entry.starter and (block := entry.starter(scene))]


def starter_config(scene: SceneInfo, source: Path) -> str:
    units = f"metersPerUnit {scene.meters_per_unit:g}, {scene.up_axis}-up"
    head = [
        f"# twinsplit config for {source.name} ({units}), written by `twinsplit init`.",
        "# Every block below was built from what the stage contains; edit ranges to taste.",
        "# Reference: docs/config.md, JSON Schema: `twinsplit schema config`.",
        "version: 1",
        "",
        "# seeds:            # omit to draw entropy from the OS (it is recorded in the manifest)",
        "#   train: 1234",
        "#   holdout: 5678",
        "",
        "splits:",
        "  mode: iid         # iid | ood",
        "  min_margin: 0.02  # no holdout vector within this normalized L-inf distance of a train vector",
        "",
        "lineage:",
        "  purpose: \"evaluation twin for ...\"",
        "  owner: \"\"",
        "  consent: \"\"",
        "  retention: \"\"",
        "",
    ]
    randomize = _sections(RANDOMIZERS.load(), scene)
    events = _sections(EVENTS.load(), scene)
    body = head + ["randomize:"] + (randomize or ["  {}"])
    if events:
        body += ["", "events:"] + events
    return "\n".join(body) + "\n"
