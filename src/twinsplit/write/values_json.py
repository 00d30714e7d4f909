"""The values record as json text: the bytes of json.dumps(indent=1, sort_keys=True, allow_nan=False), faster.

json's indenting encoder is pure Python and prints each float with float.__repr__ (~0.4 µs); a layout
variant of a 5,000-body stage records ~35,000 floats. Here every float of the record is printed by one
Vt.DoubleArray (C++, the shortest digits that round-trip, as repr) and only the layout is changed to repr's:
`1` -> `1.0`; numbers repr prints in another notation (tiny or huge: an exponent) are printed by repr.
tests/test_writer.py compares the text with json.dumps on random records."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from pxr import Vt

_STR = json.encoder.encode_basestring_ascii  # json.dumps' own (C) string encoder for ensure_ascii=True
# Magnitudes where both Tf and repr print positional digits (Tf: 1e-6 <= |x| < 1e15, repr: 1e-4 <= |x| < 1e16,
# with margin): outside it, or zero, the notations differ (Tf 1e-7, 0.00001, 1e15; repr 1e-07, 1e-05, 1e+15).
_POSITIONAL = (2e-4, 1e14)
_ITEM1, _ITEM2, _ITEM3 = ",\n ", ",\n  ", ",\n   "  # item separators at depth 1, 2, 3


class _NotPlain(Exception):
    """A value this module does not encode (non-finite or non-builtin numbers, non-str keys): use json."""


def dumps(record: dict[str, Any]) -> str:
    """json.dumps(record, indent=1, sort_keys=True, allow_nan=False), byte for byte."""
    try:
        return _dumps(record)
    except (_NotPlain, TypeError):  # TypeError: keys that do not sort; json.dumps says what is wrong
        return json.dumps(record, indent=1, sort_keys=True, allow_nan=False)


def _dumps(record: dict[str, Any]) -> str:
    if not record:
        return "{}"
    keys = sorted(record)
    if set(map(type, keys)) != {str}:
        raise _NotPlain
    floats: list[float] = []
    # per key: (0, index) one float, (1, start, end) a list of floats, (2, start, row ends) a list of float
    # lists (matrix, extent), (3, text) anything else, encoded directly
    entries: list[tuple] = []
    for k in keys:
        v = record[k]
        t = type(v)
        if t is float:
            entries.append((0, len(floats)))
            floats.append(v)
        elif (t is tuple or t is list) and v and type(v[0]) is float:
            start = len(floats)
            floats.extend(v)
            entries.append((1, start, len(floats)))
        elif (t is tuple or t is list) and v and type(v[0]) in (tuple, list) and v[0] and type(v[0][0]) is float:
            if not set(map(type, v)) <= {tuple, list} or not all(v):
                raise _NotPlain
            start, ends = len(floats), []
            for row in v:
                floats.extend(row)
                ends.append(len(floats))
            entries.append((2, start, ends))
        else:
            entries.append((3, _json_text(v, " ")))
    text = _float_texts(floats)
    out = []
    for k, entry in zip(keys, entries, strict=True):
        kind = entry[0]
        if kind == 0:
            out.append(f"{_STR(k)}: {text[entry[1]]}")
        elif kind == 1:
            out.append(f"{_STR(k)}: [\n  {_ITEM2.join(text[entry[1]:entry[2]])}\n ]")
        elif kind == 2:
            a, rows = entry[1], []
            for b in entry[2]:
                rows.append(f"[\n   {_ITEM3.join(text[a:b])}\n  ]")
                a = b
            out.append(f"{_STR(k)}: [\n  {_ITEM2.join(rows)}\n ]")
        else:
            out.append(f"{_STR(k)}: {entry[1]}")
    return "{\n " + _ITEM1.join(out) + "\n}"


def _float_texts(floats: list[float]) -> list[str]:
    """[float.__repr__(f) for f in floats], printed in one C++ call."""
    if set(map(type, floats)) - {float}:
        raise _NotPlain  # ints, bools, numpy scalars in a float list: json prints those its own way
    arr = np.array(floats, dtype=np.float64)
    if not np.isfinite(arr).all():
        raise _NotPlain  # json raises for allow_nan=False
    s = str(Vt.DoubleArray.FromNumpy(arr))[1:-1]
    tf = s.split(", ")
    mag = np.abs(arr)
    other = np.flatnonzero((mag < _POSITIONAL[0]) & (mag != 0) | (mag >= _POSITIONAL[1])).tolist()
    if s.count("e") != sum(tf[i].count("e") for i in other):
        raise _NotPlain  # an exponent where the range above says positional: not seen, but never guessed at
    text = [t if "." in t else t + ".0" for t in tf]
    for i in other:
        text[i] = float.__repr__(floats[i])
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
