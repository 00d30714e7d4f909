"""Edits -> usda text without Sdf authoring, byte for byte what Sdf's ExportToString writes for the same layer.

Authoring through Sdf costs Python->C++ calls per edit (~10 µs); a layout variant of a 5,000-body stage has
10,000 edits. This writes the text directly for the edits whose formatting it knows: attribute defaults and
time samples (numeric scalars, vectors, quaternions, matrix4d, numeric arrays, bool, int, token, string,
token[]; uniform, custom), relationships, `def` prims with applied schemas and kind, and `active`. Anything
else (names, strings or numbers it has not verified: non-ASCII, quotes, nan/inf) returns None and the
caller authors the layer through Sdf.

Formatting comes from USD itself wherever possible: numbers are printed by Vt arrays (the same C++ stream
operators Sdf's writer uses), property order (TfDictionaryLessThan) is read off an Sdf export of the names.
tests/test_writer.py checks every rule against `build_layer(...).ExportToString()` on random edits."""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import chain
from operator import attrgetter
from typing import Any

import numpy as np
from pxr import Sdf, Vt

from ..blocks.data import Columns, Edit
from .usda_runs import Redo, Run

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NAMES = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\n[A-Za-z_][A-Za-z0-9_]*)*")  # one per line
_PROP = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?::[A-Za-z_][A-Za-z0-9_]*)*")
_PATH = re.compile(r"(?:/[A-Za-z_][A-Za-z0-9_]*)+")
_PLAIN = re.compile(r"[ !#-\[\]-~]*")  # printable ASCII but `"` and `\`: Sdf quotes these as "<text>" verbatim
_INT32 = (-(2**31), 2**31 - 1)

# numeric type -> (numpy dtype of the stored value, Vt array that prints it, components per value; 0 = scalar)
_F, _D, _H = np.float32, np.float64, np.float16
_VT_1 = {_D: Vt.DoubleArray, _F: Vt.FloatArray, _H: Vt.HalfArray}
_VT_N = {(_D, 2): Vt.Vec2dArray, (_D, 3): Vt.Vec3dArray, (_D, 4): Vt.Vec4dArray,
         (_F, 2): Vt.Vec2fArray, (_F, 3): Vt.Vec3fArray, (_F, 4): Vt.Vec4fArray,
         (_H, 2): Vt.Vec2hArray, (_H, 3): Vt.Vec3hArray, (_H, 4): Vt.Vec4hArray}
NUMERIC: dict[str, tuple[type, int]] = {
    "double": (_D, 0), "float": (_F, 0), "half": (_H, 0),
    "double2": (_D, 2), "double3": (_D, 3), "double4": (_D, 4),
    "float2": (_F, 2), "float3": (_F, 3), "float4": (_F, 4),
    "half2": (_H, 2), "half3": (_H, 3), "half4": (_H, 4),
    "point3d": (_D, 3), "vector3d": (_D, 3), "normal3d": (_D, 3), "color3d": (_D, 3), "color4d": (_D, 4),
    "texCoord2d": (_D, 2),
    "point3f": (_F, 3), "vector3f": (_F, 3), "normal3f": (_F, 3), "color3f": (_F, 3), "color4f": (_F, 4),
    "texCoord2f": (_F, 2),
    "point3h": (_H, 3), "vector3h": (_H, 3), "normal3h": (_H, 3), "color3h": (_H, 3), "color4h": (_H, 4),
    "texCoord2h": (_H, 2),
    "quatd": (_D, 4), "quatf": (_F, 4), "quath": (_H, 4),  # usda writes (real, i, j, k): the Edit's order
    "matrix4d": (_D, 16),  # 4 row tuples
}
# Arrays of vectors (e.g. float3[] extent); Sdf converts a tuple of numbers to no scalar array type (double[]).
ARRAYS = {f"{t}[]": kind for t, kind in NUMERIC.items() if kind[1] in (2, 3, 4) and not t.startswith("quat")}
OTHER = ("bool", "int", "token", "string", "token[]")
REL = "rel"  # Edit.type_name of a relationship; its value is the tuple of target paths

# Prim metadata an Edit may set via `attr` (recorded in the values file as "<prim>.<field>" like attributes).
PRIM_METADATA = ("active",)


class _Unsupported(Exception):
    """An edit whose text this module does not produce: the caller authors the layer through Sdf."""


class _Group:
    """The values of one numeric type, printed in one Vt call once every edit is read."""

    __slots__ = ("dtype", "width", "values", "text")

    def __init__(self, dtype: type, width: int) -> None:
        self.dtype, self.width, self.values = dtype, width, []
        self.text: list[str] = []  # filled in place by format(): properties hold this list

    def format(self) -> None:
        vals = self.values
        if self.width == 0:
            if not set(map(type, vals)) <= {float, int}:
                raise _Unsupported
            self.text[:] = _printed(np.asarray(vals, dtype=np.float64), self.dtype, 0)
            return
        rows, n = vals, self.width
        if n == 16:  # matrix4d: 4 row tuples of 4
            if not (set(map(type, vals)) <= {tuple} and set(map(len, vals)) == {4}):
                raise _Unsupported
            rows, n = list(chain.from_iterable(vals)), 4
        if not (set(map(type, rows)) <= {tuple} and set(map(len, rows)) == {n}):
            raise _Unsupported
        numbers = set(map(type, chain.from_iterable(rows)))
        if numbers == {float}:  # the usual case: fromiter reads them without a list per row
            arr = np.fromiter(chain.from_iterable(rows), np.float64, len(rows) * n).reshape(-1, n)
        elif numbers <= {float, int}:
            arr = np.asarray(rows, dtype=np.float64)
        else:
            raise _Unsupported
        pieces = _printed(arr, self.dtype, n)
        if self.width == 16:
            pieces = [f" ({'), ('.join(pieces[k:k + 4])}) " for k in range(0, len(pieces), 4)]
        self.text[:] = pieces


def _printed(arr: np.ndarray, dtype: type, width: int) -> list[str]:
    """Each value's usda text (a vector's without its parentheses) as USD stores `dtype`, printed by one Vt array:
    the C++ stream operators Sdf's writer uses."""
    arr = _stored(arr, dtype)
    if not len(arr):
        return []
    if width == 0:
        return str(_VT_1[dtype].FromNumpy(arr))[1:-1].split(", ")
    return str(_VT_N[dtype, width].FromNumpy(arr))[2:-2].split("), (")


def _stored(arr: np.ndarray, dtype: type) -> np.ndarray:
    """The values as USD stores them: double -> float as C++ casts it; half through float, like GfHalf."""
    if not np.isfinite(arr).all():
        raise _Unsupported  # nan/inf: formatting not verified
    if dtype is not np.float64:
        with np.errstate(over="ignore"):
            arr = arr.astype(np.float32)
            if dtype is np.float16:
                arr = arr.astype(np.float16)
        if not np.isfinite(arr).all():
            raise _Unsupported  # overflows the type
    return arr


def _quote(s: object) -> str:
    if type(s) is not str or not _PLAIN.fullmatch(s):
        raise _Unsupported  # quotes, escapes, newlines, non-ASCII: Sdf's escaping not reproduced here
    return f'"{s}"'


def _other(type_name: str, v: object) -> str:
    if type_name == "bool":
        if type(v) is not bool:
            raise _Unsupported
        return "1" if v else "0"
    if type_name == "int":
        if type(v) is not int or not _INT32[0] <= v <= _INT32[1]:
            raise _Unsupported
        return str(v)
    if type_name == "token[]":
        if type(v) is not tuple:
            raise _Unsupported
        return f"[{', '.join(_quote(t) for t in v)}]"
    return _quote(v)


def _texts(type_name: str, values: list) -> list[str]:
    """The usda text of each value of one type (the rarer properties: one Vt call per property)."""
    kind = NUMERIC.get(type_name)
    if kind is not None:
        group = _Group(*kind)
        group.values = values
        group.format()
        return group.text if kind[1] == 0 else [f"({t})" for t in group.text]
    if type_name in ARRAYS:
        if {type(v) for v in values} != {tuple} or {type(x) for v in values for x in chain.from_iterable(
                r if type(r) is tuple else (r,) for r in v)} - {float}:
            raise _Unsupported  # Sdf converts tuples of ints to no array type
        return [f"[{', '.join(_texts(type_name[:-2], list(v)))}]" if v else "[]" for v in values]
    if type_name in OTHER:
        return [_other(type_name, v) for v in values]
    raise _Unsupported


def _rare_text(attr: str, type_name: str, value: Any, samples: tuple | None, uniform: bool, custom: bool,
               ind: str) -> str:
    """A relationship, an attribute with time samples, an array or a bare declaration, as Sdf writes it
    (continuation lines indented for a property at `ind`)."""
    if not _PROP.fullmatch(attr) or attr in PRIM_METADATA:
        raise _Unsupported
    if type_name == REL:
        if samples is not None or type(value) is not tuple or not value or len(set(value)) != len(value) or not all(
                type(t) is str and _PATH.fullmatch(t) for t in value):
            raise _Unsupported  # (Sdf drops repeated targets)
        head = f"{'custom ' * custom}rel {attr} = "
        if len(value) == 1:
            return f"{head}<{value[0]}>"
        return head + "[\n" + "".join(f"{ind}    <{t}>,\n" for t in value) + f"{ind}]"
    decl = f"{'uniform ' * uniform}{type_name} {attr}"  # the time samples line never says `custom`
    if value is not None:
        lines = [f"{'custom ' * custom}{decl} = {_texts(type_name, [value])[0]}"]
    else:  # a custom attribute is declared on a line of its own
        lines = [f"{'custom ' * custom}{decl}"] if custom or not samples else []
    if samples:
        if type(samples) is not tuple or {type(t) for t, _ in samples} - {float, int}:
            raise _Unsupported
        ordered = sorted(samples, key=lambda s: float(s[0]))
        times = [float(t) for t, _ in ordered]
        if len(set(times)) != len(times):
            raise _Unsupported  # Sdf keeps the last value written at a time
        pairs = zip(_texts("double", times), _texts(type_name, [v for _, v in ordered]), strict=True)
        lines.append(f"{decl}.timeSamples = {{\n" + "".join(f"{ind}    {t}: {v},\n" for t, v in pairs) + f"{ind}}}")
    return f"\n{ind}".join(lines)


# A prim while the text is built: [name, child prims, properties, active (None: not authored),
# type name (None: an `over`), applied schemas, kind].
_CHILDREN, _PROPS, _ACTIVE, _TYPE, _API, _KIND = range(1, 7)  # (the loop in _tree writes _PROPS as 2)
_META, _RARE = "meta", "rare"


@lru_cache(maxsize=64)
def _property_rank(names: frozenset[str]) -> dict[str, int]:
    """Sdf writes a prim's properties sorted (TfDictionaryLessThan): read the order off an export of the names."""
    layer = Sdf.Layer.CreateAnonymous(".usda")
    prim = Sdf.CreatePrimInLayer(layer, "/P")
    for n in names:
        Sdf.AttributeSpec(prim, n, Sdf.ValueTypeNames.Int)
    lines = [ln.split()[1] for ln in layer.ExportToString().splitlines() if ln.startswith("    int ")]
    return {n: k for k, n in enumerate(lines)}


def _spec(key: tuple[str, str, bool, bool], groups: dict[tuple[type, int], _Group]):
    """How a default of (attribute, type, uniform, custom) is written: _META (prim metadata), _RARE (by
    _rare_text), or (text before the value, the values and texts of the group that prints it or None when
    the text before holds the value, text after)."""
    attr, type_name, uniform, custom = key
    if attr in PRIM_METADATA:
        if attr != "active":
            raise _Unsupported
        return _META
    if type_name == REL or type_name in ARRAYS:
        return _RARE
    if not _PROP.fullmatch(attr) or (type_name not in NUMERIC and type_name not in OTHER):
        raise _Unsupported
    head = f"{'custom ' * custom}{'uniform ' * uniform}{type_name} {attr} = "
    kind = NUMERIC.get(type_name)
    if kind is None:
        return head, None, _WHOLE, ""
    group = groups.get(kind)
    if group is None:
        group = groups[kind] = _Group(*kind)
    return (head, group.values, group.text, "") if kind[1] == 0 else (head + "(", group.values, group.text, ")")


_FIELDS = attrgetter("prim_def", "time_samples", "path", "attr", "type_name", "variability_uniform", "custom",
                     "value")
_WHOLE = ("",)  # the value text of a property whose head already holds it (bool, int, strings)


def _tree(edits: list[Edit | Columns], runs: bool = True
          ) -> tuple[list[list], dict[tuple[type, int], _Group], set[str]]:
    """The prims as Sdf would nest them; each property as (name, (text before the value, -, value texts, text
    after), index of its value text); numeric defaults are collected in groups, printed once all edits are read.
    With `runs`, a Columns' new leaf prims are kept as `usda_runs.Run`s (raises Redo if another edit touches one)."""
    root: list = ["", [], [], None, None, (), ""]
    prims: dict[str, list] = {}  # (not the root: "" is no prim path)
    groups: dict[tuple[type, int], _Group] = {}
    specs: dict[tuple[str, str, bool, bool], Any] = {}
    rare: set[str] = set()
    created: list[str] = []  # names of the prims made
    names_of_columns: set[str] = set()
    for item in edits:
        if type(item) is Columns:
            _add_columns(item, prims, created, root, names_of_columns, runs)
            continue
        prim_def, samples, path, attr, type_name, uniform, custom, value = _FIELDS(item)
        prim = prims.get(path) or _add_prim(prims, path, created, root)
        if type(prim) is Run:
            raise Redo
        if prim_def is not None:
            _define(prim, prim_def)
        if attr is None:
            continue
        if samples is None and value is not None:
            key = (attr, type_name, uniform, custom)
            spec = specs.get(key) or specs.setdefault(key, _spec(key, groups))
            if spec is _META:
                if type(value) is not bool:
                    raise _Unsupported
                prim[_ACTIVE] = value
                continue
            if spec is not _RARE:
                values = spec[1]
                if values is None:
                    prim[2].append((attr, (spec[0] + _other(type_name, value), None, _WHOLE, ""), 0))
                else:
                    prim[2].append((attr, spec, len(values)))
                    values.append(value)
                continue
        text = _rare_text(attr, type_name, value, samples, uniform, custom, "    " * path.count("/"))
        prim[2].append((attr, (text, None, _WHOLE, ""), 0))
        rare.add(attr)
    if created and not _NAMES.fullmatch("\n".join(created)):
        raise _Unsupported
    names = {k[0] for k, v in specs.items() if v is not _META and v is not _RARE} | rare | names_of_columns
    return root[_CHILDREN], groups, names


def _add_columns(c: Columns, prims: dict[str, list], created: list[str], root: list, names: set[str],
                 runs: bool) -> None:
    """A Columns' prims and properties: each column's values printed by one Vt call; with `runs`, its new prims
    under a prim made already go into Runs."""
    specs = []
    for attr, type_name, values in zip(c.attrs, c.type_names, c.values, strict=True):
        kind = NUMERIC.get(type_name)
        if kind is None or kind[1] == 16 or not _PROP.fullmatch(attr) or attr in PRIM_METADATA:
            raise _Unsupported
        dtype, width = kind
        if values.dtype != np.float64 or values.shape[1:] != ((width,) if width else ()):
            raise _Unsupported
        texts = _printed(values, dtype, width)
        if width == 0:
            specs.append((attr, (f"{type_name} {attr} = ", None, texts, "")))
        else:
            specs.append((attr, (f"{type_name} {attr} = (", None, texts, ")")))
        names.add(attr)
    get = prims.get
    for i, path in enumerate(c.paths):
        prim = get(path)
        if prim is None:  # _add_prim inlined for the usual case, a new prim under one made already
            parent_path, _, name = path.rpartition("/")
            parent = get(parent_path)
            if parent is None:
                prim = _add_prim(prims, path, created, root)
            elif type(parent) is Run:
                raise Redo
            elif runs:
                kids = parent[1]
                run = kids[-1] if kids else None
                if type(run) is Run and run.specs is specs:
                    run.names.append(name)
                    run.rows.append(i)
                else:
                    run = Run(name, i, specs)
                    kids.append(run)
                prims[path] = run
                created.append(name)
                continue
            else:
                prim = prims[path] = [name, [], [(a, spec, i) for a, spec in specs], None, None, (), ""]
                parent[1].append(prim)
                created.append(name)
                continue
        elif type(prim) is Run:
            raise Redo
        prim[2] += [(a, spec, i) for a, spec in specs]


def _define(prim: list, d: Any) -> None:
    """A PrimDef as build_layer authors it: `def <type>`, schemas and kind only when given."""
    if not _NAME.fullmatch(d.type_name) or not all(type(a) is str and _PROP.fullmatch(a) for a in d.api_schemas):
        raise _Unsupported
    prim[_TYPE] = d.type_name
    if d.api_schemas:
        prim[_API] = tuple(d.api_schemas)
    if d.kind:
        if type(d.kind) is not str or not _PLAIN.fullmatch(d.kind):
            raise _Unsupported
        prim[_KIND] = d.kind


def _add_prim(prims: dict[str, list], path: str, names: list[str], root: list) -> list:
    """Creates the prim and its missing ancestors, in the order Sdf.CreatePrimInLayer appends them; their
    names go to `names`, checked all at once by _tree."""
    parent_path, sep, name = path.rpartition("/")
    if not sep:
        raise _Unsupported  # a relative path
    parent = (prims.get(parent_path) or _add_prim(prims, parent_path, names, root)) if parent_path else root
    if type(parent) is Run:
        raise Redo
    prim = prims[path] = [name, [], [], None, None, (), ""]
    parent[_CHILDREN].append(prim)
    names.append(name)
    return prim


def _emit(prim: list, ind: str, rank: dict[str, int], out: list[str]) -> None:
    name, children, props, active, type_name, api, kind = prim
    inner = ind + "    "
    if len(props) == 2 and not children and active is None and type_name is None:  # a moved body: one string
        (a1, (h1, _, t1, e1), k1), (a2, (h2, _, t2, e2), k2) = props
        if a1 == a2:
            raise _Unsupported  # the same attribute twice: Sdf refuses it
        if rank[a1] > rank[a2]:
            h1, t1, k1, e1, h2, t2, k2, e2 = h2, t2, k2, e2, h1, t1, k1, e1
        out.append(f'{ind}over "{name}"\n{ind}{{\n{inner}{h1}{t1[k1]}{e1}\n{inner}{h2}{t2[k2]}{e2}\n{ind}}}\n')
        return
    spec = "over" if type_name is None else f"def {type_name}"
    meta = []
    if active is not None:
        meta.append(f"{inner}active = {'true' if active else 'false'}\n")
    if api:
        schemas = ", ".join('"' + a + '"' for a in api)
        meta.append(f"{inner}prepend apiSchemas = [{schemas}]\n")
    if kind:
        meta.append(f'{inner}kind = "{kind}"\n')
    if meta:
        out.append(f'{ind}{spec} "{name}" (\n{"".join(meta)}{ind})\n{ind}{{\n')
    else:
        out.append(f'{ind}{spec} "{name}"\n{ind}{{\n')
    if props:
        if len(props) > 1:
            props.sort(key=lambda p: rank[p[0]])
            if len({p[0] for p in props}) != len(props):
                raise _Unsupported
        for _, (head, _, text, tail), k in props:
            out.append(f"{inner}{head}{text[k]}{tail}\n")
        if children:
            out.append("\n")
    for k, child in enumerate(children):
        if k:
            out.append("\n")
        if type(child) is Run:
            child.emit(inner, rank, out)
        else:
            _emit(child, inner, rank, out)
    out.append(f"{ind}}}\n")


def layer_text(edits: list[Edit | Columns], header: str) -> str | None:
    """The layer's text after `header` (Sdf's export of the layer without prims), or None: use Sdf."""
    try:
        try:
            roots, groups, names = _tree(edits)
        except Redo:
            roots, groups, names = _tree(edits, runs=False)
        for g in groups.values():
            g.format()
        rank = _property_rank(frozenset(names))
        out = [header]
        for prim in roots:
            _emit(prim, "", rank, out)
            out.append("\n")
        return "".join(out)
    except _Unsupported:
        return None
