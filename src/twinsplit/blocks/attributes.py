"""The default sample/edits of a block kind: independent draws, one edit per attribute."""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import BaseModel

from ..scene.info import AttrInfo, SceneInfo
from ..scene.selectors import Selector
from .data import Edit, ParamSpec
from .distributions import Dist, union_choices


def sample_independent(scene: SceneInfo, block: Any, params: list[ParamSpec], split: str,
                       rng: np.random.Generator) -> np.ndarray:
    """Draws for one variant: one uniform per parameter from the variant's stream, then each inverse CDF.

    Parameters sharing one distribution (one config key over many prims) go through it in one vectorized
    call; the inverse CDFs are elementwise, so the values are those of one call per parameter."""
    u = rng.random(len(params))
    out = np.empty(len(params), dtype=np.float64)
    groups: dict[int, list[int]] = {}
    for i, p in enumerate(params):
        groups.setdefault(id(p.dist), []).append(i)
    for idx in groups.values():
        out[idx] = params[idx[0]].draw(split, u[idx])
    return out


def attribute_edits(scene: SceneInfo, block: Any, params: list[ParamSpec], draws: np.ndarray) -> list[Edit]:
    """One edit per attribute; vector components drawn separately are joined back into one value."""
    grouped: dict[tuple[str, str], list] = {}
    types: dict[tuple[str, str], str] = {}
    for p, d in zip(params, draws, strict=False):
        key = (p.prim, p.attr)
        types[key] = p.type_name
        value = p.value(float(d))
        if p.component is None:
            grouped[key] = value
        else:
            current = grouped.setdefault(key, list(p.base) if p.base is not None else [0.0, 0.0, 0.0])
            current[p.component] = value
    return [Edit(path=k[0], attr=k[1], type_name=types[k], value=tuple(v) if isinstance(v, list) else v)
            for k, v in grouped.items()]


_NUMBERS = ("float", "double", "half", "int", "uint", "int64", "uint64", "uchar")


def _check_choices(dist: Dist, type_name: str, key: str, where: str) -> None:
    """A `choice` of non-numbers for a numeric attribute (a word for a float): refused here, naming both, not by
    USD when the first variant is written. (Tokens are not checked: a kind may map choices to them, e.g.
    lighting's enabled true/false -> visibility.)"""
    if dist.distribution != "choice" or type_name not in _NUMBERS:
        return
    bad = [c for c in union_choices(dist) if isinstance(c, bool) or not isinstance(c, (int, float))]
    if bad:
        raise ValueError(f"{key}: choices {', '.join(map(repr, bad))} are not {type_name} values ({where} is "
                         f"{type_name})")


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
            _check_choices(dist, type_name, key, f"{prim}.{attr}")
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
