"""A stage's composed content as canonical bytes: what a flattened or re-exported copy keeps. The audit hashes
it to find duplicates; generate and verify count a holdout source's prims identical to the source's.

Prims in path order, each with its type, applied schemas and authored properties in name order; an attribute
is its type, its value at the pose time and its time samples; a relationship its targets. Numbers are encoded
in the precision their own Sdf type stores (blocks/quantize.storage), so .usda text, .usdc and a flattened
layer of the same stage give the same bytes. Layer structure, file names and layer metadata are not content.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
from pxr import Sdf, Usd

from ..blocks.quantize import storage
from ..scene.discover import applied_schemas, open_stage, plain
from ..scene.time import pose_time


def value_bytes(value: Any, type_name: str) -> bytes:
    """`value` of Sdf type `type_name` as bytes that depend only on what USD stores."""
    if value is None:
        return b"\x00none"
    kind = storage(type_name)
    if kind is not None:
        arr = np.asarray(value if type_name.endswith("[]") else plain(value))
        arr = np.rint(arr).astype(np.int64) if kind is int else arr.astype(kind)
        return struct.pack("<I", arr.size) + arr.astype(arr.dtype.newbyteorder("<")).tobytes()
    if isinstance(value, Sdf.AssetPath):
        # A flattened copy anchors asset paths where it is written: the asset's file name is what stays.
        return PurePosixPath(value.path.replace("\\", "/")).name.encode()
    if isinstance(value, Sdf.AssetPathArray):
        return b"\x1f".join(value_bytes(v, "asset") for v in value)
    items = plain(value)
    return (repr(items) if not isinstance(items, str) else items).encode()


def attribute_bytes(attr: Usd.Attribute, time: Usd.TimeCode) -> tuple[bytes, list[tuple[float, Any]]]:
    """An attribute's type, value at `time` and time samples, canonically; and the samples as (time, value)."""
    type_name = str(attr.GetTypeName())
    parts = [type_name.encode(), value_bytes(attr.Get(time), type_name)]
    samples = [(t, attr.Get(t)) for t in attr.GetTimeSamples()]
    for t, v in samples:
        parts += [struct.pack("<d", t), value_bytes(v, type_name)]
    return b"\x1e".join(parts), samples


Sampled = Callable[[str, list[tuple[float, Any]]], None]


def prim_bytes(prim: Usd.Prim, time: Usd.TimeCode, schemas: tuple[str, ...], sampled: Sampled) -> bytes:
    """A prim's path, type, applied schemas and authored properties (by name), canonically; `sampled` is
    called with each time-sampled attribute's name and samples."""
    parts = [str(prim.GetPath()).encode(), str(prim.GetTypeName()).encode(), ",".join(sorted(schemas)).encode()]
    for prop in sorted(prim.GetAuthoredProperties(), key=lambda p: p.GetName()):
        if isinstance(prop, Usd.Attribute):
            data, samples = attribute_bytes(prop, time)
            parts += [b"A" + prop.GetName().encode(), data]
            if samples:
                sampled(prop.GetName(), samples)
        else:
            targets = sorted(str(t) for t in prop.GetTargets())
            parts += [b"R" + prop.GetName().encode(), "\x1f".join(targets).encode()]
    return b"\x1d".join(parts) + b"\x1c"


def prim_digests(stage: Usd.Stage) -> set[bytes]:
    """sha256 of every composed prim's canonical bytes (instance proxies included), at the stage's pose time."""
    time = pose_time(stage)
    return {hashlib.sha256(prim_bytes(prim, time, applied_schemas(prim), lambda *_: None)).digest()
            for prim in stage.Traverse(Usd.TraverseInstanceProxies(Usd.PrimDefaultPredicate))}


def shared_prims(other: str | Path, source: str | Path) -> tuple[int, int]:
    """(prims of `other` identical to a prim of `source`, prims of `other`), both stages composed: path, type,
    applied schemas and every authored value (and time sample) equal. A prim moved by a centimetre, renamed or
    re-parented is not shared."""
    theirs = prim_digests(open_stage(Path(source)))
    ours = prim_digests(open_stage(Path(other)))
    return len(ours & theirs), len(ours)
