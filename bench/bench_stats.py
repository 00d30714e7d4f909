"""The manifest's statistics and text at 15k parameters: the bench stage with `twinsplit init`'s starter config.

    python bench/bench_stats.py                          # 5,000 bodies, 8 train + 2 holdout (plan ~15 s)
    python bench/bench_stats.py --train 40 --holdout 10  # the figures in docs/performance.md

Builds the plan once (layout sampling dominates and is not timed here), then times, best of 3, each piece
against the per-value definition it replaces, and checks they agree: per-parameter KS/Wasserstein against
scipy's functions called per column, parameters_entry against one model_dump per parameter and split,
manifest.dumps against json.dumps(indent=2, sort_keys=True).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "src"))

from build_scene import build  # noqa: E402
from timing import best  # noqa: E402


def per_column(a, b, names) -> list[dict]:
    from scipy.stats import ks_2samp, wasserstein_distance

    out = []
    for j, name in enumerate(names):
        ks = ks_2samp(a[:, j], b[:, j])
        out.append({"name": name, "ks_statistic": float(ks.statistic), "ks_pvalue": float(ks.pvalue),
                    "wasserstein": float(wasserstein_distance(a[:, j], b[:, j]))})
    return out


def dump_per_parameter(plan) -> list[dict]:
    return [{s: p.resolved(s).model_dump(mode="json") for s in ("train", "holdout")} for p in plan.params]


@click.command()
@click.option("--bodies", default=5000, show_default=True)
@click.option("--train", "n_train", default=8, show_default=True)
@click.option("--holdout", "n_holdout", default=2, show_default=True)
def main(bodies: int, n_train: int, n_holdout: int) -> None:
    import yaml

    from twinsplit import manifest as mf
    from twinsplit.config import parse_config
    from twinsplit.generate import Request, build_plan
    from twinsplit.plan.stats import distance_report, per_parameter
    from twinsplit.scene.discover import load
    from twinsplit.starter import starter_config

    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "warehouse.usda"
        build(src, bodies)
        config = parse_config(yaml.safe_load(starter_config(load(src)[1], src)), "starter")
        t0 = time.perf_counter()
        _, plan, _ = build_plan(Request(source=src, config=config, out=Path(tmp) / "out", n_train=n_train,
                                        n_holdout=n_holdout, seed_train=1, seed_holdout=2))
        plan_s = time.perf_counter() - t0
        train, holdout, names = plan.normalized("train"), plan.normalized("holdout"), plan.shared_names()
        print(f"{bodies} bodies, {len(plan.params)} parameters, {n_train}+{n_holdout} variants; plan {plan_s:.1f} s")

        ref_s, ref = best(lambda: per_column(train, holdout, names))
        new_s, new = best(lambda: per_parameter(train, holdout, names))
        assert new == ref, "per_parameter differs from scipy per column"
        print(f"per-parameter KS + Wasserstein: {new_s * 1e3:.0f} ms (scipy per column: {ref_s:.2f} s, "
              f"{ref_s / new_s:.0f}x), {len({o['ks_statistic'] for o in new})} distinct KS statistics")
        report_s, report = best(lambda: distance_report(train, holdout, names))
        print(f"distance_report (all statistics, rounded): {report_s * 1e3:.0f} ms")

        ref_s, ref = best(lambda: dump_per_parameter(plan))
        new_s, entry = best(lambda: mf.parameters_entry(plan))
        assert [e["ranges"] for e in entry] == ref
        print(f"parameters_entry: {new_s * 1e3:.0f} ms (one model_dump per parameter and split: "
              f"{ref_s * 1e3:.0f} ms)")

        manifest = {"parameters": entry, "distance": report, "schema_version": 1}
        ref_s, ref = best(lambda: (json.dumps(manifest, indent=2, sort_keys=True, allow_nan=False) + "\n").encode())
        new_s, text = best(lambda: mf.dumps(manifest))
        assert text == ref, "manifest.dumps differs from json.dumps"
        print(f"manifest.dumps of the parameter and distance tables ({len(text) / 1e6:.1f} MB): "
              f"{new_s * 1e3:.0f} ms (json.dumps: {ref_s * 1e3:.0f} ms, {ref_s / new_s:.1f}x), byte-identical")


if __name__ == "__main__":
    main()
