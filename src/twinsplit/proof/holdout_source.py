"""The holdout source in a set: its copy beside the holdout variants, what the manifest says of it, and how much
of its composed content it shares with the source (docs/proof.md#a-holdout-from-a-second-stage)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import config_body
from ..errors import InputError, TwinsplitError
from ..hashing import sha256_file
from ..manifest import source_entry
from ..plan.stakes import evidence, max_shared_fraction, missing
from ..write.pool import Target
from ..write.sourcecopy import SourceCopy, copy_source
from .canonical import shared_prims

if TYPE_CHECKING:
    from ..generate import Request
    from ..plan.draw import Plan

SHOWN = 10  # unmatched targets generate prints per side; the manifest lists all
DIR = "holdout-source"  # under OUT (or the sealed holdout directory), beside source/


def check_request(req: Request) -> None:
    """Before anything is drawn: the stakes profile can be met by this invocation, and the holdout source is a
    stage other than the source."""
    if (stakes := req.config.splits.stakes) is not None:
        ev = evidence(config_body(req.config), signed=req.sign_key is not None, sealed=req.seal_key is not None,
                      holdout_source=req.holdout_source is not None)
        if gaps := missing(stakes, ev):
            raise TwinsplitError(f"splits.stakes {stakes} cannot be met: {'; '.join(gaps)}")
    if req.holdout_source is not None:
        if not req.holdout_source.is_file():
            raise InputError(f"--holdout-source {req.holdout_source}: no such file")
        if req.source.is_file():  # else load() names the missing source
            check_distinct(req.source, req.holdout_source)


def copy_beside(req: Request, plan: Plan, source_root: Path, root: Path) -> tuple[dict[str, Any], Target] | None:
    """Copy the holdout source to `root`/holdout-source (OUT, or the sealed holdout directory: the trainer never
    sees it then), refuse it when it shares too much with the copied source at `source_root`, and give its
    manifest entry and the Target the holdout variants are written with. None without --holdout-source."""
    if req.holdout_source is None:
        return None
    from pxr import Sdf

    from ..write.layer import stage_metadata

    copy = copy_source(req.holdout_source, root / DIR)
    shared = shared_entry(root / DIR / copy.root, source_root, req.config.splits)
    check_shared(shared)
    other = plan.holdout_source.plan
    metadata = other.stage_metadata(stage_metadata(Sdf.Layer.FindOrOpen(str(req.holdout_source.resolve()))))
    target = Target(f"../{DIR}/{copy.root}", metadata, req.layer_format)
    return manifest_entry(copy, req.holdout_source, plan, shared), target


def check_distinct(source: Path, other: Path) -> None:
    """The holdout source must be another stage: not the source's file, nor a byte-identical copy of it."""
    if source.resolve() == other.resolve() or sha256_file(source) == sha256_file(other):
        raise TwinsplitError(f"--holdout-source {other} is the source itself (sha256 {sha256_file(other)[:12]}…): "
                             "a holdout drawn on the training stage is not independent of it; pass a second stage "
                             "of the site (another scan or model)")


def shared_entry(other_root: Path, source_root: Path, splits: Any) -> dict[str, Any]:
    """How many of the holdout source's composed prims are identical to one of the source's, and the ceiling."""
    identical, total = shared_prims(other_root, source_root)
    return {"prims": total, "identical": identical, "fraction": round(identical / total, 6) if total else 0.0,
            "max": max_shared_fraction(splits)}


def check_shared(shared: dict[str, Any]) -> None:
    if shared["fraction"] > shared["max"]:
        raise TwinsplitError(f"the holdout source shares {shared['identical']} of its {shared['prims']} composed "
                             f"prims with the source ({shared['fraction']:.1%} > splits.max_shared_fraction "
                             f"{shared['max']}): it is not an independent stage of the site")


def manifest_entry(copy: SourceCopy, other: Path, plan: Plan, shared: dict[str, Any]) -> dict[str, Any]:
    """manifest.json's `holdout_source`: the copied stage (files and hashes, as `source` records them), the match of
    the config's targets between the two stages, and the shared fraction."""
    hs = plan.holdout_source
    return {**source_entry(copy, other, hs.plan.scene, under=DIR), "match": hs.entry(), "shared": shared}


def summary(entry: dict[str, Any]) -> list[str]:
    """generate's lines about the holdout source: the shared fraction, then a warning per unmatched target."""
    m, sh = entry["match"], entry["shared"]
    out = [f"holdout source {entry['name']}: {m['matched_columns']} parameters matched; {sh['identical']} of its "
           f"{sh['prims']} composed prims identical to the source's ({sh['fraction']:.1%}, max {sh['max']:.0%})"]
    for side, where in (("source_only", "the source only"), ("holdout_source_only", "the holdout source only")):
        listed = m["unmatched"][side]
        for u in listed[:SHOWN]:
            out.append(f"warning: {u['block']}: target {u['target']} is on {where}: left out of the margin")
        if len(listed) > SHOWN:
            out.append(f"warning: and {len(listed) - SHOWN} more on {where} (manifest holdout_source.match.unmatched)")
    return out
