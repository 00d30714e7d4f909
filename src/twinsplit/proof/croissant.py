"""OUT/croissant.json: the set described as a Croissant 1.1 dataset (https://mlcommons.org/croissant/1.1) for
ML tooling: every file with its sha256, a `cr:Split` record set (train, holdout) that the variants record set
references, PROV-O lineage (source stages, generator, seeds) and RAI fields from the lineage block.

It is a function of manifest.json's bytes alone (it names the manifest's sha256), so `verify` re-derives it
and a tampered copy fails; it says nothing the manifest does not, so a sealed holdout's entropy never appears
(only its commitment).
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath
from typing import Any

from ..hashing import sha256_bytes
from ..manifest import MANIFEST
from .croissant_lineage import anchors, captures, rai

CROISSANT = "croissant.json"
CONFORMS_TO = "http://mlcommons.org/croissant/1.1"
# Croissant's own @context (as mlcroissant writes it for 1.1), plus PROV-O.
CONTEXT = {
    "@language": "en", "@vocab": "https://schema.org/", "arrayShape": "cr:arrayShape", "citeAs": "cr:citeAs",
    "column": "cr:column", "conformsTo": "dct:conformsTo", "containedIn": "cr:containedIn",
    "cr": "http://mlcommons.org/croissant/", "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"}, "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/", "examples": {"@id": "cr:examples", "@type": "@json"},
    "equivalentProperty": "cr:equivalentProperty", "extract": "cr:extract", "field": "cr:field",
    "fileProperty": "cr:fileProperty", "fileObject": "cr:fileObject", "fileSet": "cr:fileSet",
    "format": "cr:format", "includes": "cr:includes", "isArray": "cr:isArray", "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath", "key": "cr:key", "md5": "cr:md5", "parentField": "cr:parentField",
    "path": "cr:path", "recordSet": "cr:recordSet", "references": "cr:references", "regex": "cr:regex",
    "repeated": "cr:repeated", "replace": "cr:replace", "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/", "separator": "cr:separator", "source": "cr:source", "subField": "cr:subField",
    "transform": "cr:transform", "prov": "http://www.w3.org/ns/prov#",
}
# Croissant's split vocabulary: the holdout is the evaluation (test) split.
SPLIT_URLS = {"train": "cr:TrainingSplit", "holdout": "cr:TestSplit"}
FORMATS = {".usda": "model/vnd.usda", ".usdc": "model/vnd.usdc", ".usd": "model/vnd.usd", ".usdz": "model/vnd.usdz",
           ".json": "application/json"}


def _file(rel: str, sha256: str, description: str) -> dict[str, Any]:
    return {"@type": "cr:FileObject", "@id": rel, "name": rel, "description": description, "contentUrl": rel,
            "encodingFormat": FORMATS.get(PurePosixPath(rel).suffix, "application/octet-stream"), "sha256": sha256}


def _field(record: str, name: str, data_type: str, description: str, **more: Any) -> dict[str, Any]:
    return {"@type": "cr:Field", "@id": f"{record}/{name}", "name": f"{record}/{name}", "description": description,
            "dataType": data_type, **more}


def _seeds(seeds: dict[str, Any]) -> list[dict[str, Any]]:
    """Each split's root entropy as PROV entities: the entropy of an open split, the commitment of a sealed one."""
    out = []
    for split in ("train", "holdout"):
        entry = seeds[split]
        value = {"commitment": entry["commitment"]} if "commitment" in entry else {"entropy": entry["entropy"]}
        out.append({"@type": "prov:Entity", "@id": f"lineage/seeds/{split}", "name": f"{split} root entropy",
                    "description": "sealed: a commitment only (verify --reveal opens it)" if "commitment" in entry
                    else "numpy SeedSequence root entropy", "prov:value": json.dumps(value, sort_keys=True)})
    return out


def build(manifest: dict[str, Any], manifest_bytes: bytes) -> dict[str, Any]:
    """The Croissant document of the set `manifest` describes (`manifest_bytes`: its file as written)."""
    src, tool, lineage = manifest["source"], manifest["tool"], manifest["lineage"]
    source_files = [_file(f["path"], f["sha256"], "copied source layer or asset (both splits sublayer it)")
                    for f in src["files"]]
    held = manifest.get("holdout_source")  # generate --holdout-source: the second stage the holdout sublayers
    source_files += [_file(f["path"], f["sha256"], "copied holdout source layer or asset (the holdout sublayers it)")
                     for f in (held["files"] if held else [])]
    if (ref := manifest.get("reference")) is not None:  # config reference: the measurements, copied
        source_files.append(_file(ref["path"], ref["sha256"], "reference measurements (config reference:)"))
    variant_files = []
    for v in manifest["variants"]:
        variant_files.append(_file(v["path"], v["sha256"], f"{v['split']} variant {v['id']} (delta layer)"))
        if v.get("values_path"):
            variant_files.append(_file(v["values_path"], v["values_sha256"], f"values {v['id']} authors"))
    sealed = "commitment" in manifest["seeds"]["holdout"]
    splits = {
        "@type": "cr:RecordSet", "@id": "splits", "name": "splits", "dataType": "cr:Split",
        "description": "The two splits: holdout variants are drawn from independent seeds, at least the manifest's "
                       "margin from every train variant.",
        "key": {"@id": "splits/name"},
        "field": [_field("splits", "name", "sc:Text", "split name"),
                  _field("splits", "url", "sc:URL", "Croissant split kind")],
        "data": [{"splits/name": s, "splits/url": url} for s, url in SPLIT_URLS.items()],
    }
    variants = {
        "@type": "cr:RecordSet", "@id": "variants", "name": "variants",
        "description": "One record per variant: its id, split and layer file (relative to the set).",
        "key": {"@id": "variants/id"},
        "field": [_field("variants", "id", "sc:Text", "variant id"),
                  _field("variants", "split", "sc:Text", "its split",
                         references={"field": {"@id": "splits/name"}}),
                  _field("variants", "path", "sc:Text", "its delta layer, sublayering the copied source"),
                  _field("variants", "sha256", "sc:Text", "sha256 of the layer")],
        "data": [{"variants/id": v["id"], "variants/split": v["split"], "variants/path": v["path"],
                  "variants/sha256": v["sha256"]} for v in manifest["variants"]],
    }
    counts = manifest["counts"]
    derived_from, other_captures = captures(lineage, src["name"])
    doc = {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": CONFORMS_TO,
        "name": f"twinsplit-{PurePosixPath(src['name']).stem}",
        "description": f"Held-out OpenUSD digital-twin variants of {src['name']}: {counts['train']} train and "
                       f"{counts['holdout']} holdout, made by twinsplit with a manifest proving their "
                       "independence (twinsplit verify)." + (" The holdout is sealed: its files are kept in a "
                                                              "separate directory." if sealed else ""),
        "version": f"{tool['version']}+generator.{tool['generator']}",
        "url": MANIFEST,
        "citeAs": f"twinsplit set twinsplit-{PurePosixPath(src['name']).stem}, manifest sha256 "
                  f"{sha256_bytes(manifest_bytes)}",
        "license": lineage.get("license") or "https://spdx.org/licenses/NOASSERTION",
        "distribution": [_file(MANIFEST, sha256_bytes(manifest_bytes), "the independence proof")]
                        + source_files + variant_files,
        "recordSet": [splits, variants],
        "prov:wasDerivedFrom": [{"@type": "prov:Entity", "@id": f"lineage/source/{src['name']}", "name": src["name"],
                                 "description": f"source stage as given, sha256 {src['sha256']}",
                                 "sha256": src["sha256"],
                                 **({"prov:wasDerivedFrom": derived_from} if derived_from else {})}]
                               + other_captures
                               + ([{"@type": "prov:Entity", "@id": f"lineage/holdout-source/{held['name']}",
                                    "name": held["name"], "sha256": held["sha256"],
                                    "description": f"holdout source stage as given, sha256 {held['sha256']}"}]
                                  if held else [])
                               + anchors(lineage),
        "prov:wasGeneratedBy": {
            "@type": "prov:Activity", "@id": "lineage/generate", "name": "twinsplit generate",
            "prov:wasAssociatedWith": {"@type": "prov:SoftwareAgent", "@id": "lineage/twinsplit", "name": tool["name"],
                                       "softwareVersion": tool["version"],
                                       "description": f"generator revision {tool['generator']}, "
                                                      f"usd-core {manifest['usd_version']}"},
            "prov:used": [{"@type": "prov:Entity", "@id": "lineage/config", "name": "config",
                           "description": "the validated config, canonical JSON",
                           "sha256": manifest["config"]["sha256"]}] + _seeds(manifest["seeds"]),
        },
        **rai(lineage),
    }
    if lineage.get("owner"):
        doc["creator"] = {"@type": "sc:Organization", "name": lineage["owner"]}
    return doc


def dumps(manifest: dict[str, Any], manifest_bytes: bytes) -> bytes:
    return (json.dumps(build(manifest, manifest_bytes), indent=2, sort_keys=True, ensure_ascii=True) + "\n").encode()
