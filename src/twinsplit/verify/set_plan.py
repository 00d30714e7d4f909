"""The plan of a generated set from its manifest's seeds + config and the copied source: what `report` and `score`
read each variant's draws from when verify did not already re-derive it."""

from __future__ import annotations

from pathlib import Path

from ..errors import TwinsplitError


def holdout_entropy(manifest: dict, reveal: Path | None) -> int | None:
    """The holdout entropy: recorded, or revealed by a key that opens the commitment; None while sealed."""
    seeds = manifest["seeds"].get("holdout", {})
    if seeds.get("entropy") is not None:
        return int(seeds["entropy"])
    if reveal is None or "commitment" not in seeds:
        return None
    from ..proof.seal import check_reveal, read_key

    try:
        key = read_key(reveal)
        check_reveal(key, seeds["commitment"])
    except TwinsplitError:
        return None  # the seal check in verify reports it; the report treats the holdout as sealed
    return key.entropy


def derive_plan(out: Path, manifest: dict, reveal: Path | None):
    """The plan from the manifest's seeds + config and the copied source (when verify could not give one)."""
    from ..config import parse_config
    from ..plan.draw import make_plan
    from ..scene.discover import load
    from ..write.outdir import safe_join
    from ..write.recheck import skips_of

    config = parse_config(manifest["config"]["body"], "in manifest")
    config._base = out  # a recorded `reference:` is the copy's path inside OUT
    train_seed = manifest["seeds"].get("train", {}).get("entropy")
    if train_seed is None:
        raise TwinsplitError("the manifest records no train entropy")
    entropy = {"train": int(train_seed)}
    hold = holdout_entropy(manifest, reveal)
    if hold is not None:
        entropy["holdout"] = hold
    counts = manifest["counts"]
    _, scene = load(safe_join(out, manifest["source"]["root"]))
    other = None
    if (hs := manifest.get("holdout_source")) is not None and hold is not None:
        if (path := safe_join(out, hs["root"])).is_file():
            other = load(path)[1]  # generate --holdout-source: the holdout is drawn on it
        else:
            hold = None  # it lives beside a sealed holdout, not in OUT: the plan is train only
    return make_plan(scene, config, counts["train"], counts["holdout"] if hold is not None else None, entropy,
                     holdout_scene=other, skips=skips_of(manifest["variants"]))
