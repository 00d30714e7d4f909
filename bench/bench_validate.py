"""Benchmark `twinsplit validate`: a large stage (per-rule times), and a 100-variant output dir validated
by delta (the default) versus re-running every rule on each composed variant.

    .venv/bin/python bench/bench_validate.py [--bodies 5000] [--variants 100] [--full-sample 5]

Uses bench/build_scene.py's build(path, bodies) when present, else a plain grid of boxes.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))


def build_stage(path: Path, bodies: int) -> str:
    try:
        from build_scene import build
    except ImportError:
        return _grid(path, bodies)
    build(path, bodies)
    return "bench/build_scene.py"


def _grid(path: Path, bodies: int) -> str:
    """Fallback: `bodies` dynamic unit boxes on a 2 m grid over a floor, one physics material."""
    side = int(bodies ** 0.5) + 1
    parts = ['#usda 1.0\n(\n    defaultPrim = "World"\n    metersPerUnit = 1\n    kilogramsPerUnit = 1\n'
             '    upAxis = "Z"\n    startTimeCode = 0\n    endTimeCode = 300\n)\ndef Xform "World"\n{\n'
             '    def PhysicsScene "PhysicsScene" {}\n'
             '    def Material "Steel" (prepend apiSchemas = ["PhysicsMaterialAPI"])\n    {\n'
             '        float physics:staticFriction = 0.6\n        float physics:dynamicFriction = 0.5\n    }\n'
             '    def SphereLight "Lamp"\n    {\n        float inputs:intensity = 800\n    }\n'
             '    def Xform "Bodies"\n    {\n']
    for i in range(bodies):
        x, y = 2.0 * (i % side), 2.0 * (i // side)
        parts.append(
            f'        def Cube "Box_{i}" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI", '
            f'"PhysicsMassAPI", "MaterialBindingAPI"])\n        {{\n            double size = 1\n'
            f'            float physics:mass = 10\n            rel material:binding:physics = </World/Steel>\n'
            f'            double3 xformOp:translate = ({x}, {y}, 0.5)\n'
            f'            uniform token[] xformOpOrder = ["xformOp:translate"]\n        }}\n')
    parts.append("    }\n}\n")
    path.write_text("".join(parts))
    return "built-in grid"


def output_dir(root: Path, source: Path, n: int) -> Path:
    """A twinsplit-shaped output dir by hand: each delta moves 10 bodies, edits a material, adds a person."""
    from pxr import Sdf, Usd, UsdPhysics

    stage = Usd.Stage.Open(str(source))
    bodies = [str(p.GetPath()) for p in stage.Traverse() if p.HasAPI(UsdPhysics.RigidBodyAPI)]
    mats = [str(p.GetPath()) for p in stage.Traverse() if p.HasAPI(UsdPhysics.MaterialAPI)]
    root_prim = str(stage.GetDefaultPrim().GetPath()) if stage.GetDefaultPrim() else "/World"
    meta = {k: stage.GetMetadata(k) for k in ("metersPerUnit", "kilogramsPerUnit", "upAxis")}
    out = root / "out"
    (out / "source").mkdir(parents=True)
    shutil.copy(source, out / "source" / "scene.usda")
    variants = []
    for i in range(n):
        split = "train" if i % 2 == 0 else "holdout"
        rel = f"{split}/{split}-{i // 2:05d}.usda"
        (out / split).mkdir(exist_ok=True)
        layer = Sdf.Layer.CreateNew(str(out / rel))
        layer.subLayerPaths.append("../source/scene.usda")
        for k, v in meta.items():
            layer.pseudoRoot.SetInfo(k, v)
        layer.startTimeCode, layer.endTimeCode = 0, 300
        with Sdf.ChangeBlock():
            for j in range(10):
                path = Sdf.Path(bodies[(i * 10 + j) % len(bodies)])
                spec = Sdf.CreatePrimInLayer(layer, path)
                attr = Sdf.AttributeSpec(spec, "xformOp:translate", Sdf.ValueTypeNames.Double3)
                attr.default = stage.GetPrimAtPath(path).GetAttribute("xformOp:translate").Get() or (0, 0, 0)
            if mats:
                spec = Sdf.CreatePrimInLayer(layer, Sdf.Path(mats[i % len(mats)]))
                Sdf.AttributeSpec(spec, "physics:staticFriction", Sdf.ValueTypeNames.Float).default = 0.5 + i / 1000
            person = Sdf.CreatePrimInLayer(layer, Sdf.Path(root_prim).AppendChild("Person"))
            person.specifier, person.typeName = Sdf.SpecifierDef, "Xform"
            tr = Sdf.AttributeSpec(person, "xformOp:translate", Sdf.ValueTypeNames.Double3)
            for t in range(0, 300, 30):
                layer.SetTimeSample(tr.path, t, (t / 30.0, -5.0, 0.0))
        layer.Save()
        variants.append({"id": Path(rel).stem, "split": split, "path": rel})
    manifest = {"source": {"root": "source/scene.usda", "layers": []}, "variants": variants}
    (out / "manifest.json").write_text(json.dumps(manifest))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bodies", type=int, default=5000)
    ap.add_argument("--variants", type=int, default=100)
    ap.add_argument("--full-sample", type=int, default=5, help="variants to validate in full mode (extrapolated)")
    args = ap.parse_args()

    from twinsplit.validate import engine, registry
    from twinsplit.validate.formats import summary

    rules = registry.select()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        src = tmp / "large.usda"
        t0 = time.perf_counter()
        how = build_stage(src, args.bodies)
        print(f"stage: {args.bodies} bodies via {how}, {src.stat().st_size / 1e6:.1f} MB "
              f"(built in {time.perf_counter() - t0:.1f} s)")

        t0 = time.perf_counter()
        report = engine.validate([engine.Target(src)], rules)
        print(f"large stage, all {len(rules)} rules: {time.perf_counter() - t0:.2f} s ({summary(report)})")
        stage = engine.open_stage(src)
        for info in rules:  # per rule, on an already open stage
            ctx = engine.Context(stage, src.name, selected=frozenset({info.id}))
            t0 = time.perf_counter()
            engine.run_rules(ctx, [info])
            print(f"  {info.id:<32} {1000 * (time.perf_counter() - t0):8.1f} ms")
        del stage

        t0 = time.perf_counter()
        out = output_dir(tmp, src, args.variants)
        print(f"\noutput dir: {args.variants} variants written in {time.perf_counter() - t0:.1f} s")
        t0 = time.perf_counter()
        report = engine.validate([engine.Target(out, output=True)], rules)
        delta = time.perf_counter() - t0
        src_s = report.files[0].seconds
        var_s = [f.seconds for f in report.files[1:]]
        print(f"delta mode: {delta:.2f} s total = source {src_s:.2f} s + {len(var_s)} variants "
              f"({1000 * sum(var_s) / max(len(var_s), 1):.1f} ms each) ({summary(report)})")

        sample = json.loads((out / "manifest.json").read_text())["variants"][: args.full_sample]
        t0 = time.perf_counter()
        for v in sample:
            engine.validate([engine.Target(out / v["path"])], rules)
        per = (time.perf_counter() - t0) / max(len(sample), 1)
        full = src_s + per * args.variants
        print(f"full mode:  {per:.2f} s per variant (measured on {len(sample)}), "
              f"{full:.1f} s for source + {args.variants} variants (extrapolated): {full / delta:.0f}x delta mode")


if __name__ == "__main__":
    main()
