"""`twinsplit init`: a commented starter config built from what discovery found on the stage.

init's promise: `generate` accepts the config unchanged on the same stage. So every block a kind suggests is
bound to the stage and drawn in a few trial variants before it is written; a block that fails either is left
out with a comment saying why, and a stage with nothing to randomize is refused (init writes nothing).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

from .blocks.registry import EVENTS, RANDOMIZERS, BlockKind
from .config import parse_config
from .errors import TwinsplitError
from .scene.info import SceneInfo

TRIALS = 3  # trial variants drawn per block: a block that draws only zeros in all of them is left out


def _trial(section: str, entry: BlockKind, scene: SceneInfo, data: dict) -> str | None:
    """Why generate would refuse this block on the stage (bound and drawn as generate does), or None."""
    source = f"{section}.{entry.name}[0]"
    try:
        cfg = getattr(getattr(parse_config({section: data}, "starter"), section), entry.name)[0]
        params = entry.params(scene, cfg, source)
        drew = params and any(np.any(entry.sample(scene, cfg, params, "train", np.random.default_rng(seed)))
                              for seed in range(TRIALS))  # stops at the first trial that draws something
    except (TwinsplitError, ValueError) as exc:
        return " ".join(str(exc).split())
    if not params:
        return "it has no parameters on this stage"
    if not drew:
        return (f"it drew only zeros in {TRIALS} trial variants (every variant would equal the source: its bounds, "
                "keep-out regions or neighbours leave no room)")
    return None


def _sections(section: str, entries, scene: SceneInfo) -> tuple[list[str], list[str]]:
    """(text of every block or note the kinds suggest, the names of the blocks kept)."""
    texts, kept = [], []
    for entry in entries.values():
        text = entry.starter(scene) if entry.starter else None
        if not text:
            continue
        data = yaml.safe_load(text)
        if not data:  # only comments: the kind says why it suggests nothing
            texts.append(text)
            continue
        why = _trial(section, entry, scene, data)
        if why is None:
            texts.append(text)
            kept.append(entry.name)
        else:
            texts.append(f"  # {entry.name} block left out: {why}")
    return texts, kept


def _notes(texts: list[str]) -> str:
    lines = [line.strip().removeprefix("# ") for t in texts for line in t.splitlines() if line.strip()]
    return f" ({'; '.join(lines)})" if lines else ""


def starter_config(scene: SceneInfo, source: Path) -> str:
    """The starter config text; TwinsplitError when the stage has nothing to randomize."""
    randomize, kept_r = _sections("randomize", RANDOMIZERS.load(), scene)
    events, kept_e = _sections("events", EVENTS.load(), scene)
    if not kept_r and not kept_e:
        raise TwinsplitError(f"{source.name}: nothing to randomize: no physics materials, lights, movable rigid "
                             f"bodies or event regions found{_notes(randomize + events)}; no config written")
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
        "  purpose: \"evaluation twin for ...\"  # or a list; verify --purpose P matches one exactly",
        "  owner: \"\"",
        "  consent: \"\"",
        "  retention: \"\"     # P90D, \"90 days\", or a date to delete by (YYYY-MM-DD)",
        "  # sources:         # the real-world captures the source was built from (docs/config.md#lineage)",
        "  #   - {capture_ids: [scan-001], site: \"...\", capture_date: 2026-01-31, jurisdiction: DE}",
        "",
    ]
    body = head + ["randomize:"] + randomize + ([] if kept_r else ["  {}"])
    if events:
        body += ["", "events:"] + events + ([] if kept_e else ["  {}"])
    text = "\n".join(body) + "\n"
    parse_config(yaml.safe_load(text), "starter")  # the whole text parses as the blocks did one by one
    return text
