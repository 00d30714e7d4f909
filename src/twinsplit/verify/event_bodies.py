"""A variant layer's event bodies and people, read from the values it authors (no stage composed).

Every event kind writes its bodies under the events scope as a `Cube`, `Capsule` or `Sphere` with world-space
xform ops (`!resetXformStack!` first), a time-sampled `xformOp:translate` and a held `physics:collisionEnabled`.
This module evaluates those values as USD does (translate interpolated linearly between samples and held beyond
them, the bool held from the sample at or before a time; a prim's fallbacks where nothing is authored) into
world-space `Shape`s at a time. A spec it cannot evaluate (an op it does not know, a time-sampled op other than a
translate, a body not in world coordinates, another collider type under the events scope, a scale that is not
along the shape's axes) is a finding, never silently passed. Each Cube, Capsule or Sphere under the scope is taken
as a collider: every event kind applies CollisionAPI to them, and the schemas are `rederive`'s to compare.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from ..events.common import KIND_ATTR
from ..geometry import Shape, box, convex
from ..geometry.xform_ops import op_matrix, op_type_of
from ..scene.colliders import frame

_RESET = "!resetXformStack!"
BODY_TYPES = ("Cube", "Capsule", "Sphere")
OTHER_COLLIDERS = ("Cylinder", "Cone", "Plane", "Mesh")  # colliders in USD, never an event body: refused
_CORNERS = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], dtype=float)


def _samples(value) -> tuple[np.ndarray, list] | None:
    """(times, values) of a time-sampled record entry, sorted by time; None when it has no samples."""
    if isinstance(value, dict) and value.get("timeSamples"):
        pairs = sorted(value["timeSamples"], key=lambda p: p[0])
        return np.array([float(t) for t, _ in pairs]), [v for _, v in pairs]
    return None


def _default(value):
    return value.get("default") if isinstance(value, dict) else value


def held(value, t: float, fallback):
    """A held (bool, token) value at time t: the sample at or before t (the first before any), else the default."""
    s = _samples(value)
    if s is None:
        v = _default(value)
        return fallback if v is None else v
    times, values = s
    return values[max(int(np.searchsorted(times, t, side="right")) - 1, 0)]


def linear(samples: tuple[np.ndarray, list], t: float) -> np.ndarray:
    """A vector's value at time t as USD interpolates it: linear between samples, held beyond them."""
    times, values = samples
    i = int(np.searchsorted(times, t, side="right")) - 1
    if i < 0:
        return np.asarray(values[0], dtype=float)
    if i >= len(times) - 1 or times[i] == t:
        return np.asarray(values[i], dtype=float)
    a, b = np.asarray(values[i], dtype=float), np.asarray(values[i + 1], dtype=float)
    alpha = (t - times[i]) / (times[i + 1] - times[i])
    return (1.0 - alpha) * a + alpha * b


@dataclass
class Body:
    """One event body: its ops (op type, inverse, static matrix or translate samples) and geometry."""

    path: str
    type_name: str
    kind: str | None  # the event kind's tag (KIND_ATTR)
    attrs: dict
    ops: list  # (op type, inverse, matrix or None, samples or None), in xformOpOrder

    def on(self, t: float) -> bool:
        return bool(held(self.attrs.get("physics:collisionEnabled"), t, True))

    def times(self) -> np.ndarray:
        """The time codes of its time-sampled translate (empty when it has none)."""
        out = [s[0] for *_, s in self.ops if s is not None]
        return np.unique(np.concatenate(out)) if out else np.zeros(0)

    def matrix(self, t: float) -> np.ndarray:
        """World transform at time t (row convention; the body resets the xform stack)."""
        m = np.eye(4)
        for op_type, inverse, static, samples in reversed(self.ops):
            m = m @ (static if samples is None else op_matrix(op_type, linear(samples, t), inverse))
        return m

    def geometry(self, name: str, fallback: float) -> float:
        v = _default(self.attrs.get(name))
        return fallback if v is None else float(v)

    def shape(self, t: float, dynamic: bool = False) -> Shape | None:
        """The collision shape at time t; None when its scale is not along its axes (see `body_findings`)."""
        return shape_of(self, self.matrix(t), dynamic)


def shape_of(body: Body, m: np.ndarray, dynamic: bool) -> Shape | None:
    """`body`'s shape under world transform `m`, as scene.colliders reads the same prim (a box for a Cube whose
    frame has no shear, else its hull; a sphere or capsule only when its scale keeps it round)."""
    a, t, s, ortho, rot = frame(m)  # columns of a: the scaled local axes in world space
    kw = {"body": body.path, "dynamic": dynamic}
    if body.type_name == "Cube":
        half = 0.5 * body.geometry("size", 2.0)
        return box(body.path, t, half * s, rot, **kw) if ortho else convex(body.path, half * _CORNERS @ a.T + t, **kw)
    if body.type_name == "Sphere":
        r = body.geometry("radius", 1.0)
        return Shape(body.path, "sphere", t, rot, radius=r * s[0], **kw) if ortho and np.ptp(s) <= 1e-6 * s.max() \
            else None
    ax = "XYZ".index(str(_default(body.attrs.get("axis")) or "Z"))
    radial = [s[i] for i in range(3) if i != ax]
    if not ortho or abs(radial[0] - radial[1]) > 1e-6 * max(radial):
        return None
    return Shape(body.path, "capsule", t, rot, radius=body.geometry("radius", 0.5) * radial[0],
                 half_height=0.5 * body.geometry("height", 1.0) * s[ax], axis=a[:, ax] / s[ax], **kw)


def _ops(prim: str, attrs: dict, findings: list[tuple[str, str]]) -> list | None:
    order = _default(attrs.get("xformOpOrder"))
    if not order or order[0] != _RESET:
        findings.append((prim, "does not reset the xform stack; event bodies are written in world coordinates"))
        return None
    ops = []
    for name in order[1:]:
        inverse = name.startswith("!invert!")
        attr = name.removeprefix("!invert!")
        op_type, value = op_type_of(attr), attrs.get(attr)
        if op_type is None or name == _RESET:
            findings.append((prim, f"names {name} in xformOpOrder, an op this check cannot evaluate"))
            return None
        samples = _samples(value)
        if samples is not None and op_type != "Translate":
            findings.append((prim, f"time-samples {attr}; only a translate moves an event body"))
            return None
        if samples is None and _default(value) is None:
            findings.append((prim, f"names {name} in xformOpOrder, which has no value"))
            return None
        ops.append((op_type, inverse, None if samples else op_matrix(op_type, _default(value), inverse), samples))
    return ops


def event_bodies(authored, root: str) -> tuple[list[Body], list[tuple[str, str]], dict[str, str | None]]:
    """(the bodies the layer defines under the events scope `root`, sorted by path; (prim, message) for each spec
    there this cannot evaluate; {prim: its event kind tag} of every prim it defines there). `authored`: a values
    record ({key: value}) or a write.layer.Authored."""
    scope = root + "/"
    plain = getattr(authored, "plain", authored)
    specs: dict[str, dict] = defaultdict(dict)
    types: dict[str, str] = {}
    for key, value in plain.items():
        if not key.startswith(scope):
            continue
        prim, _, attr = key.partition(".")
        if attr:
            specs[prim][attr] = value
        elif isinstance(value, dict) and "def" in value:
            types[prim] = value["def"]
    for c in getattr(authored, "columns", ()):  # layout's arrays: never under the scope, read if they are
        for i, prim in enumerate(c.paths):
            if prim.startswith(scope):
                specs[prim].update((a, c.values[j][i].tolist()) for j, a in enumerate(c.attrs))
    bodies, findings = [], []
    kinds = {prim: _default(specs.get(prim, {}).get(KIND_ATTR)) for prim in types}
    for prim in sorted(types):
        type_name = types[prim]
        if type_name in OTHER_COLLIDERS:
            findings.append((prim, f"is a {type_name} under the events scope; event bodies are cubes, capsules "
                                   "and spheres"))
        if type_name not in BODY_TYPES:
            continue
        attrs = specs.get(prim, {})
        timed = [a for a in ("size", "radius", "height", "axis") if _samples(attrs.get(a)) is not None]
        if timed:
            findings.append((prim, f"time-samples {timed[0]}; an event body's shape does not change"))
            continue
        ops = _ops(prim, attrs, findings)
        if ops is None:
            continue
        body = Body(prim, type_name, kinds[prim], attrs, ops)
        times = body.times()
        if body.shape(float(times[0]) if len(times) else 0.0) is None:
            findings.append((prim, "is scaled so that its shape is no longer round; this check cannot evaluate it"))
            continue
        bodies.append(body)
    return bodies, findings, kinds
