"""Lighting: intensity, exposure, colour temperature, colour and on/off of every matched UsdLux light."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from ..base import Strict
from ..blocks.attributes import attribute_edits, attribute_params
from ..blocks.data import Edit, ParamSpec
from ..blocks.distributions import Dist
from ..blocks.registry import BlockKind
from ..scene.info import SceneInfo
from ..scene.selectors import Selector

ATTRS = {
    "intensity": "inputs:intensity",
    "exposure": "inputs:exposure",
    "color_temperature": "inputs:colorTemperature",
    "color": "inputs:color",
    "enabled": "visibility",
}
TYPES = {"intensity": "float", "exposure": "float", "color_temperature": "float", "color": "color3f",
         "enabled": "token"}


class LightingCfg(Strict):
    """Randomize UsdLux light inputs of the matched lights."""

    match: Selector = Field(default_factory=Selector, description="Which lights. Default: every prim with LightAPI.")
    intensity: Dist | None = Field(None, description="inputs:intensity (nits). Default: not randomized.")
    exposure: Dist | None = Field(None, description="inputs:exposure (stops). Default: not randomized.")
    color_temperature: Dist | None = Field(None, description="inputs:colorTemperature in kelvin; also turns "
                                                             "enableColorTemperature on. Default: not randomized.")
    color: Dist | None = Field(None, description="inputs:color, each of r, g, b drawn from this in [0, 1]. Default: "
                                                 "not randomized.")
    enabled: Dist | None = Field(None, description="choice of true/false: false makes the light invisible (off). "
                                                   "Default: not randomized.")


def lighting_params(scene: SceneInfo, block: LightingCfg, source: str) -> list[ParamSpec]:
    prims = scene.require(block.match, f"{source}.match", default_api="LightAPI", kinds=("light",))
    return attribute_params(scene, block, source, prims, ATTRS, TYPES, components={"color": 3})


def lighting_edits(scene: SceneInfo, block: LightingCfg, params: list[ParamSpec], draws: np.ndarray) -> list[Edit]:
    edits = []
    for e in attribute_edits(scene, block, params, draws):
        if e.attr == "visibility":  # enabled: true/false -> the visibility token Omniverse honours for lights
            e = Edit(path=e.path, attr="visibility", type_name="token",
                     value="inherited" if e.value in (True, "true", "inherited", 1) else "invisible")
        edits.append(e)
        if e.attr == "inputs:colorTemperature":
            edits.append(Edit(path=e.path, attr="inputs:enableColorTemperature", type_name="bool", value=True))
    return edits


def lighting_starter(scene: SceneInfo) -> str | None:
    lights = scene.lights
    if not lights:
        return None
    return "\n".join([
        f"  # {len(lights)} light(s) found, e.g. {lights[0]}",
        "  lighting:",
        "    match: {api: [LightAPI]}",
        "    intensity: {distribution: loguniform, low: 0.5, high: 2.0, operation: scale}  # x authored intensity",
        "    color_temperature:",
        "      distribution: uniform",
        "      low: 3000",
        "      high: 6500",
        "      # holdout: {low: 2200, high: 3000}   # a holdout-only range (warm light training never saw)",
    ])


KIND = BlockKind(
    name="lighting",
    config_model=LightingCfg,
    params=lighting_params,
    selectors=lambda block: [("match", block.match, {"default_api": "LightAPI", "kinds": ("light",)})],
    edits=lighting_edits,
    starter=lighting_starter,
    doc=LightingCfg.__doc__ or "",
)
