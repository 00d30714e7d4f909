"""Edits -> a variant's delta layer (usda text) and its values record. The only place values become USD."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pxr import Gf, Sdf

from ..blocks.data import Columns, Edit, expand
from . import values_json
from .usda_text import PRIM_METADATA, REL, layer_text

# Stage metadata a variant must repeat: a stage reads it from its root layer (the delta), not from sublayers.
# customLayerData carries Kit's camera and render settings; renderSettingsPrimPath picks the render settings.
STAGE_METADATA = ("defaultPrim", "upAxis", "metersPerUnit", "kilogramsPerUnit", "startTimeCode", "endTimeCode",
                  "timeCodesPerSecond", "framesPerSecond", "renderSettingsPrimPath", "colorManagementSystem",
                  "customLayerData")
# Pre-startTimeCode names USD still reads when the new ones are absent; a variant writes the new names.
LEGACY_TIME_METADATA = {"startTimeCode": "startFrame", "endTimeCode": "endFrame"}


def stage_metadata(layer: Sdf.Layer) -> dict[str, Any]:
    root = layer.pseudoRoot
    out = {k: root.GetInfo(k) for k in STAGE_METADATA if root.HasInfo(k)}
    for key, legacy in LEGACY_TIME_METADATA.items():
        if key not in out and root.HasInfo(legacy):
            out[key] = root.GetInfo(legacy)
    return out


def _usd_value(type_name: str, value: Any) -> Any:
    if type_name.startswith("quat"):
        cls = {"quatf": Gf.Quatf, "quatd": Gf.Quatd, "quath": Gf.Quath}[type_name]
        return cls(float(value[0]), float(value[1]), float(value[2]), float(value[3]))
    if type_name == "matrix4d":  # layout: a moved prim's xformOp:transform, recorded as 4 row tuples
        return Gf.Matrix4d(*(tuple(float(v) for v in row) for row in value))
    return value


def build_layer(edits: list[Edit], sublayer: str, metadata: dict[str, Any]) -> Sdf.Layer:
    layer = Sdf.Layer.CreateAnonymous(".usda")
    with Sdf.ChangeBlock():
        layer.subLayerPaths.append(sublayer)
        for key, value in metadata.items():
            layer.pseudoRoot.SetInfo(key, value)
        for e in edits:
            prim = layer.GetPrimAtPath(e.path) or Sdf.CreatePrimInLayer(layer, e.path)
            if e.prim_def is not None:
                prim.specifier = Sdf.SpecifierDef
                prim.typeName = e.prim_def.type_name
                if e.prim_def.api_schemas:
                    prim.SetInfo("apiSchemas", Sdf.TokenListOp.Create(prependedItems=list(e.prim_def.api_schemas)))
                if e.prim_def.kind:
                    prim.kind = e.prim_def.kind
            if e.attr is None:
                continue
            if e.attr in PRIM_METADATA:  # e.g. `active = false` (layout removal): prim metadata, not an attribute
                prim.SetInfo(e.attr, e.value)
                continue
            if e.type_name == REL:  # a relationship (e.g. material:binding:physics): explicit targets
                rel = Sdf.RelationshipSpec(prim, e.attr, e.custom)
                rel.targetPathList.explicitItems = [Sdf.Path(t) for t in e.value]
                continue
            type_name = Sdf.ValueTypeNames.Find(e.type_name)
            if not type_name:
                raise ValueError(f"{e.key}: unknown USD value type {e.type_name!r}")
            variability = Sdf.VariabilityUniform if e.variability_uniform else Sdf.VariabilityVarying
            spec = Sdf.AttributeSpec(prim, e.attr, type_name, variability, e.custom)
            if e.value is not None:
                spec.default = _usd_value(e.type_name, e.value)
            for t, v in e.time_samples or ():
                layer.SetTimeSample(spec.path, float(t), _usd_value(e.type_name, v))
    return layer


def render(edits: list[Edit | Columns], sublayer: str, metadata: dict[str, Any]) -> bytes:
    """The variant's usda text. Deterministic: same edits -> same bytes.

    The text Sdf would export, written directly when usda_text knows every edit's formatting (header:
    Sdf's export of the layer without prims), else authored through Sdf."""
    text = layer_text(edits, build_layer([], sublayer, metadata).ExportToString())
    if text is None:
        text = build_layer(expand(edits), sublayer, metadata).ExportToString()
    return text.encode("utf-8")


def _jsonable(v: Any) -> Any:
    if isinstance(v, tuple):
        return [_jsonable(x) for x in v]
    return v


def _same(v: Any) -> Any:
    return v


def values_record(edits: list[Edit | Columns]) -> dict[str, Any]:
    """{"<prim>.<attr>": value | {"timeSamples": [[t, v], ...]}} exactly as written; new prims as {"def": type}."""
    return _record(expand(edits), _jsonable)


def _record(edits: list[Edit], convert: Callable[[Any], Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for e in edits:
        if e.prim_def is not None:
            out[e.path] = {"def": e.prim_def.type_name}
        if e.attr is None:
            continue
        if e.type_name == REL:
            out[e.key] = {"targets": list(e.value)}
        elif e.time_samples is not None:
            entry: dict[str, Any] = {"timeSamples": [[float(t), convert(v)] for t, v in e.time_samples]}
            if e.value is not None:
                entry["default"] = convert(e.value)
            out[e.key] = entry
        else:
            out[e.key] = convert(e.value)
    return out


class Authored(Mapping):
    """What a variant layer authors, as `values_record` gives it ({key: value}, tuples as lists), kept as the
    plain record plus the Columns it was written from (their arrays, so a reader can take them whole)."""

    def __init__(self, items: list[Edit | Columns]) -> None:
        self.columns = [c for c in items if type(c) is Columns]
        self.plain = values_record([e for e in items if type(e) is not Columns])
        self._index: dict[str, tuple[int, int, int]] | None = None

    def _where(self) -> dict[str, tuple[int, int, int]]:
        if self._index is None:
            self._index = {f"{p}.{a}": (k, i, j) for k, c in enumerate(self.columns) for i, p in enumerate(c.paths)
                           for j, a in enumerate(c.attrs)}
        return self._index

    def __getitem__(self, key: str) -> Any:
        if key in self.plain:
            return self.plain[key]
        k, i, j = self._where()[key]
        return self.columns[k].values[j][i].tolist()

    def __iter__(self):
        yield from self.plain
        for c in self.columns:
            yield from c.keys

    def __len__(self) -> int:
        return len(self.plain) + sum(len(c.keys) for c in self.columns)

    def items(self, attrs=None):
        """Every (key, value); with `attrs`, a Columns' only when it authors one of them (Columns hold numeric
        defaults alone: no time samples, tags or new prims, so a reader looking for those can skip them)."""
        yield from self.plain.items()
        for c in self.columns:
            if attrs is not None and not any(a in attrs for a in c.attrs):
                continue
            cols = [v.tolist() for v in c.values]
            yield from zip(c.keys, (col[i] for i in range(len(c)) for col in cols), strict=True)


def values_bytes(edits: list[Edit | Columns]) -> bytes:
    """The values record's json text; Columns' entries printed from their arrays (values_json.columns_texts)."""
    # json encodes a tuple as it does a list: the record keeps the edits' tuples (no copies)
    record = _record([e for e in edits if type(e) is not Columns], _same)
    rendered: dict[str, str] = {}
    columns = [c for c in edits if type(c) is Columns]
    for c in columns:
        rendered.update(values_json.columns_texts(c.keys, c.values))
    if len(rendered) != sum(len(c.keys) for c in columns) or not record.keys().isdisjoint(rendered):
        record = _record(expand(edits), _same)  # a key twice (never from Plan.batch): the record as edits give it
        rendered = {}
    return (values_json.dumps(record, rendered) + "\n").encode()
