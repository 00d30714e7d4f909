"""Variant writer speed: a layout variant that moves every body of the benchmark warehouse.

    python bench/bench_writer.py                       # 5000 bodies, 15 runs
    python bench/bench_writer.py --bodies 1000 --runs 30

Edits: `double3 xformOp:translate` + `quatf xformOp:orient` for every box under /World/Boxes (random values,
quantized as the layout block does). Reports `render` and `values_bytes` against the Sdf authoring path
(`build_layer(...).ExportToString()`) and `json.dumps(indent=1)` they replace, and checks the bytes agree.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import click
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "src"))

from build_scene import build  # noqa: E402


def _ms(fn, runs: int) -> tuple[float, float]:
    """(median, fastest) process CPU time in ms: other processes on the machine inflate wall time."""
    times = []
    for _ in range(runs):
        t = time.process_time()
        fn()
        times.append(time.process_time() - t)
    return statistics.median(times) * 1000, min(times) * 1000


@click.command()
@click.option("--bodies", default=5000, show_default=True)
@click.option("--runs", default=15, show_default=True)
def main(bodies: int, runs: int) -> None:
    from pxr import Sdf

    from twinsplit.blocks.data import Edit
    from twinsplit.blocks.quantize import quantize
    from twinsplit.write.layer import build_layer, render, stage_metadata, values_bytes, values_record

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "w.usda"
        build(path, bodies)
        layer = Sdf.Layer.FindOrOpen(str(path))
        boxes: list[str] = []
        layer.Traverse("/World/Boxes", lambda p: boxes.append(str(p)) if p.IsPrimPath() and
                       layer.GetPrimAtPath(p).typeName == "Cube" else None)
        metadata = stage_metadata(layer)
    rng = np.random.default_rng(0)
    edits = []
    for p in sorted(boxes):
        t = rng.uniform(-40, 40, 3)
        q = rng.normal(size=4)
        q /= np.linalg.norm(q)
        edits.append(Edit(path=p, attr="xformOp:translate", type_name="double3",
                          value=tuple(quantize(v, "double") for v in t)))
        edits.append(Edit(path=p, attr="xformOp:orient", type_name="quatf",
                          value=tuple(quantize(v, "float") for v in q)))
    sub = "./source/w.usda"
    sdf_text = build_layer(edits, sub, metadata).ExportToString().encode()
    json_text = (json.dumps(values_record(edits), indent=1, sort_keys=True, allow_nan=False) + "\n").encode()
    assert render(edits, sub, metadata) == sdf_text, "render differs from Sdf's export"
    assert values_bytes(edits) == json_text, "values_bytes differs from json.dumps"
    figures = {
        "render (Sdf authoring + ExportToString)": _ms(
            lambda: build_layer(edits, sub, metadata).ExportToString().encode(), runs),
        "render": _ms(lambda: render(edits, sub, metadata), runs),
        "values (json.dumps indent=1)": _ms(
            lambda: json.dumps(values_record(edits), indent=1, sort_keys=True, allow_nan=False), runs),
        "values_bytes": _ms(lambda: values_bytes(edits), runs),
    }
    print(f"{len(boxes)} bodies, {len(edits)} edits, {len(sdf_text) / 1e6:.2f} MB usda; {runs} runs, CPU ms")
    print(f"  {'':42s} {'median':>7s} {'fastest':>7s}")
    for name, (med, fast) in figures.items():
        print(f"  {name:42s} {med:7.1f} {fast:7.1f}")
    both = [figures["render"][k] + figures["values_bytes"][k] for k in (0, 1)]
    print(f"  {'render + values_bytes':42s} {both[0]:7.1f} {both[1]:7.1f}")


if __name__ == "__main__":
    main()
