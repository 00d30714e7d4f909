"""`score` at scale: 10,000 result rows over 1,000 variants with 15,000 parameters.

    python bench/bench_score.py                       # the figures in docs/performance.md
    python bench/bench_score.py --variants 200 --parameters 2000

The set's side is a synthetic VariantTable (what `score.table.from_plan` builds from a re-derived plan: uniform
draws, a holdout-only block of 100 parameters NaN in train rows, three event kinds, one OOD region): generating
and re-deriving a 1,000-variant set of the 5,000-body stage is generate's and verify's cost, benchmarked in
their own sections. Success depends on two parameters plus noise; the bench checks they rank first. Times the
CSV read, the split and region statistics, the univariate screen and the tree model, best of 3.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import click
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from timing import best  # noqa: E402

from twinsplit.score import attribution, compute  # noqa: E402
from twinsplit.score.results import read  # noqa: E402
from twinsplit.score.table import VariantTable  # noqa: E402


def table(variants: int, parameters: int, rng: np.random.Generator) -> VariantTable:
    n_hold = variants // 5
    split = np.array(["train"] * (variants - n_hold) + ["holdout"] * n_hold)
    ids = [f"{s}-{i:05d}" for s, i in zip(split, [*range(variants - n_hold), *range(n_hold)], strict=True)]
    values = rng.random((variants, parameters))
    values[split == "train", -100:] = np.nan  # a holdout-only block
    kinds = ["alarm", "person", "obstruction"]
    has_kind = np.column_stack([split == "holdout", rng.random(variants) < 0.8, rng.random(variants) < 0.5])
    region = (split == "holdout") & (values[:, 0] < 0.3)
    return VariantTable(ids, split, [f"/World/Bench/Body_{j // 3}.layout:{'xyz'[j % 3]}" for j in range(parameters)],
                        values, np.ones(variants, dtype=bool), kinds, has_kind, [("low", region)])


@click.command()
@click.option("--variants", default=1000, show_default=True)
@click.option("--parameters", default=15000, show_default=True)
@click.option("--episodes", default=10, show_default=True)
def main(variants: int, parameters: int, episodes: int) -> None:
    rng = np.random.default_rng(np.random.SeedSequence(15))
    t = table(variants, parameters, rng)
    p = 0.85 - 0.5 * (t.values[:, 7] < 0.25) - 0.3 * (t.values[:, 4242 % parameters] > 0.8)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "results.csv"
        lines = ["variant,episode,success,reward"]
        for i, vid in enumerate(t.ids):
            for e in range(episodes):
                lines.append(f"{vid},{e},{int(rng.random() < p[i])},{rng.normal():.4f}")
        path.write_text("\n".join(lines) + "\n")
        t_read, results = best(lambda: read(path))
        _, y = results.metric("success")
        rows = compute.rows_of(t, results)
        means, _ = compute.bs.per_variant(rows, y, len(t.ids))
        x = np.hstack([t.values, t.has_kind.astype(float)])
        t_uni, uni = best(lambda: attribution.univariate(x, means))
        t_all, score = best(lambda: compute.score(t, results))
    names = [a["parameter"] for a in score["attribution"][:2]]
    print(f"{len(results.variants)} rows, {variants} variants, {parameters} parameters, "
          f"{attribution.PERMUTATIONS} permutations, top {attribution.TOP_K} in the tree model")
    print(f"read results        {t_read:7.3f} s")
    print(f"univariate screen   {t_uni:7.3f} s")
    print(f"whole score()       {t_all:7.3f} s  (model R² {score['attribution_facts']['model']['r2']:.2f} on "
          f"{score['attribution_facts']['model']['scored_on']})")
    print(f"top two: {names}; gap {score['gap']['gap']:.3f} {score['gap']['ci95']}")
    expected = {t.names[7], t.names[4242 % parameters]}
    if set(names) != expected:
        raise SystemExit(f"expected {sorted(expected)} first")


if __name__ == "__main__":
    main()
