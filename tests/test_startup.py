"""Start-up: `twinsplit --help` lists every command without importing USD or scipy, and a command imports
only what it uses (no matplotlib outside `report`). Real CLI processes, their loaded modules read at exit."""

from __future__ import annotations

import json
import subprocess
import sys

import click
from click.testing import CliRunner

from stages import CONFIG, write
from twinsplit.cli import main
from twinsplit.commands import COMMANDS, load

# Runs the CLI in a fresh interpreter and prints, at exit, which heavy top-level packages it imported.
DRIVER = """
import atexit, json, sys
HEAVY = ("pxr", "scipy", "matplotlib", "pydantic", "numpy", "trimesh", "cryptography", "shapely", "securesystemslib",
         "in_toto_attestation", "networkx")
atexit.register(lambda: sys.stderr.write("\\nMODULES " + json.dumps(
    sorted({m.split(".")[0] for m in sys.modules if m.split(".")[0] in HEAVY}
           | {m for m in ("scipy.stats",) if m in sys.modules})) + "\\n"))
sys.argv = ["twinsplit", *sys.argv[1:]]
from twinsplit.cli import main
main()
"""


def run(*args) -> tuple[subprocess.CompletedProcess, set[str]]:
    proc = subprocess.run([sys.executable, "-c", DRIVER, *map(str, args)], capture_output=True, text=True,
                          timeout=300)
    line = proc.stderr.rsplit("MODULES ", 1)[-1]
    return proc, set(json.loads(line))


def test_help_lists_every_command_with_its_short_help():
    result = CliRunner().invoke(main, ["--help"], terminal_width=200)
    assert result.exit_code == 0
    listed = result.output.split("Commands:\n", 1)[1].splitlines()
    expected = [f"{name}  {load(name).get_short_help_str(limit=200)}" for name in sorted(COMMANDS)]
    assert [" ".join(line.split()) for line in listed] == [" ".join(e.split()) for e in expected]
    assert all(isinstance(load(n), click.Command) and load(n).name == n for n in COMMANDS)
    assert load("frobnicate") is None


def test_help_imports_no_usd_scipy_or_pydantic():
    proc, heavy = run("--help")
    assert proc.returncode == 0 and "generate" in proc.stdout
    assert heavy == set(), heavy
    for name in COMMANDS:  # each command's own --help is as light
        proc, heavy = run(name, "--help")
        assert proc.returncode == 0 and proc.stdout.startswith(f"Usage: twinsplit {name}"), proc.stderr
        assert heavy == set(), (name, heavy)


def test_generate_and_verify_do_not_import_matplotlib(tmp_path):
    src = write(tmp_path)
    cfg = tmp_path / "twin.yaml"
    proc, _ = run("init", src, "-o", cfg)
    assert proc.returncode == 0, proc.stderr
    proc, heavy = run("generate", src, "--config", cfg, "--out", tmp_path / "out", "--train", 2, "--holdout", 1,
                      "--seed-train", 1, "--seed-holdout", 2)
    assert proc.returncode == 0, proc.stderr
    assert "pxr" in heavy and "matplotlib" not in heavy, heavy
    proc, heavy = run("verify", tmp_path / "out")
    assert proc.returncode == 0 and "verified" in proc.stdout, proc.stdout + proc.stderr
    assert "pxr" in heavy and "matplotlib" not in heavy, heavy


def test_importing_the_cli_loads_no_scipy_stats_cryptography_or_shapely():
    code = "import sys, twinsplit.cli; print(sorted(m for m in ('scipy.stats', 'scipy', 'cryptography', 'shapely', " \
           "'securesystemslib', 'pxr', 'numpy') if m in sys.modules))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and proc.stdout.strip() == "[]", proc.stdout + proc.stderr


def test_a_materials_and_lights_run_loads_no_signing_or_layout_libraries(tmp_path):
    """cryptography/securesystemslib/in-toto only to sign or check a signature, shapely only for layout's
    supports and people's sites: an unsigned materials + lights generate and its verify load none of them."""
    src, cfg = write(tmp_path), tmp_path / "twin.yaml"
    cfg.write_text(CONFIG)
    proc, heavy = run("generate", src, "--config", cfg, "--out", tmp_path / "out", "--train", 2, "--holdout", 1)
    assert proc.returncode == 0, proc.stderr
    assert "pxr" in heavy and not heavy & {"cryptography", "securesystemslib", "in_toto_attestation", "shapely",
                                           "networkx", "matplotlib", "trimesh"}, heavy
    proc, heavy = run("verify", tmp_path / "out")
    assert proc.returncode == 0 and "verified" in proc.stdout, proc.stdout + proc.stderr
    assert "pxr" in heavy and not heavy & {"cryptography", "securesystemslib", "in_toto_attestation", "shapely",
                                           "networkx", "matplotlib", "trimesh"}, heavy


def test_the_generate_and_verify_modules_import_no_scipy():
    """scipy.special/spatial/stats/optimize cost ~1-2 s a process: generate's and verify's modules import none of
    them; each use imports its own piece inside the function that needs it."""
    code = ("import sys, twinsplit.cli, twinsplit.commands.generate_cmd, twinsplit.commands.verify_cmd, "
            "twinsplit.generate, twinsplit.verify, twinsplit.verify.checks; "
            "print(sorted({m for m in sys.modules if m == 'scipy' or m.startswith('scipy.')})[:5])")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and proc.stdout.strip() == "[]", proc.stdout + proc.stderr


# Runs the CLI in process (click's CliRunner) and prints, per scipy piece imported, the twinsplit modules on the
# stack when it was first imported: which code needed it.
WHO = """
import json, sys, traceback
from click.testing import CliRunner
WATCH = ("scipy.stats", "scipy.special", "scipy.optimize")
who = {}
class Finder:
    def find_spec(self, name, path=None, target=None):
        if name in WATCH and name not in sys.modules and name not in who:
            files = [f.filename.replace("\\\\", "/") for f in traceback.extract_stack()]
            who[name] = sorted({f.rsplit("src/twinsplit/", 1)[-1] for f in files if "src/twinsplit/" in f})
sys.meta_path.insert(0, Finder())
from twinsplit.cli import main
result = CliRunner().invoke(main, sys.argv[1:], catch_exceptions=False)
assert result.exit_code == 0, result.output
print("WHO " + json.dumps({k: v for k, v in who.items()} | {"loaded": [m for m in WATCH if m in sys.modules]}))
"""


def who_imports(*args) -> dict:
    proc = subprocess.run([sys.executable, "-c", WHO, *map(str, args)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout.rsplit("WHO ", 1)[-1])


def test_a_materials_and_lights_run_needs_scipy_stats_only_for_the_statistics(tmp_path):
    """No block of a materials + lights config (uniform / loguniform) imports scipy.stats/special/optimize: an
    unsealed generate loads them only for the manifest's statistics (plan/stats.py) and the nearest-train KD-tree
    (plan/disjoint.py), a sealed one (no holdout statistics in its manifest) never loads scipy.stats."""
    src, cfg = write(tmp_path), tmp_path / "twin.yaml"
    cfg.write_text(CONFIG.replace("{distribution: normal, low: 0.0, high: 0.5, mean: 0.2, std: 0.1}",
                                  "{low: 0.0, high: 0.5}"))
    assert "normal" not in cfg.read_text()
    who = who_imports("generate", src, "--config", cfg, "--out", tmp_path / "out", "--train", 2, "--holdout", 1)
    for name in who.pop("loaded"):
        assert {"plan/stats.py", "plan/disjoint.py"} & set(who[name]), (name, who[name])
        assert not any(f.startswith(("blocks/", "randomizers/")) for f in who[name]), (name, who[name])
    cfg.write_text(cfg.read_text().replace("seeds: {train: 11, holdout: 22}", "seeds: {train: 11}"))
    who = who_imports("generate", src, "--config", cfg, "--out", tmp_path / "sealed", "--train", 2, "--holdout", 1,
                      "--seal", tmp_path / "seal.key", "--holdout-out", tmp_path / "held")
    assert "scipy.stats" not in who["loaded"] and "scipy.optimize" not in who["loaded"], who
