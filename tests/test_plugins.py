"""Block kinds come from `importlib.metadata` entry points, built-in and third-party alike; the config model is
built lazily from whatever is registered."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from pxr import Sdf

from stages import CONFIG, write
from twinsplit.blocks.registry import RANDOMIZERS, BlockKind, Registry
from twinsplit.errors import TwinsplitError

EXE = str(Path(sys.executable).with_name("twinsplit"))

REPO = Path(__file__).resolve().parents[1]

# The third-party randomizer docs/architecture.md shows under "Writing a plugin" (a custom float `tsplugin:grip`
# on every matched rigid body), taken from the page so the documented plugin is the tested one.
PLUGIN = (REPO / "docs/architecture.md").read_text().split("### Writing a plugin")[1] \
    .split("```python\n")[1].split("```")[0].replace('"myplugin"', '"NAME"')
assert 'name="NAME"' in PLUGIN

BUILTIN = RANDOMIZERS.builtin


def install(root: Path, dist: str, module: str, body: str, entry_points: str) -> None:
    """A distribution as pip leaves it on sys.path: the package and its .dist-info."""
    (root / module).mkdir(parents=True)
    (root / module / "__init__.py").write_text(body)
    info = root / f"{dist}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(textwrap.dedent(entry_points))


def run(tmp_path: Path, *args) -> subprocess.CompletedProcess:
    path = os.pathsep.join(filter(None, [str(tmp_path / "site"), os.environ.get("PYTHONPATH")]))
    return subprocess.run([EXE, *map(str, args)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": path})


def test_an_installed_plugin_randomizes_generate_writes_it_and_verify_passes(tmp_path):
    install(tmp_path / "site", "tsplugin", "tsplugin", PLUGIN.replace('"NAME"', '"myplugin"'),
            "[twinsplit.randomizers]\nmyplugin = tsplugin:KIND\n")
    src = write(tmp_path)
    cfg = tmp_path / "twin.yaml"
    cfg.write_text(CONFIG + "  myplugin:\n    match: {paths: [/World/Box]}\n    grip: {low: 0.25, high: 0.75}\n")
    out = tmp_path / "out"
    gen = run(tmp_path, "generate", src, "--config", cfg, "--out", out, "--train", 6, "--holdout", 3)
    assert gen.returncode == 0, gen.stderr
    grips = []
    for layer_path in sorted((out / "train").glob("*.usdc")) + sorted((out / "holdout").glob("*.usdc")):
        layer = Sdf.Layer.FindOrOpen(str(layer_path))  # held: a spec outlives its layer only as a dead handle
        attr = layer.GetAttributeAtPath("/World/Box.tsplugin:grip")
        assert attr is not None and attr.custom and str(attr.typeName) == "float", layer_path
        values = json.loads(layer_path.with_suffix(".values.json").read_text())
        assert values["/World/Box.tsplugin:grip"] == pytest.approx(attr.default)
        grips.append(attr.default)
    assert len(grips) == 9 and all(0.25 <= g <= 0.75 for g in grips) and len(set(grips)) == 9
    manifest = json.loads((out / "manifest.json").read_text())
    assert "/World/Box.tsplugin:grip" in [p["name"] for p in manifest["parameters"]]
    ver = run(tmp_path, "verify", out)
    assert ver.returncode == 0, ver.stdout + ver.stderr
    schema = json.loads(run(tmp_path, "schema", "config").stdout)
    assert sorted(schema["$defs"]["Randomize"]["properties"]) == sorted([*BUILTIN, "myplugin"])  # printed sorted


def test_a_plugin_that_fails_to_import_is_one_error_naming_it(tmp_path):
    install(tmp_path / "site", "tsbroken", "tsbroken", "import no_such_module_for_twinsplit\n",
            "[twinsplit.randomizers]\nbroken = tsbroken:KIND\n")
    src = write(tmp_path)
    cfg = tmp_path / "twin.yaml"
    cfg.write_text(CONFIG)
    gen = run(tmp_path, "generate", src, "--config", cfg, "--out", tmp_path / "out", "--train", 2, "--holdout", 1)
    assert gen.returncode == 1
    assert gen.stderr.strip() == ("Error: randomizer entry point 'broken' (tsbroken:KIND) of distribution 'tsbroken' "
                                  "failed to load: ModuleNotFoundError: No module named "
                                  "'no_such_module_for_twinsplit'")
    assert not (tmp_path / "out").exists()
    schema = run(tmp_path, "schema", "config")
    assert (schema.returncode, schema.stderr, schema.stdout) == (1, gen.stderr, "")
    assert run(tmp_path, "--help").returncode == 0  # a broken plugin does not break commands that need no kinds


def fresh(tmp_path, monkeypatch) -> Registry:
    """A registry of the randomizer group as installed plus whatever the test puts in tmp_path/site."""
    (tmp_path / "site").mkdir(exist_ok=True)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    return Registry("randomizer", "twinsplit.randomizers", BUILTIN)


@pytest.mark.parametrize("body, value, message", [
    ("KIND = 3\n", "KIND", "randomizer entry point 'k' ({module}:KIND) of distribution '{dist}' is a int, "
                           "not a twinsplit.blocks.registry.BlockKind"),
    (PLUGIN.replace('"NAME"', '"other"'), "KIND", "randomizer entry point 'k' ({module}:KIND) of distribution "
                                                  "'{dist}' names a BlockKind called 'other': the two names must "
                                                  "be equal"),
    ("", "MISSING", "randomizer entry point 'k' ({module}:MISSING) of distribution '{dist}' failed to load: "
                    "AttributeError: module '{module}' has no attribute 'MISSING'"),
])
def test_a_bad_entry_point_is_one_error_naming_it(tmp_path, monkeypatch, body, value, message):
    dist = module = f"tsbad_{value.lower()}_{len(body)}"
    install(tmp_path / "site", dist, module, body, f"[twinsplit.randomizers]\nk = {module}:{value}\n")
    registry = fresh(tmp_path, monkeypatch)
    with pytest.raises(TwinsplitError) as err:
        registry.load()
    assert str(err.value) == message.format(module=module, dist=dist)


def test_two_distributions_claiming_one_name_is_an_error_naming_both(tmp_path, monkeypatch):
    install(tmp_path / "site", "tsdup", "tsdup", PLUGIN.replace('"NAME"', '"lighting"'),
            "[twinsplit.randomizers]\nlighting = tsdup:KIND\n")
    with pytest.raises(TwinsplitError, match=r"randomizer 'lighting' is declared by two distributions: "
                                             r"'twinsplit' and 'tsdup'"):
        fresh(tmp_path, monkeypatch).load()


def test_builtins_come_first_in_their_stated_order_then_plugins_by_name(tmp_path, monkeypatch):
    for name in ("zz_grip", "aa_grip"):
        install(tmp_path / "site", f"ts_{name}", f"ts_{name}", PLUGIN.replace('"NAME"', f'"{name}"'),
                f"[twinsplit.randomizers]\n{name} = ts_{name}:KIND\n")
    registry = fresh(tmp_path, monkeypatch)
    assert list(registry.load()) == ["physics_materials", "lighting", "layout", "aa_grip", "zz_grip"]
    assert registry.load() is registry and all(isinstance(k, BlockKind) for k in registry.values())


def test_importing_the_config_loads_no_kind_and_no_usd():
    code = ("import sys, twinsplit.config\n"
            "assert 'pxr' not in sys.modules\n"
            "kinds = [m for m in sys.modules if m.startswith(('twinsplit.randomizers', 'twinsplit.events'))]\n"
            "assert not kinds, kinds\n"
            "twinsplit.config.parse_config({}, 'x')\n"
            "assert 'twinsplit.randomizers.layout.block' in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_a_kind_registered_at_run_time_is_accepted_and_its_removal_rebuilds_the_model(tmp_path):
    from twinsplit.config import parse_config

    namespace: dict = {}
    exec(PLUGIN.replace('"NAME"', '"runtime_grip"'), namespace)  # the plugin module's text, without installing it
    block = {"randomize": {"runtime_grip": {"grip": {"low": 0.1, "high": 0.2}}}}
    with pytest.raises(TwinsplitError, match=r"randomize\.runtime_grip: unknown key"):
        parse_config(block, "before")
    RANDOMIZERS.load().register(namespace["KIND"])
    try:
        config = parse_config(block, "after")
        assert config.randomize.runtime_grip[0].grip.high == 0.2
    finally:
        del RANDOMIZERS["runtime_grip"]
    with pytest.raises(TwinsplitError, match=r"randomize\.runtime_grip: unknown key"):
        parse_config(block, "removed")
