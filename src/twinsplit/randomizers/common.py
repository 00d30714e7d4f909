"""Helpers shared by attribute randomizers (physics materials, lighting)."""

from __future__ import annotations

from pydantic import BaseModel

from ..distributions import Dist
from ..params import ParamSpec
from ..scene import AttrInfo, SceneInfo
from ..selectors import Selector


def attribute_params(scene: SceneInfo, block: BaseModel, source: str, prims: list[str],
                     attr_names: dict[str, str], default_types: dict[str, str],
                     unit_scales: dict[str, float] | None = None,
                     components: dict[str, int] | None = None) -> list[ParamSpec]:
    """One ParamSpec per (prim, configured key[, component]), typed from the stage's own attribute."""
    out: list[ParamSpec] = []
    for prim in prims:
        attrs = scene.prims[prim].attrs
        for key, attr in attr_names.items():
            dist: Dist | None = getattr(block, key)
            if dist is None:
                continue
            info = attrs.get(attr)
            legacy = attrs.get(attr.removeprefix("inputs:")) if attr.startswith("inputs:") else None
            if legacy is not None and legacy.authored and not (info and info.authored):
                # a light written before UsdLux's inputs: prefix: its authored value is the base; the variant
                # writes the inputs: name, which renderers prefer when both are present
                info = AttrInfo(info.type_name if info else legacy.type_name, legacy.value, True)
            type_name = info.type_name if info else default_types[key]
            base = info.value if info else None
            if dist.operation != "abs" and not (info and info.authored and base):
                continue  # scale/add act on authored values; a prim without one is left as it is
            n = (components or {}).get(key)
            for c in range(n) if n else [None]:
                suffix = f"[{c}]" if c is not None else ""
                out.append(ParamSpec(name=f"{prim}.{attr}{suffix}", prim=prim, attr=attr, type_name=type_name,
                                     source=source, key=key, dist=dist, component=c, base=base,
                                     unit_scale=(unit_scales or {}).get(key, 1.0)))
    return out


def block_selectors(name: str, blocks_match: list[tuple[int, Selector]], default_api: str, kind: str):
    return [(f"randomize.{name}[{i}].match", sel, {"default_api": default_api, "kinds": (kind,)})
            for i, sel in blocks_match]
