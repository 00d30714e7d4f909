"""Read what a variant layer actually authors, in the same form as its values record."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pxr import Sdf, Tf

from ..errors import TwinsplitError
from ..scene.discover import plain


def _jsonable(v: Any) -> Any:
    v = plain(v)
    return json.loads(json.dumps(v, allow_nan=True)) if isinstance(v, (tuple, list)) else v


def layer_values(path: Path) -> tuple[dict[str, Any], list[str]]:
    """({"<prim>.<attr>": value | {"timeSamples": ...}, "<prim>": {"def": type}}, sublayer paths) of one layer."""
    try:
        layer = Sdf.Layer.OpenAsAnonymous(str(path))
    except Tf.ErrorException as exc:
        raise TwinsplitError(f"{path}: not a readable USD layer ({' '.join(str(exc).split())[:200]})") from None
    if layer is None:
        raise TwinsplitError(f"{path}: not a readable USD layer")
    out: dict[str, Any] = {}

    def visit(spec_path: Sdf.Path) -> None:
        spec = layer.GetObjectAtPath(spec_path)
        if isinstance(spec, Sdf.PrimSpec):
            if spec.specifier == Sdf.SpecifierDef:
                out[str(spec_path)] = {"def": spec.typeName}
            if spec.HasInfo("active"):  # prim metadata edits (usdtext.PRIM_METADATA)
                out[f"{spec_path}.active"] = bool(spec.active)
        elif isinstance(spec, Sdf.RelationshipSpec):
            out[f"{spec.owner.path}.{spec.name}"] = {"targets": [str(t) for t in spec.targetPathList.explicitItems]}
        elif isinstance(spec, Sdf.AttributeSpec):
            key = f"{spec.owner.path}.{spec.name}"
            times = layer.ListTimeSamplesForPath(spec_path)
            if times:
                entry: dict[str, Any] = {"timeSamples": [[float(t), _jsonable(layer.QueryTimeSample(spec_path, t))]
                                                         for t in times]}
                if spec.HasDefaultValue():
                    entry["default"] = _jsonable(spec.default)
                out[key] = entry
            else:
                out[key] = _jsonable(spec.default) if spec.HasDefaultValue() else None

    layer.Traverse(Sdf.Path.absoluteRootPath, visit)
    return out, list(layer.subLayerPaths)


def first_difference(expected: dict[str, Any], actual: dict[str, Any]) -> tuple[str, str] | None:
    """(the first key whose value differs, a one-line description of the difference), or None when equal."""
    for key in sorted(set(expected) | set(actual)):
        if key not in actual:
            return key, f"{key} is missing (expected {_short(expected[key])})"
        if key not in expected:
            return key, f"{key} = {_short(actual[key])} is not in the plan"
        if expected[key] != actual[key]:
            return key, f"{key} is {_short(actual[key])}, the seeds give {_short(expected[key])}"
    return None


def _short(v: Any) -> str:
    s = json.dumps(v)
    return s if len(s) <= 80 else s[:77] + "..."
