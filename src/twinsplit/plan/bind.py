"""Config blocks bound to the stage: each block's kind and parameters."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from ..blocks.data import ParamSpec
from ..blocks.registry import EVENTS, RANDOMIZERS, BlockKind
from ..errors import TwinsplitError
from ..scene.info import SceneInfo

if TYPE_CHECKING:
    from ..config import Config

SPLITS = ("train", "holdout")


@dataclass(frozen=True)
class Block:
    """One config block bound to the stage: its randomizer or event kind and its parameters."""

    section: str  # "randomize" | "events"
    name: str
    index: int
    cfg: BaseModel
    entry: BlockKind
    params: tuple[ParamSpec, ...]

    @property
    def source(self) -> str:
        return f"{self.section}.{self.name}[{self.index}]"

    @cached_property  # asked once per parameter (the plan's shared-column mask): a missing pydantic field is slow
    def splits(self) -> tuple[str, ...]:
        """Splits this block applies to: a `holdout_only: true` block never reaches a train variant."""
        return ("holdout",) if getattr(self.cfg, "holdout_only", False) else SPLITS

    @property
    def stream_key(self) -> int:
        # Keyed by name, not position, so adding a block never shifts another block's stream.
        return zlib.crc32(self.source.encode())


def _config_blocks(config: Config) -> list[tuple[str, str, int, BaseModel, BlockKind]]:
    out = []
    for section, registry in (("randomize", RANDOMIZERS.load()), ("events", EVENTS.load())):
        group = getattr(config, section)
        for name, entry in registry.items():
            for i, cfg in enumerate(getattr(group, name, None) or []):
                out.append((section, name, i, cfg, entry))
    return out


def collect_selectors(scene: SceneInfo, config: Config) -> list[tuple[str, Any, dict]]:
    """(where, selector, match kwargs) for every selector in the config, for validate's selector rule."""
    out = []
    for section, name, i, cfg, entry in _config_blocks(config):
        for where, sel, kw in entry.selectors(cfg):
            out.append((f"{section}.{name}[{i}].{where}", sel, kw))
    return out


def bind(scene: SceneInfo, config: Config) -> list[Block]:
    """Resolve every config block against the stage; a selector matching nothing is an error naming it."""
    blocks = []
    for section, name, i, cfg, entry in _config_blocks(config):
        source = f"{section}.{name}[{i}]"
        try:
            params = entry.params(scene, cfg, source)
        except ValueError as exc:
            raise TwinsplitError(f"{source}: {exc}") from None
        blocks.append(Block(section, name, i, cfg, entry, tuple(params)))
    if not any(b.params for b in blocks):
        raise TwinsplitError("the config randomizes nothing: add a block under `randomize:` or `events:`")
    return blocks
