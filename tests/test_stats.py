import json
import math

import numpy as np
import pytest
import scipy.stats

from twinsplit.plan import stats
from twinsplit.plan.stats import (
    coverage,
    distance_report,
    energy_distance,
    mmd_rbf,
    nearest_train_distance,
    per_parameter,
    summary,
)


def rows(seed, n, d=3):
    return np.random.default_rng(seed).random((n, d))


def brute_energy(a, b):
    dist = lambda x, y: np.linalg.norm(x[:, None, :] - y[None, :, :], axis=-1)  # noqa: E731
    return math.sqrt(2 * dist(a, b).mean() - dist(a, a).mean() - dist(b, b).mean())


def test_identical_sets_are_zero():
    a = rows(0, 200)
    assert energy_distance(a, a) == 0.0
    assert energy_distance(a, a[::-1]) == 0.0  # same multiset, other summation order
    mmd2, bw = mmd_rbf(a, a[::-1])
    assert mmd2 == 0.0 and bw > 0


def on_grid(*sets):
    """The rows as the set distances see them: rounded to the grid (stats._grid), back in their own units."""
    grid, scale = stats._grid(*sets)
    return [g / scale for g in grid]


def test_energy_matches_brute_force_and_scipy():
    a, b = rows(1, 60), rows(2, 45)
    ga, gb = on_grid(a, b)
    assert energy_distance(a, b) == pytest.approx(brute_energy(ga, gb), rel=1e-12)
    assert energy_distance(a, b) == pytest.approx(brute_energy(a, b), rel=1e-5)  # the grid is fine
    ga1, gb1 = on_grid(a[:, :1], b[:, :1])
    assert energy_distance(a[:, :1], b[:, :1]) == pytest.approx(
        scipy.stats.energy_distance(ga1[:, 0], gb1[:, 0]), rel=1e-12
    )


def test_squared_distances_are_exact_integers_at_site_scale():
    # 15,042 parameters (the bench site): every squared grid distance must be the exact integer (int64 says)
    rng = np.random.default_rng(21)
    a, b = rng.random((7, 15_042)), rng.random((5, 15_042))
    a[0], b[0] = 0.0, 1.0  # the largest distance the grid allows
    (ga, gb), scale = stats._grid(a, b)
    assert scale == 2.0**18
    ia, ib = ga.astype(np.int64), gb.astype(np.int64)
    exact = ((ia[:, None, :] - ib[None, :, :]) ** 2).sum(axis=-1)
    got = np.vstack(list(stats._sq_blocks(ga, gb)))
    assert (got == exact).all() and exact.max() < 2**53


def test_set_distances_do_not_depend_on_column_or_row_order():
    # exact integer squared distances: any BLAS summation order gives the same bits
    a, b = rows(22, 90, 400), rows(23, 70, 400)
    perm = np.random.default_rng(0).permutation(400)
    want = stats.set_distances(a, b)
    assert stats.set_distances(a[:, perm], b[:, perm]) == want
    assert stats.set_distances(a[::-1], b[::-1])[0] == pytest.approx(want[0], rel=1e-15)


def test_blocked_sum_equals_unblocked(monkeypatch):
    a, b = rows(3, 70), rows(4, 50)
    whole = energy_distance(a, b), mmd_rbf(a, b)
    monkeypatch.setattr(stats, "_BLOCK_ELEMS", 7)  # forces one row per block
    assert energy_distance(a, b) == pytest.approx(whole[0], rel=1e-12)
    assert mmd_rbf(a, b) == pytest.approx(whole[1], rel=1e-12)


def test_mmd_matches_brute_force():
    a, b = rows(5, 40), rows(6, 30)
    mmd2, bw = mmd_rbf(a, b)
    a, b = on_grid(a, b)
    pooled = np.vstack([a, b])
    d = np.linalg.norm(pooled[:, None] - pooled[None], axis=-1)
    assert bw == pytest.approx(np.median(d[np.triu_indices(len(pooled), 1)]))
    k = lambda x, y: np.exp(-np.sum((x[:, None] - y[None]) ** 2, -1) / (2 * bw**2))  # noqa: E731
    assert mmd2 == pytest.approx(k(a, a).mean() + k(b, b).mean() - 2 * k(a, b).mean(), rel=1e-10)


def test_distance_grows_with_shift():
    a = rows(7, 150) * 0.5
    base = rows(8, 150) * 0.5
    shifts = [0.0, 0.05, 0.1, 0.2, 0.4]
    energies = [energy_distance(a, base + s) for s in shifts]
    mmds = [mmd_rbf(a, base + s)[0] for s in shifts]
    assert energies[0] > 0  # two different samples are not identical sets
    assert all(x < y for x, y in zip(energies, energies[1:], strict=False))
    assert all(x < y for x, y in zip(mmds, mmds[1:], strict=False))


def test_per_parameter_matches_scipy():
    a, b = rows(9, 80, 2), rows(10, 70, 2) ** 2
    out = per_parameter(a, b, ["p", "q"])
    assert [o["name"] for o in out] == ["p", "q"]
    for j, o in enumerate(out):
        ks = scipy.stats.ks_2samp(a[:, j], b[:, j])
        assert o["ks_statistic"] == ks.statistic and o["ks_pvalue"] == ks.pvalue
        assert o["wasserstein"] == scipy.stats.wasserstein_distance(a[:, j], b[:, j])
    with pytest.raises(ValueError, match="names"):
        per_parameter(a, b, ["p"])


def _columns(seed, n, m, d=24):
    """Two sets whose columns cover the awkward cases: ties within and across sets, constant columns
    (equal and different constants), one set wholly above the other, and plain continuous values."""
    rng = np.random.default_rng(seed)
    a, b = rng.random((n, d)), rng.random((m, d))
    a[:, :6], b[:, :6] = np.round(a[:, :6], 1), np.round(b[:, :6], 1)  # heavy ties
    a[:, 6], b[:, 6] = 0.5, 0.5
    a[:, 7], b[:, 7] = 0.25, 0.75
    a[:, 8] = 0.5
    b[:, 9] += 2.0
    a[:, 10], b[:, 10] = np.round(a[:, 10] * 3) / 3, np.round(b[:, 10] * 3) / 3
    b[:, 11] = a[np.arange(m) % n, 11]  # b repeats a's values
    return a, b


@pytest.mark.parametrize("n, m", [(1, 1), (1, 2), (2, 1), (2, 2), (3, 7), (40, 10), (10, 40), (33, 33), (57, 19)])
def test_per_parameter_equals_scipy_per_column(n, m):
    a, b = _columns(n * 100 + m, n, m)
    out = per_parameter(a, b, [f"c{j}" for j in range(a.shape[1])])
    for j, o in enumerate(out):
        ks = scipy.stats.ks_2samp(a[:, j], b[:, j])
        # bit for bit, not approximately: the manifest rounds these and must not change by one digit
        assert (o["ks_statistic"], o["ks_pvalue"]) == (float(ks.statistic), float(ks.pvalue)), (n, m, j)
        assert o["wasserstein"] == float(scipy.stats.wasserstein_distance(a[:, j], b[:, j])), (n, m, j)
        assert all(type(o[k]) is float for k in ("ks_statistic", "ks_pvalue", "wasserstein"))


def test_per_parameter_asymptotic_pvalue_above_scipy_exact_limit():
    # ks_2samp's method='auto' switches to the asymptotic p-value when a set has > 10,000 rows
    a, b = _columns(3, 10_001, 37, d=12)
    out = per_parameter(a, b, [f"c{j}" for j in range(12)])
    for j, o in enumerate(out):
        ks = scipy.stats.ks_2samp(a[:, j], b[:, j])
        assert (o["ks_statistic"], o["ks_pvalue"]) == (float(ks.statistic), float(ks.pvalue))
        assert o["wasserstein"] == float(scipy.stats.wasserstein_distance(a[:, j], b[:, j]))
    assert any(0 < o["ks_pvalue"] < 1 for o in out)  # the asymptotic formula ran, not only the 0/1 cases
    assert all(o["ks_method"] == "asymp" for o in out)


def test_exact_ks_pvalues_carry_no_method_mark():
    a, b = rows(24, 300, 4), rows(25, 280, 4) * 0.5
    report = distance_report(a, b, ["u", "v", "w", "x"])
    assert report["ks_asymptotic"] == 0 and not any("ks_method" in p for p in report["parameters"])


def test_per_parameter_column_blocks_give_the_same_figures(monkeypatch):
    a, b = _columns(4, 40, 10)
    names = [f"c{j}" for j in range(a.shape[1])]
    whole = per_parameter(a, b, names)
    monkeypatch.setattr(stats, "_BLOCK_ELEMS", 120)  # 2 columns per block, the last block partial
    assert per_parameter(a, b, names) == whole


def test_coverage_equals_per_column_unique():
    x = _columns(5, 50, 1)[0] % 1.0
    x[0, 3], x[1, 4] = 1.0, 0.0
    for bins in (1, 3, 10):
        idx = np.minimum((x * bins).astype(np.intp), bins - 1)
        assert coverage(x, bins) == [len(np.unique(idx[:, j])) / bins for j in range(x.shape[1])]


@pytest.mark.parametrize("metric, order", [("linf", np.inf), ("l2", 2)])
def test_nearest_train_matches_brute_force(metric, order):
    train, holdout = rows(11, 90, 4), rows(12, 35, 4)
    gt, gh = on_grid(train, holdout) if metric == "l2" else (train, holdout)  # l2 is measured on the grid
    brute = np.linalg.norm(gh[:, None] - gt[None], ord=order, axis=-1).min(axis=1)
    np.testing.assert_allclose(nearest_train_distance(train, holdout, metric), brute, rtol=1e-12)


def test_nearest_train_rejects_bad_metric():
    with pytest.raises(ValueError, match="metric"):
        nearest_train_distance(rows(0, 3), rows(1, 3), "l1")


def test_summary():
    assert summary(np.array([3.0, 1.0, 2.0, 10.0])) == {"min": 1.0, "median": 2.5, "max": 10.0}
    assert summary(np.zeros(0)) == {"min": None, "median": None, "max": None}


def test_coverage_exact():
    x = np.array(
        [
            [0.0, 0.5, 1.0],
            [0.05, 0.55, 1.0],
            [0.1, 0.59, 0.95],
            [0.99, 0.5, 0.9],
        ]
    )
    # col 0: bins 0,0,1,9 -> 3; col 1: bin 5 only -> 1; col 2: 1.0 and 0.95 in bin 9, 0.9 in bin 9 -> 1
    assert coverage(x) == [0.3, 0.1, 0.1]
    assert coverage(x, bins=2) == [1.0, 0.5, 0.5]
    assert coverage(np.zeros((0, 2))) == [0.0, 0.0]
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        coverage(np.array([[1.5]]))


def test_report_json_round_trip_and_determinism():
    train, holdout = rows(13, 120), rows(14, 40)
    names = ["a.x", "b.y", "c.z"]
    report = distance_report(train, holdout, names)
    text = json.dumps(report, sort_keys=True, allow_nan=False)
    assert json.loads(text) == report
    assert json.dumps(distance_report(train.copy(), holdout.copy(), names), sort_keys=True) == text
    assert report["n_train"] == 120 and report["n_holdout"] == 40 and report["n_parameters"] == 3
    assert report["energy_distance"] == float(f"{energy_distance(train, holdout):.6g}")
    assert [p["name"] for p in report["parameters"]] == names
    assert report["nearest_train"]["linf"]["min"] <= report["nearest_train"]["l2"]["min"]


def _floats(obj):
    if isinstance(obj, dict):
        for v in obj.values():
            yield from _floats(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _floats(v)
    elif isinstance(obj, float):
        yield obj


@pytest.mark.parametrize(
    "train, holdout, names",
    [
        (np.zeros((5, 0)), np.zeros((4, 0)), []),  # no parameters
        (np.array([[0.2, 0.7]]), np.array([[0.2, 0.7]]), ["u", "v"]),  # one identical row each
        (np.full((6, 2), 0.5), np.full((3, 2), 0.5), ["u", "v"]),  # constant columns, same point
        (np.zeros((0, 2)), rows(15, 5, 2), ["u", "v"]),  # empty train
    ],
)
def test_report_degenerate_cases_have_no_nan(train, holdout, names):
    report = distance_report(train, holdout, names)
    json.dumps(report, allow_nan=False)
    assert all(math.isfinite(v) for v in _floats(report))
    if len(train) and len(holdout):
        assert report["energy_distance"] == 0.0
        assert report["mmd_rbf"] == {"mmd2": 0.0, "bandwidth": None}
        assert report["nearest_train"]["linf"]["max"] == 0.0
        assert all(p["ks_statistic"] == 0.0 for p in report["parameters"])
    else:
        assert report["energy_distance"] is None
        assert report["nearest_train"]["l2"] == {"min": None, "median": None, "max": None}
        assert report["parameters"][0]["coverage_holdout"] > 0


def test_identical_sets_report_zero():
    a = rows(16, 50)
    report = distance_report(a, a, ["x", "y", "z"])
    assert report["energy_distance"] == 0.0 and report["mmd_rbf"]["mmd2"] == 0.0
    assert all(p["wasserstein"] == 0.0 and p["ks_statistic"] == 0.0 for p in report["parameters"])


def test_rounding_a_table_once_per_distinct_float_equals_rounding_each_value():
    rng = np.random.default_rng(9)
    pool = [0.0, -0.0, 1.0, 1 / 3, 2 / 3, 1e-300, -2.5e-7, 123456.789, float("nan"), float("inf"), -float("inf")]
    pool += rng.normal(size=20).tolist()
    rows = [{"name": f"p{i}", "ks_statistic": pool[int(rng.integers(len(pool)))], "ks_pvalue": None,
             "wasserstein": float(rng.choice(pool)), "coverage_train": 0.1 * int(rng.integers(11)), "n": i}
            for i in range(400)]
    got = stats._round_rows(rows)
    want = [stats._round_tree(r) for r in rows]
    assert json.dumps(got) == json.dumps(want)
    assert [list(r) for r in got] == [list(r) for r in rows]  # key order kept
