"""The values record as json text: the bytes of json.dumps(indent=1, sort_keys=True, allow_nan=False), faster.

json's indenting encoder is pure Python and prints each float with float.__repr__ (~0.4 µs); a layout
variant of a 5,000-body stage records ~35,000 floats. Here every float of the record is printed by one
Vt.DoubleArray (C++, the shortest digits that round-trip, as repr) and only the layout is changed to repr's:
`1` -> `1.0`; numbers repr prints in another notation (tiny or huge: an exponent) are printed by repr.
tests/test_writer.py compares the text with json.dumps on random records."""

from __future__ import annotations

import json
from functools import lru_cache
from itertools import chain, compress, repeat
from operator import add
from typing import Any

import numpy as np
from pxr import Vt

_STR = json.encoder.encode_basestring_ascii  # json.dumps' own (C) string encoder for ensure_ascii=True
# Magnitudes where both Tf and repr print positional digits (Tf: 1e-6 <= |x| < 1e15, repr: 1e-4 <= |x| < 1e16,
# with margin): outside it, or zero, the notations differ (Tf 1e-7, 0.00001, 1e15; repr 1e-07, 1e-05, 1e+15).
_POSITIONAL = (2e-4, 1e14)
_SEQUENCES = frozenset({tuple, list})
_ITEM1, _ITEM2 = ",\n ", ",\n  "  # item separators at depth 1, 2


class _NotPlain(Exception):
    """A value this module does not encode (non-finite or non-builtin numbers, non-str keys): use json."""


def dumps(record: dict[str, Any], rendered: dict[str, str] | None = None) -> str:
    """json.dumps(record, indent=1, sort_keys=True, allow_nan=False), byte for byte. `rendered`: more entries,
    {key: the json text of its value at depth 1} (from `columns_texts`), merged into the record in key order."""
    if rendered:
        return _merged(record, rendered)
    try:
        return _dumps(record)
    except (_NotPlain, TypeError):  # TypeError: keys that do not sort; json.dumps says what is wrong
        return json.dumps(record, indent=1, sort_keys=True, allow_nan=False)


_SEP = "\x00"  # between entries while the record is one template: json never prints it (it escapes controls)


def _merged(record: dict[str, Any], rendered: dict[str, str]) -> str:
    try:
        body = _dumps(record, _SEP) if record else ""
    except (_NotPlain, TypeError):  # the slow, exact way: the rendered values read back (repr-exact floats)
        whole = {**record, **{k: json.loads(v) for k, v in rendered.items()}}
        return json.dumps(whole, indent=1, sort_keys=True, allow_nan=False)
    entries = body[3:-2].split(_SEP) if body else []  # "{\n " ... "\n}"
    pairs = list(zip(sorted(record), entries, strict=True))
    pairs += zip(rendered, map(add, map(_STR, rendered), repeat(": ")), strict=True)
    pairs.sort(key=_first)
    texts = [t if k not in rendered else t + rendered[k] for k, t in pairs]
    return "{\n " + _ITEM1.join(texts) + "\n}"


def _first(pair: tuple) -> str:
    return pair[0]


def columns_texts(keys: list[str], values: tuple[np.ndarray, ...]) -> dict[str, str]:
    """{key: json text of its value} for Columns values (keys prim by prim, one value per column, (n,) or (n, k)
    float64 arrays): each column's floats printed by one Vt call."""
    per_column = []
    for v in values:
        try:
            t = _float_texts(v.reshape(-1))
        except _NotPlain:
            raise ValueError("Out of range float values are not JSON compliant") from None  # as json.dumps says
        if v.ndim == 1:
            per_column.append(t)
        else:
            per_column.append(_rows(t, v.shape[1]))
    texts = [t for row in zip(*per_column, strict=True) for t in row] if per_column else []
    return dict(zip(keys, texts, strict=True))


def _rows(texts: list[str], k: int) -> list[str]:
    """`_slots(k).format(*row)` for every row of k printed floats, in one join and one split (no call per row)."""
    n = len(texts) // k
    if not n:
        return []
    glue = [",\n  "] * (k - 1) + ["\n ]\x00[\n  "]
    parts: list[str] = [""] * (2 * n * k)
    parts[0::2] = texts
    parts[1::2] = glue * n
    return ("[\n  " + "".join(parts))[:-5].split("\x00")  # the last row's glue ends "\x00[\n  " (5 chars)


@lru_cache(maxsize=256)
def _slots(n: int, depth: int = 1) -> str:
    """A list of n floats as a str.format template at `depth` (1: an entry of the record, 2: a row in one)."""
    ind = " " * depth
    return f"[\n{ind} " + f",\n{ind} ".join(["{}"] * n) + f"\n{ind}]"


def _dumps(record: dict[str, Any], sep: str = _ITEM1) -> str:
    """The text as one str.format template: each float of a float list a {} slot, all printed at once.

    Per entry work runs in C (map, compress) except for values that are not lists of floats."""
    if not record:
        return "{}"
    keys = sorted(record)
    if set(map(type, keys)) != {str}:
        raise _NotPlain
    values = list(map(record.__getitem__, keys))
    is_list = list(map(_SEQUENCES.__contains__, map(type, values)))
    lists = list(compress(values, is_list))
    floats = list(chain.from_iterable(lists))
    if not all(lists) or not set(map(type, floats)) <= {float}:
        return _dumps_each(keys, values, sep)  # lists of other things (rows of a matrix, tokens, empty)
    slots = iter(list(map(_slots, map(len, lists))))
    parts = [next(slots) if li else _json_text(v, " ").replace("{", "{{").replace("}", "}}")
             for li, v in zip(is_list, values, strict=True)]
    names = list(map(_STR, keys))
    if "{" in "".join(names) or "}" in "".join(names):
        names = [n.replace("{", "{{").replace("}", "}}") for n in names]
    template = "{{\n " + sep.join(map(add, map(add, names, repeat(": ")), parts)) + "\n}}"
    return template.format(*_float_texts(floats))


def _dumps_each(keys: list[str], values: list, sep: str = _ITEM1) -> str:
    """_dumps for any record: entry by entry (floats, float lists and float rows still printed at once)."""
    braces = "{" in "".join(keys) or "}" in "".join(keys)
    floats: list[float] = []
    parts: list[str] = []
    for k, v in zip(keys, values, strict=True):
        t = type(v)
        key = _STR(k)
        if braces:
            key = key.replace("{", "{{").replace("}", "}}")
        if t is float:
            parts.append(key + ": {}")
            floats.append(v)
        elif (t is tuple or t is list) and v and type(v[0]) is float:  # every item a float: _float_texts checks
            parts.append(key + ": " + _slots(len(v)))
            floats.extend(v)
        elif (t is tuple or t is list) and v and type(v[0]) in (tuple, list) and v[0] and type(v[0][0]) is float:
            if not set(map(type, v)) <= {tuple, list} or not all(v):
                raise _NotPlain
            parts.append(key + ": [\n  " + _ITEM2.join([_slots(len(row), 2) for row in v]) + "\n ]")
            for row in v:
                floats.extend(row)
        else:
            parts.append(key + ": " + _json_text(v, " ").replace("{", "{{").replace("}", "}}"))
    if not set(map(type, floats)) <= {float}:
        raise _NotPlain  # ints, bools, numpy scalars in a float list: json prints those its own way
    return ("{{\n " + sep.join(parts) + "\n}}").format(*_float_texts(floats))


def _float_texts(floats: list[float] | np.ndarray) -> list[str]:
    """[float.__repr__(f) for f in floats], printed in one C++ call. The caller checked they are all floats."""
    arr = np.array(floats, dtype=np.float64)
    if not np.isfinite(arr).all():
        raise _NotPlain  # json raises for allow_nan=False
    if not len(arr):
        return []
    s = str(Vt.DoubleArray.FromNumpy(arr))[1:-1]
    tf = s.split(", ")
    mag = np.abs(arr)
    other = np.flatnonzero((mag < _POSITIONAL[0]) & (mag != 0) | (mag >= _POSITIONAL[1])).tolist()
    if s.count("e") != sum(tf[i].count("e") for i in other):
        raise _NotPlain  # an exponent where the range above says positional: not seen, but never guessed at
    text = tf
    # Tf prints an integral value without a point ("3"), repr with one ("3.0"); only integral values can lack it
    for i in np.flatnonzero(arr == np.trunc(arr)).tolist():
        if "." not in text[i]:
            text[i] += ".0"
    for i in other:
        text[i] = float.__repr__(float(arr[i]))
    return text


def _json_text(v: Any, ind: str) -> str:
    """json.dumps(v, indent=1, sort_keys=True, allow_nan=False) at indent `ind` for plain values."""
    t = type(v)
    if t is float:
        r = float.__repr__(v)
        if "n" in r:  # nan, inf
            raise _NotPlain
        return r
    if t is str:
        return _STR(v)
    if t is bool:
        return "true" if v else "false"
    if t is int:
        return int.__repr__(v)
    if v is None:
        return "null"
    inner = ind + " "
    sep = ",\n" + inner
    if t is list or t is tuple:
        if not v:
            return "[]"
        return f"[\n{inner}{sep.join([_json_text(x, inner) for x in v])}\n{ind}]"
    if t is dict:
        if not v:
            return "{}"
        keys = sorted(v)
        if set(map(type, keys)) != {str}:
            raise _NotPlain
        return f"{{\n{inner}{sep.join([f'{_STR(k)}: {_json_text(v[k], inner)}' for k in keys])}\n{ind}}}"
    raise _NotPlain
