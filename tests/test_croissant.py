"""OUT/croissant.json: a Croissant 1.1 document of the set that mlcroissant accepts and verify re-derives."""

import json

import pytest

import twinsplit
from stages import CONFIG
from twinsplit.hashing import sha256_file


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # rdflib, inside mlcroissant
def test_croissant_json_passes_mlcroissant_and_reads_its_splits(generated):
    mlc = pytest.importorskip("mlcroissant", reason="mlcroissant (the dev extra) is not installed")
    dataset = mlc.Dataset(jsonld=str(generated / "croissant.json"))  # raises mlc.ValidationError on an error
    assert [r.name for r in dataset.metadata.record_sets] == ["splits", "variants"]
    splits = {r["splits/name"]: r["splits/url"] for r in dataset.records("splits")}
    assert splits == {"train": "cr:TrainingSplit", "holdout": "cr:TestSplit"}
    manifest = json.loads((generated / "manifest.json").read_text())
    rows = sorted((_text(r["variants/id"]), _text(r["variants/split"])) for r in dataset.records("variants"))
    assert rows == sorted((v["id"], v["split"]) for v in manifest["variants"])


def _text(v):
    return v.decode() if isinstance(v, bytes) else v


def test_croissant_lists_every_file_with_its_sha256_and_the_lineage(generated):
    doc = json.loads((generated / "croissant.json").read_text())
    listed = {f["contentUrl"]: f["sha256"] for f in doc["distribution"]}
    on_disk = {p.relative_to(generated).as_posix(): sha256_file(p) for p in generated.rglob("*")
               if p.is_file() and p.name != "croissant.json"}
    assert listed == on_disk
    assert doc["conformsTo"] == "http://mlcommons.org/croissant/1.1"
    assert doc["rai:dataUseCases"] == "test" and doc["rai:dataReleaseMaintenancePlan"] == "30 days"
    agent = doc["prov:wasGeneratedBy"]["prov:wasAssociatedWith"]
    assert agent["softwareVersion"] == twinsplit.__version__
    assert f"generator revision {twinsplit.GENERATOR_REVISION}" in agent["description"]


def test_a_tampered_croissant_json_fails_verify(generated, run_cli):
    path = generated / "croissant.json"
    doc = json.loads(path.read_text())
    doc["recordSet"][1]["data"][0]["variants/split"] = "holdout"  # a train variant relabelled as holdout
    path.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    result = run_cli("verify", generated, expect=1)
    assert "FAIL  croissant\n      croissant.json: differs from the document re-derived from manifest.json" \
        in result.output
    path.unlink()
    assert "croissant.json: missing" in run_cli("verify", generated, expect=1).output


def test_a_sealed_croissant_carries_only_the_commitment(tmp_path, small, run_cli):
    src, cfg = small
    cfg.write_text("\n".join(line for line in CONFIG.splitlines() if not line.startswith("seeds:")))
    out, hold, key = tmp_path / "out", tmp_path / "hold", tmp_path / "seal.key"
    run_cli("generate", src, "--config", cfg, "--out", out, "--train", 4, "--holdout", 2, "--seed-train", 5,
            "--seal", key, "--holdout-out", hold)
    entropy = json.loads(key.read_text())["holdout_entropy"]
    text = (out / "croissant.json").read_text()
    assert entropy not in text
    seeds = json.loads(text)["prov:wasGeneratedBy"]["prov:used"]
    holdout = next(s for s in seeds if s["@id"] == "lineage/seeds/holdout")
    assert json.loads(holdout["prov:value"]) == {"commitment": json.loads((out / "manifest.json").read_text())[
        "seeds"]["holdout"]["commitment"]}
    run_cli("verify", out)
