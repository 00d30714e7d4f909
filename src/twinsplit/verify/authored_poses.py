"""What a variant layer's xform op values make of the source prims' world transforms, thousands at once.

A prim's new local transform is the product of its op matrices in xformOpOrder (`geometry.xform_ops`): the ops
the layer authors, evaluated from its values, and the source's own ops it leaves alone. What depends only on the
source and on which attributes a prim's values name (its op stack, source world and parent transforms, the
matrices of the ops it keeps) is read once per set into one table per op stack; each variant then gathers rows
and multiplies arrays. Layout's values come as `Columns` (arrays, taken whole); a layer read back gives plain
{attr: value} per prim, evaluated the same way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import numpy as np

from ..blocks.data import Columns
from ..geometry.xform_ops import op_matrices, op_type_of
from ..write.layer import Authored
from .core import Finding

_RESET = "!resetXformStack!"


def layout_finding(prim: str, message: str) -> Finding:
    return Finding("layout", message, prim=prim)


def parent_path(path: str) -> str:
    return path.rpartition("/")[0]


def op_stack(prim: str, xf, values: dict, findings: list[Finding]) -> tuple | None:
    """(reset, ((authored|source, op type, attr or source op index, inverse), ...)) of a prim whose layer authors
    `values` ({attr: value}) over source transform `xf`; None (and a finding) if it cannot be evaluated."""
    if any(isinstance(v, dict) for v in values.values()):
        findings.append(layout_finding(prim, "authors a time-sampled transform; layout writes default values only"))
        return None
    index = {op.attr: k for k, op in enumerate(xf.ops)}
    order = values.get("xformOpOrder")
    names = list(order) if order is not None else [op.name for op in xf.ops]
    reset = (bool(names) and names[0] == _RESET) or (order is None and xf.reset)
    stack = []
    for name in (n for n in names if n != _RESET):
        inverse = name.startswith("!invert!")
        attr = name.removeprefix("!invert!")
        if attr in values:
            op_type = op_type_of(attr)
            if op_type is None:
                findings.append(layout_finding(prim, f"authors {attr}, an xform op this check cannot evaluate"))
                return None
            stack.append(("authored", op_type, attr, inverse))
        elif attr in index:
            stack.append(("source", "", index[attr], False))
        else:
            findings.append(layout_finding(prim, f"xformOpOrder names {name}, which has no value"))
            return None
    return reset, tuple(stack)


class _Stack:
    """The prims seen with one op stack: source world, parent and kept-op matrices, stacked on first use."""

    def __init__(self, spec: tuple) -> None:
        self.reset, self.stack = spec
        self.world: list[np.ndarray] = []
        self.parent: list[np.ndarray] = []
        self.kept: list[list[np.ndarray]] = [[] for kind, *_ in self.stack if kind == "source"]
        self._arrays: tuple | None = None

    def add(self, xf) -> int:
        self.world.append(xf.world)
        self.parent.append(np.eye(4) if self.reset else xf.parent)
        sources = [op for op in self.stack if op[0] == "source"]
        for mats, (_, _, k, _) in zip(self.kept, sources, strict=True):
            mats.append(xf.ops[k].matrix)  # (its matrix has the inverse applied)
        self._arrays = None
        return len(self.world) - 1

    def arrays(self) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
        """(inverse source worlds, parents, kept op matrices), one row per prim."""
        if self._arrays is None:
            world = np.array(self.world)  # (its inverse kept: the same for every variant)
            self._arrays = (np.linalg.inv(world), np.array(self.parent), [np.array(m) for m in self.kept])
        return self._arrays

    def local(self, rows: np.ndarray, value_of: Callable[[str], object]) -> np.ndarray:
        """Local transforms of `rows`; value_of(attr) gives the authored values of those rows, in order."""
        kept = self.arrays()[2]
        m = np.tile(np.eye(4), (len(rows), 1, 1))
        k = len(kept)
        for kind, op_type, attr, inverse in reversed(self.stack):
            if kind == "authored":
                m = m @ op_matrices(op_type, value_of(attr), inverse)
            else:
                k -= 1
                m = m @ kept[k][rows]
        return m


def _merged(columns) -> list[Columns]:
    """The xform-op Columns, one per (attrs, types): layout writes its values in runs of bodies, and a delta is a
    function of a prim's values alone, so runs with the same attributes are evaluated as one array."""
    groups: dict[tuple, list[Columns]] = defaultdict(list)
    for c in columns:
        if all(a.startswith("xformOp:") for a in c.attrs):
            groups[c.attrs, c.type_names].append(c)
    return [g[0] if len(g) == 1 else
            Columns(tuple(p for c in g for p in c.paths), attrs, types,
                    tuple(np.concatenate([c.values[j] for c in g]) for j in range(len(attrs))))
            for (attrs, types), g in groups.items()]


class PoseTable:
    """Per set: the op stacks of the prims variants move, and `deltas` of one variant's authored values."""

    def __init__(self, under: dict[str, list[int]], xforms_of: Callable[[list[str]], dict]) -> None:
        self.under = under  # source prim -> the shapes below it (prims without shapes are not layout's)
        self.xforms_of = xforms_of  # paths -> {path: Xf} (the scene's cached reader)
        self._row: dict[tuple, tuple[int, int] | list[Finding]] = {}  # (prim, attrs, order) -> (stack, row)|why not
        self._stacks: list[_Stack] = []
        self._stack_of: dict[tuple, int] = {}
        self._anc: dict[str, tuple[str, ...]] = {}
        # a prim's stack and row depend on the attributes it authors, not on their values: kept per attributes, so
        # a variant's Columns (the same bodies in another order) are looked up in one pass
        self._codes: dict[tuple, dict[str, int]] = {}  # attrs -> {prim: stack id << 32 | row, or -1: no shapes}

    def _rows(self, keys: list[tuple], values_of: Callable[[int], dict], findings: list[Finding]
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(stack id, row, position in `keys`) of every key that can be evaluated; new keys are registered."""
        hits = list(map(self._row.get, keys))
        new = [k for k, h in enumerate(hits) if h is None]
        if new:
            xfs = self.xforms_of(sorted({keys[k][0] for k in new}))
            for k in new:
                prim = keys[k][0]
                why: list[Finding] = []
                spec = op_stack(prim, xfs[prim], values_of(k), why)
                if spec is None:
                    hits[k] = self._row[keys[k]] = why
                    continue
                sid = self._stack_of.get(spec)
                if sid is None:
                    sid = self._stack_of[spec] = len(self._stacks)
                    self._stacks.append(_Stack(spec))
                hits[k] = self._row[keys[k]] = (sid, self._stacks[sid].add(xfs[prim]))
        good = []
        for k, h in enumerate(hits):
            if type(h) is list:
                findings += h
            else:
                good.append(k)
        if not good:
            return np.zeros(0, dtype=int), np.zeros(0, dtype=int), np.zeros(0, dtype=int)
        sid, row = np.array([hits[k] for k in good]).T
        return sid, row, np.array(good)

    def _parts(self, prims: list[str], sid: np.ndarray, row: np.ndarray, pos: np.ndarray,
               values: Callable[[str, np.ndarray], object], out: list) -> None:
        """One part (prims, local, parent, inverse source world, resets) per op stack among the rows."""
        for s in np.unique(sid).tolist():
            sel = np.flatnonzero(sid == s)
            stack, rows, at = self._stacks[s], row[sel], pos[sel]
            world_inv, parent = stack.arrays()[:2]
            local = stack.local(rows, lambda attr, at=at: values(attr, at))
            out.append(([prims[k] for k in at.tolist()], local, parent[rows], world_inv[rows],
                        np.full(len(rows), stack.reset)))

    def deltas(self, authored) -> tuple[dict[str, np.ndarray], set[str], list[Finding]]:
        """(prim -> world delta of every source prim the layer moves, prims it deactivates, findings).
        `authored`: {key: value} as the layer authors it, or a write.layer.Authored (Columns taken whole)."""
        plain = authored.plain if isinstance(authored, Authored) else authored
        by_prim: dict[str, dict] = defaultdict(dict)
        removed: set[str] = set()
        for key, value in plain.items():
            prim, _, attr = key.partition(".")
            if attr == "active" and value is False:
                removed.add(prim)
            elif attr == "xformOpOrder" or attr.startswith("xformOp:"):
                by_prim[prim][attr] = value
        findings: list[Finding] = []
        parts: list[tuple] = []
        moved = [p for p in by_prim if p in self.under]  # prims the events add are not layout's
        if moved:
            vals = [by_prim[p] for p in moved]
            keys = [(p, tuple(v), tuple(v["xformOpOrder"]) if isinstance(v.get("xformOpOrder"), list) else None)
                    for p, v in zip(moved, vals, strict=True)]
            timed = [k for k, v in enumerate(vals) if any(isinstance(x, dict) for x in v.values())]
            for k in timed:  # never cached: the finding names this variant's values
                op_stack(moved[k], None, vals[k], findings)
            keep = sorted(set(range(len(moved))) - set(timed))
            sid, row, pos = self._rows([keys[k] for k in keep], lambda k: vals[keep[k]], findings)
            at_plain = np.array(keep, dtype=int)[pos] if len(pos) else pos
            self._parts(moved, sid, row, at_plain, lambda attr, at: [vals[k][attr] for k in at.tolist()], parts)
        for c in _merged(authored.columns if isinstance(authored, Authored) else ()):
            sid, row, at_col = self._column_rows(c, findings)
            self._parts(list(c.paths), sid, row, at_col,
                        lambda attr, at, c=c: c.values[c.attrs.index(attr)][at], parts)
        return self._world_deltas(parts, findings), removed, findings

    def _column_rows(self, c: Columns, findings: list[Finding]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(stack id, row, position in the Columns) of its prims with shapes; findings for those that cannot be
        evaluated (registered once, reported every time)."""
        codes = self._codes.setdefault(c.attrs, {})
        new = [k for k, p in enumerate(c.paths) if p not in codes]
        if new:
            inside = [k for k in new if c.paths[k] in self.under]
            for k in new:
                codes[c.paths[k]] = -1
            probe = dict.fromkeys(c.attrs, 0.0)
            sid, row, pos = self._rows([(c.paths[k], c.attrs, None) for k in inside], lambda k: probe, [])
            for k in range(len(inside)):
                codes[c.paths[inside[k]]] = -2  # cannot be evaluated: its findings are in _row
            for s, r, k in zip(sid.tolist(), row.tolist(), pos.tolist(), strict=True):
                codes[c.paths[inside[k]]] = s << 32 | r
        got = np.fromiter(map(codes.__getitem__, c.paths), dtype=np.int64, count=len(c.paths))
        for k in np.flatnonzero(got == -2).tolist():
            findings += self._row[c.paths[k], c.attrs, None]
        at = np.flatnonzero(got >= 0)
        return got[at] >> 32, got[at] & 0xFFFFFFFF, at

    def _world_deltas(self, parts: list[tuple], findings: list[Finding]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        if not parts:
            return out
        names = [p for part in parts for p in part[0]]
        if len(set(names)) != len(names):  # a Columns and a plain value on one prim: never written so, not guessed
            seen: set[str] = set()
            for p in sorted({p for p in names if p in seen or seen.add(p)}):
                findings.append(layout_finding(p, "authors its xform ops in two places; verify cannot tell its pose"))
            return out
        local, parent, src_inv = (np.concatenate([part[i] for part in parts]) for i in (1, 2, 3))
        resets = np.concatenate([part[4] for part in parts])
        d = src_inv @ (local @ parent)
        for k, anc in self._nested(names, resets):  # a moved parent moves its child
            if anc in out:
                d[k] = src_inv[k] @ (local[k] @ parent[k] @ out[anc])
            out[names[k]] = d[k]
        r = d[:, :3, :3]
        rigid = np.all(np.abs(r @ np.swapaxes(r, 1, 2) - np.eye(3)) <= 1e-6, axis=(1, 2)) & (np.linalg.det(r) > 0)
        out.update(zip(names, d, strict=True))
        for k in np.flatnonzero(~rigid).tolist():
            out.pop(names[k], None)
            findings.append(layout_finding(names[k], "is moved non-rigidly (scaled or sheared); layout only moves and "
                                                     "turns"))
        return out

    def _ancestors(self, p: str) -> tuple[str, ...]:
        hit = self._anc.get(p)
        if hit is None:
            a, out = parent_path(p), []
            while a:
                out.append(a)
                a = parent_path(a)
            hit = self._anc[p] = tuple(out)
        return hit

    def _nested(self, names: list[str], resets: np.ndarray) -> list[tuple[int, str]]:
        """(row, nearest moved ancestor) of every moved prim under another moved prim (and not resetting the
        xform stack), shallow first. Usually none: one set intersection says so."""
        moving = set(names)
        ancestors = list(map(self._ancestors, names))
        if moving.isdisjoint(set().union(*ancestors)):
            return []
        out = []
        for k, anc in enumerate(ancestors):
            a = next((x for x in anc if x in moving), "")
            if a and not resets[k]:
                out.append((k, a))
        out.sort(key=lambda ka: names[ka[0]].count("/"))
        return out
