"""Physics materials: friction, restitution and density of every matched UsdPhysics material."""

from __future__ import annotations

import posixpath

from pydantic import Field

from ..base import Strict
from ..blocks.attributes import attribute_params
from ..blocks.data import ParamSpec
from ..blocks.distributions import Dist
from ..blocks.registry import BlockKind
from ..scene.info import SceneInfo
from ..scene.selectors import Selector

ATTRS = {
    "static_friction": "physics:staticFriction",
    "dynamic_friction": "physics:dynamicFriction",
    "restitution": "physics:restitution",
    "density": "physics:density",
}


class PhysicsCfg(Strict):
    """Randomize UsdPhysics material attributes of the matched materials."""

    match: Selector = Field(default_factory=Selector,
                            description="Which materials. Default: every prim with PhysicsMaterialAPI.")
    static_friction: Dist | None = Field(None,
                                         description="physics:staticFriction (unitless). Default: not randomized.")
    dynamic_friction: Dist | None = Field(None, description="physics:dynamicFriction (unitless). Default: not "
                                                            "randomized.")
    restitution: Dist | None = Field(None, description="physics:restitution in [0, 1]. Default: not randomized.")
    density: Dist | None = Field(None, description="physics:density in kg/m^3 (converted to stage units). Default: "
                                                   "not randomized.")


def physics_params(scene: SceneInfo, block: PhysicsCfg, source: str) -> list[ParamSpec]:
    prims = scene.require(block.match, f"{source}.match", default_api="PhysicsMaterialAPI", kinds=("material",))
    # kg/m^3 -> kg-per-unit / unit^3, so a config in SI works on centimetre stages too.
    density_scale = scene.meters_per_unit**3 / scene.kilograms_per_unit
    return attribute_params(scene, block, source, prims, ATTRS, {k: "float" for k in ATTRS},
                            unit_scales={"density": density_scale})


def physics_starter(scene: SceneInfo) -> str | None:
    mats = scene.materials
    if not mats:
        return None
    lines = [
        f"  # {len(mats)} physics material(s) found, e.g. {mats[0]}",
        "  physics_materials:",
        f"    match: {{api: [PhysicsMaterialAPI]}}   # or paths: [\"{_common_parent(mats)}/**\"]",
        "    static_friction: {distribution: uniform, low: 0.5, high: 1.0}",
        "    dynamic_friction: {distribution: uniform, low: 0.2, high: 0.5}  # below static friction",
        "    restitution: {distribution: uniform, low: 0.0, high: 0.4}",
    ]
    if any(_density(scene, m) > 0 for m in mats):
        lines.append("    density: {distribution: uniform, low: 0.8, high: 1.2, operation: scale}  "
                     "# x authored density")
    return "\n".join(lines)


def _common_parent(paths: list[str]) -> str:
    parent = posixpath.commonpath(paths)
    return posixpath.dirname(parent) if parent in paths else parent


def _density(scene: SceneInfo, prim: str) -> float:
    info = scene.prims[prim].attrs.get("physics:density")
    return float(info.value or 0.0) if info else 0.0


KIND = BlockKind(
    name="physics_materials",
    config_model=PhysicsCfg,
    params=physics_params,
    selectors=lambda block: [("match", block.match, {"default_api": "PhysicsMaterialAPI", "kinds": ("material",)})],
    starter=physics_starter,
    doc=PhysicsCfg.__doc__ or "",
)
