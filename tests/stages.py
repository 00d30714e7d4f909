"""Tiny real stages written as usda text, for tests (each test writes its own copy in tmp_path)."""

from __future__ import annotations

from pathlib import Path

SMALL = """#usda 1.0
(
    defaultPrim = "World"
    metersPerUnit = 1
    upAxis = "Z"
    kilogramsPerUnit = 1
)

def Xform "World"
{
    def PhysicsScene "PhysicsScene"
    {
        vector3f physics:gravityDirection = (0, 0, -1)
        float physics:gravityMagnitude = 9.81
    }

    def Scope "Materials"
    {
        def Material "Rubber" (
            prepend apiSchemas = ["PhysicsMaterialAPI"]
        )
        {
            float physics:staticFriction = 0.9
            float physics:dynamicFriction = 0.8
            float physics:restitution = 0.3
            float physics:density = 1100
        }

        def Material "Steel" (
            prepend apiSchemas = ["PhysicsMaterialAPI", "PhysxMaterialAPI"]
        )
        {
            float physics:staticFriction = 0.6
            float physics:dynamicFriction = 0.4
            float physics:restitution = 0.1
        }
    }

    def Cube "Floor" (
        prepend apiSchemas = ["PhysicsCollisionAPI", "MaterialBindingAPI"]
    )
    {
        double size = 1
        rel material:binding:physics = </World/Materials/Steel>
        double3 xformOp:translate = (0, 0, -0.05)
        float3 xformOp:scale = (10, 10, 0.1)
        uniform token[] xformOpOrder = ["xformOp:translate", "xformOp:scale"]
    }

    def Cube "Box" (
        prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI", "PhysicsMassAPI", "PhysxRigidBodyAPI", "MaterialBindingAPI"]
    )
    {
        double size = 1
        float physics:mass = 5
        rel material:binding:physics = </World/Materials/Rubber>
        double3 xformOp:translate = (1, 0, 0.5)
        uniform token[] xformOpOrder = ["xformOp:translate"]
    }

    def Scope "Lights"
    {
        def SphereLight "Key"
        {
            float inputs:intensity = 3000
            float inputs:radius = 0.2
            double3 xformOp:translate = (0, 0, 3)
            uniform token[] xformOpOrder = ["xformOp:translate"]
        }

        def DomeLight "Sky"
        {
            float inputs:intensity = 500
        }
    }
}
"""  # noqa: E501

CONFIG = """
seeds: {train: 11, holdout: 22}
lineage: {purpose: test, owner: qa, consent: synthetic, retention: 30 days}
randomize:
  physics_materials:
    static_friction: {low: 0.3, high: 1.0}
    dynamic_friction: {low: 0.2, high: 0.9}
    restitution: {distribution: normal, low: 0.0, high: 0.5, mean: 0.2, std: 0.1}
  lighting:
    intensity: {distribution: loguniform, low: 0.5, high: 2.0, operation: scale}
    color_temperature: {low: 3000, high: 6500}
    color: {low: 0.8, high: 1.0}
"""

# ood mode: holdout-only low static friction (train may not have every material inside it)
OOD = """
seeds: {train: 5, holdout: 6}
splits:
  mode: ood
  holdout_regions:
    - name: slippery
      params: {static_friction: {low: 0.05, high: 0.25}}
randomize:
  physics_materials:
    static_friction: {low: 0.05, high: 1.0, holdout: {low: 0.05, high: 0.25}}
    restitution: {low: 0.0, high: 0.5}
  lighting:
    intensity: {low: 0.5, high: 2.0, operation: scale}
"""


def write(tmp: Path, text: str = SMALL, name: str = "scene.usda") -> Path:
    p = tmp / name
    p.write_text(text)
    return p
