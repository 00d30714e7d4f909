"""`twinsplit report OUT`: one self-contained, deterministic HTML page; verify's verdict; sealed sets; Chromium render."""  # noqa: E501

import base64
import hashlib
import io
import itertools
import json
import re
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from matplotlib import image

from browser import needs_chromium, screenshot
from stages import CONFIG, OOD, write
from twinsplit.cli import main

REPO = Path(__file__).resolve().parents[1]
PNG = b"\x89PNG\r\n\x1a\n"
SECTIONS = ["twinsplit report:", "1. Verify checks", "2. Parameters: train vs holdout", "3. Projection of all variants",
            "4. Holdout distance to the nearest train variant", "5. Events timeline", "6. Train ↔ holdout distance",
            "7. Floor plan", "8. Score"]


def images(html: str) -> list[bytes]:
    return [base64.b64decode(b, validate=True) for b in re.findall(r'src="data:image/png;base64,([^"]+)"', html)]


def test_report_sections_images_determinism_and_location(generated, run_cli, tmp_path):
    out = generated
    result = run_cli("report", out)
    path = tmp_path / "out-report.html"  # default: beside OUT, named after it
    assert f"report: {path} (4 figures)" in result.output
    html = path.read_text(encoding="utf-8")
    for section in SECTIONS:
        assert section in html, section
    pngs = images(html)
    assert len(pngs) == 4 and all(p.startswith(PNG) and len(p) > 5_000 for p in pngs)
    # self-contained: no scripts, no external resources, every src/href is a data URI
    assert "<script" not in html and "http://" not in html and "https://" not in html
    assert all(u.startswith("data:image/png;base64,") for u in re.findall(r'(?:src|href)="([^"]*)"', html))
    assert "verify passed" in html and "FAIL" not in html
    assert "no events: the config declares no `events:` blocks" in html
    assert "entropy <code>11</code>" in html and "entropy <code>22</code>" in html  # stages.CONFIG seeds
    m = json.loads((out / "manifest.json").read_text())
    assert f"12 train, 4 holdout, {m['distance']['n_parameters']}" in html
    assert f"{m['distance']['energy_distance']:.4g}" in html  # recomputed figure equals the recorded one
    assert str(out) not in html  # no absolute paths: a moved OUT gives the same page
    # nothing was added to OUT: verify's file inventory still passes
    assert "verified: the independence proof holds" in run_cli("verify", out).output
    # same OUT -> byte-identical report
    again = tmp_path / "elsewhere" / "again.html"
    run_cli("report", out, "-o", again)
    assert again.read_bytes() == path.read_bytes()


def test_report_refuses_a_path_inside_out(generated, run_cli):
    result = run_cli("report", generated, "-o", generated / "train" / "r.html", expect=1)
    assert "may not go inside OUT" in result.output
    assert not (generated / "train" / "r.html").exists()
    run_cli("verify", generated)


def test_tampered_out_still_writes_report_saying_failed(generated, run_cli, tmp_path):
    values = generated / "train" / "train-00003.values.json"
    data = json.loads(values.read_text())
    key = sorted(data)[0]
    data[key] = 0.123456
    values.write_text(json.dumps(data))
    result = run_cli("report", generated, expect=1)
    assert "verification FAILED" in result.output
    html = (tmp_path / "out-report.html").read_text()
    assert "verify FAILED" in html and '<span class="fail">FAIL</span>' in html
    assert "train/train-00003.values.json" in html  # the problem names the file
    assert len(images(html)) == 4  # figures come from the re-derived plan, not the edited file


def test_missing_manifest_and_missing_out_are_clear_errors(tmp_path, run_cli):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_cli("report", empty, expect=1)
    assert "is not a twinsplit output: no manifest.json" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "empty-report.html").exists()
    assert "no such output directory" in run_cli("report", tmp_path / "nope", expect=1).output


@pytest.fixture
def sealed(tmp_path, run_cli):
    src = write(tmp_path)
    cfg = tmp_path / "sealed.yaml"
    cfg.write_text(CONFIG.replace("seeds: {train: 11, holdout: 22}", "seeds: {train: 11}"))
    out, hold, key = tmp_path / "out", tmp_path / "vault" / "holdout", tmp_path / "vault" / "seal.key"
    key.parent.mkdir()
    run_cli("generate", src, "--config", cfg, "--out", out, "--train", 8, "--holdout", 3,
            "--seal", key, "--holdout-out", hold)
    return out, hold, key


def test_sealed_report_shows_train_only_until_revealed(sealed, run_cli, tmp_path):
    out, hold, key = sealed
    run_cli("report", out)
    html = (tmp_path / "out-report.html").read_text()
    commitment = json.loads((out / "manifest.json").read_text())["seeds"]["holdout"]["commitment"]
    assert f"sealed: commitment <code>{commitment}</code>" in html
    assert "The holdout is sealed: only the train side is shown" in html
    assert "holdout sealed: no distance figures without its key" in html
    assert "verify passed" in html and len(images(html)) == 3  # histograms, projection, floor plan: train only
    entropy = json.loads(key.read_text())["holdout_entropy"]
    assert entropy not in html

    opened = tmp_path / "opened.html"
    run_cli("report", out, "-o", opened, "--holdout", hold, "--reveal", key)
    html = opened.read_text()
    assert "revealed key matches the commitment" in html and "11 variants re-derived" in html
    assert len(images(html)) == 4 and "energy distance" in html and "The holdout is sealed" not in html


def test_ood_region_is_shaded_in_the_projection(tmp_path, run_cli):
    src = write(tmp_path)
    cfg = tmp_path / "ood.yaml"
    cfg.write_text(OOD)
    out = tmp_path / "o"
    run_cli("generate", src, "--config", cfg, "--out", out, "--train", 20, "--holdout", 5)
    run_cli("report", out)
    html = (tmp_path / "o-report.html").read_text()
    assert "shaded: the 1 holdout-only region(s)" in html
    pngs = images(html)
    assert len(pngs) == 4
    px = (image.imread(io.BytesIO(pngs[1]))[..., :3] * 255).round()
    r, g, b = px[..., 0], px[..., 1], px[..., 2]
    shaded = (r > 245) & (g > 215) & (g < 245) & (b > 195) & (b < 228)  # orange at alpha 0.18 over white
    assert shaded.sum() > 5_000


def test_box_projection_is_the_exact_hull_of_all_corners():
    from scipy.spatial import ConvexHull

    from twinsplit.report.plots import box_projection, pca

    rng = np.random.default_rng(3)
    pts = rng.random((40, 6)) * np.array([1, 0.2, 1, 0.5, 0.1, 1])
    mean, load, ratio = pca(pts)
    for j in range(2):  # sign convention: the largest loading of each component is positive
        assert load[np.argmax(np.abs(load[:, j])), j] > 0
    assert ratio[0] >= ratio[1] > 0
    m2, l2, _ = pca(pts[::-1].copy())  # row order does not change the components or their signs
    assert np.allclose(l2, load)
    low, high = np.array([0.1, 0, 0.3, 0, 0, 0.6]), np.array([0.4, 1, 0.5, 1, 1, 0.9])
    corners = np.array([np.where(bits, high, low) for bits in itertools.product([0, 1], repeat=6)])
    full = ConvexHull((corners - mean) @ load)
    fast = box_projection(low, high, mean, load)
    assert len(fast) <= 12  # at most 2d vertices, not 2^d corners
    assert ConvexHull(fast).volume == pytest.approx(full.volume, rel=1e-9)


def test_events_timeline_from_a_set_with_events(tmp_path, run_cli):
    cfg = tmp_path / "ev.yaml"
    cfg.write_text((REPO / "sample_scenes/warehouse/twin.yaml").read_text()
                   + "events:\n  person_enters_corridor: [{region: aisle}]\n")
    out = tmp_path / "ev"
    run_cli("generate", REPO / "sample_scenes/warehouse/warehouse.usda", "--config", cfg, "--out", out,
            "--train", 6, "--holdout", 2)
    run_cli("report", out)
    html = (tmp_path / "ev-report.html").read_text()
    assert 'alt="events timeline"' in html and "no events:" not in html and len(images(html)) == 5


@pytest.fixture(scope="module")
def warehouse_report(tmp_path_factory):
    """The demo scene (32 parameters): 12 train + 4 holdout and its report."""
    tmp = tmp_path_factory.mktemp("warehouse")
    out = tmp / "set"
    for args in (["generate", REPO / "sample_scenes/warehouse/warehouse.usda", "--config",
                  REPO / "sample_scenes/warehouse/twin.yaml", "--out", out, "--train", 12, "--holdout", 4,
                  "--seed-train", 1, "--seed-holdout", 2], ["report", out]):
        r = CliRunner().invoke(main, [str(a) for a in args])
        assert r.exit_code == 0, r.output
    return tmp / "set-report.html"


def test_many_parameters_show_the_24_largest_ks(warehouse_report):
    html = warehouse_report.read_text()
    assert "the 24 parameters with the largest KS statistic of 32; 8 omitted" in html
    assert html.count("<tr><td><code>/World/") == 32  # every parameter is in the distance table


@needs_chromium
def test_chromium_renders_the_report(warehouse_report, tmp_path):
    shot = screenshot(warehouse_report, tmp_path, 2400)
    px = image.imread(shot)
    assert px.shape[:2] == (2400, 1280)
    rgb = (px[..., :3] * 255).round().astype(np.uint8).reshape(-1, 3)
    assert len(np.unique(rgb, axis=0)) > 50  # text, plots, table shading: not a blank page
    # the histogram colours (train blue, holdout red) are on the page
    assert ((rgb[:, 2] > 150) & (rgb[:, 0] < 150)).sum() > 2000 and ((rgb[:, 0] > 180) & (rgb[:, 2] < 150)).sum() > 2000


def test_long_parameter_names_do_not_run_into_the_next_histogram():
    """Histogram titles are elided to their panel's width (the distance table keeps the full names)."""
    from twinsplit.report.plots import HistPanel, histograms

    rng = np.random.default_rng(0)
    long = ("/World/Warehouse_Rack_Assembly_With_A_Very_Long_Name/Shelf_03/"
            "Galvanized_Steel_Material.physics:staticFriction")
    panels = [HistPanel(long + str(k), rng.random(20), rng.random(5), "KS 0.3 (p 0.2)  W 0.1") for k in range(4)]
    px = image.imread(io.BytesIO(histograms(panels)))[..., :3]
    # the 4 panels span x 0.02..0.98 with gaps of 0.08 panel widths: title text must stay out of the gaps
    w = px.shape[1]
    panel = 0.96 / (4 + 3 * 0.08)
    title_band = px[: int(0.42 * 100)]  # the top margin holds the titles
    for k in range(1, 4):
        right_of_panel = 0.02 + k * panel + (k - 1) * 0.08 * panel
        gap = title_band[:, int(right_of_panel * w) + 2: int((right_of_panel + 0.08 * panel) * w) - 2]
        assert gap.min() > 0.9, f"title text in the gap after panel {k}"


@pytest.fixture(scope="module")
def scored_report(warehouse_report):
    """The warehouse set's report with results: success falls with the first light's intensity."""
    out = warehouse_report.parent / "set"
    m = json.loads((out / "manifest.json").read_text())
    name = next(p["name"] for p in m["parameters"] if p["name"].endswith("inputs:intensity"))
    rng = np.random.default_rng(np.random.SeedSequence(4))
    x = {v["id"]: json.loads((out / v["values_path"]).read_text())[name] for v in m["variants"]}
    cut = float(np.median(list(x.values())))
    lines = ["variant,success"] + [f"{vid},{int(rng.random() < (0.9 if value < cut else 0.2))}"
                                   for vid, value in x.items() for _ in range(3)]
    results = warehouse_report.parent / "results.csv"
    results.write_text("\n".join(lines) + "\n")
    dest = warehouse_report.parent / "scored.html"
    r = CliRunner().invoke(main, ["report", str(out), "--results", str(results), "-o", str(dest)])
    assert r.exit_code == 0, r.output
    return dest, results


def test_report_with_results_has_the_score_and_the_floor_plan(scored_report):
    dest, results = scored_report
    html = dest.read_text()
    assert "<h2>8. Score: success</h2>" in html and "train → holdout gap" in html
    assert hashlib.sha256(results.read_bytes()).hexdigest() in html  # the section cites the results file
    assert 'alt="floor plan"' in html and 'alt="metric against the top attributed parameters"' in html
    assert len(images(html)) == 5  # histograms, projection, nearest, floor plan, metric (no events here)
    assert html.index('alt="floor plan"') < html.index("<h2>8. Score")


@needs_chromium
def test_chromium_renders_the_floor_plan(scored_report, tmp_path):
    dest, _ = scored_report
    shot = screenshot(dest, tmp_path, 9000)
    rgb = (image.imread(shot)[..., :3] * 255).round().astype(int).reshape(-1, 3)
    static = np.abs(rgb - [0xB0, 0xA4, 0x8A]).max(axis=1) <= 6  # the floor plan's static geometry, used nowhere else
    assert static.sum() > 1500, static.sum()
