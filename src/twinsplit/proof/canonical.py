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
from operator import itemgetter
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
from pxr import Gf, Sdf, Usd, Vt

from ..blocks.quantize import storage
from ..scene.discover import applied_schemas, open_stage, plain, vt_items
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
    value = attr.Get(time)
    head = type_name.encode() + b"\x1e" + encoder(type_name, type(value))(value)
    times = attr.GetTimeSamples()
    if not times:
        return head, []
    samples = [(t, attr.Get(t)) for t in times]
    return b"\x1e".join([head, *(b for t, v in samples for b in (struct.pack("<d", t), value_bytes(v, type_name)))]), \
        samples


# value_bytes is the definition; encoder(type_name, type(value)) returns a function giving the same bytes with
# less per-value work for the (type, value type) pairs a stage has thousands of (test_canonical checks each
# against value_bytes), value_bytes itself for the rest.
_Encoder = Callable[[Any], bytes]
_ENCODERS: dict[tuple[str, type], _Encoder] = {}
_VECTORS = {getattr(Gf, f"Vec{n}{t}"): n for n in (2, 3, 4) for t in "dfh"}
_QUATS = (Gf.Quatd, Gf.Quatf, Gf.Quath)
_NUMPY_CODE = {np.float64: "d", np.float32: "f"}  # half is left to numpy: struct rounds it on its own


def encoder(type_name: str, value_type: type) -> _Encoder:
    """A function of one value (of Python type `value_type`, Sdf type `type_name`) equal to value_bytes."""
    enc = _ENCODERS.get((type_name, value_type))
    if enc is None:
        enc = _ENCODERS[(type_name, value_type)] = _make_encoder(type_name, value_type)
    return enc


def _make_encoder(type_name: str, value_type: type) -> _Encoder:
    def general(value: Any) -> bytes:
        return value_bytes(value, type_name)

    kind = storage(type_name)
    if value_type is type(None):
        return lambda _: b"\x00none"
    if kind is None:
        if value_type is str:
            return str.encode
        if value_type is bool:
            return lambda v: repr(v).encode()
        if value_type in (Vt.TokenArray, Vt.StringArray):
            return lambda v: repr(vt_items(v)).encode()
        return general
    code = _NUMPY_CODE.get(kind)
    if code is None:  # half, int kinds
        return general
    dtype = np.dtype(kind).newbyteorder("<")
    if type_name.endswith("[]"):
        def array(v: Any) -> bytes:
            arr = np.asarray(v)
            if arr.dtype != dtype:
                return general(v)
            return struct.pack("<I", arr.size) + arr.tobytes()
        return array
    if value_type is float:
        one = struct.Struct(f"<I{code}")
        return lambda v: _packed(one, general, v, 1, (v,))
    if value_type in _VECTORS:
        n = _VECTORS[value_type]
        vec = struct.Struct(f"<I{n}{code}")
        return lambda v: _packed(vec, general, v, n, v[:])
    if value_type in _QUATS:
        quat = struct.Struct(f"<I4{code}")
        return lambda v: _packed(quat, general, v, 4, (v.GetReal(), *v.GetImaginary()[:]))
    return general


def _packed(st: struct.Struct, general: _Encoder, value: Any, n: int, comps: Any) -> bytes:
    try:
        return st.pack(n, *comps)
    except (OverflowError, struct.error):  # beyond float32: numpy's cast gives inf
        return general(value)


Sampled = Callable[[str, list[tuple[float, Any]]], None]


def authored(prim: Usd.Prim) -> list[tuple[str, Usd.Property]]:
    """The prim's authored properties as (name, property), by name. One call for the names: the properties
    come in the order of GetAuthoredPropertyNames (UsdPrim builds them from those names)."""
    props = prim.GetAuthoredProperties()
    names = prim.GetAuthoredPropertyNames()
    if len(names) != len(props):  # not expected: then each property's own name
        names = [p.GetName() for p in props]
    return sorted(zip(names, props, strict=True), key=itemgetter(0))


def prim_bytes(prim: Usd.Prim, time: Usd.TimeCode, schemas: tuple[str, ...], sampled: Sampled,
               props: list[tuple[str, Usd.Property]] | None = None) -> bytes:
    """A prim's path, type, applied schemas and authored properties (by name), canonically; `sampled` is
    called with each time-sampled attribute's name and samples. `props`: authored(prim) when the caller has it."""
    parts = [str(prim.GetPath()).encode(), str(prim.GetTypeName()).encode(), ",".join(sorted(schemas)).encode()]
    for name, prop in authored(prim) if props is None else props:
        if isinstance(prop, Usd.Attribute):
            data, samples = attribute_bytes(prop, time)
            parts += [b"A" + name.encode(), data]
            if samples:
                sampled(name, samples)
        else:
            targets = sorted(str(t) for t in prop.GetTargets())
            parts += [b"R" + name.encode(), "\x1f".join(targets).encode()]
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
