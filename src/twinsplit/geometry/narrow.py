"""Exact narrow phase: signed penetration depth of two convex shapes.

Everything is one formula: depth = min over candidate unit axes u of the overlap of the two shapes'
projections on u.  Any unit axis gives an overlap >= the true penetration depth, so extra axes are
always safe; exactness comes from including the axis that realises the minimum:
- polytope–polytope: face normals of both + cross products of edge directions (SAT, 15 axes for boxes);
- polytope–round (sphere/capsule = core point/segment swept by a radius): face normals, edge × segment,
  and the directions between every closest-feature pair (endpoint–vertex, endpoint–edge, vertex–segment),
  which makes the result exact on *both* sides: depth = radius − distance when the cores are apart;
- round–round: closed-form segment–segment distance.
Positive result = penetration depth; zero or negative = touching or apart.
"""

from __future__ import annotations

import numpy as np

from .shape import ROUND, Shape

_EPS = 1e-12


def cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """np.cross of 3-vectors (same arithmetic, broadcasting), without its per-call axis bookkeeping."""
    a0, a1, a2 = a[..., 0], a[..., 1], a[..., 2]
    b0, b1, b2 = b[..., 0], b[..., 1], b[..., 2]
    return np.stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], axis=-1)


def _unit(u: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(u, axis=-1)
    keep = n > _EPS
    return u[keep] / n[keep, None]


def interval(s: Shape, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Projection interval [lo, hi] of shape s on each row of u (unit axes)."""
    if s.kind == "box":
        p, e = u @ s.center, np.abs(u @ s.rotation) @ s.half_extents
    elif s.kind == "sphere":
        p, e = u @ s.center, s.radius
    elif s.kind == "capsule":
        p, e = u @ s.center, s.half_height * np.abs(u @ s.axis) + s.radius
    else:
        proj = u @ s.vertices.T
        return proj.min(1), proj.max(1)
    return p - e, p + e


def _min_overlap(a: Shape, b: Shape, axes: np.ndarray) -> float:
    u = _unit(axes)
    lo_a, hi_a = interval(a, u)
    lo_b, hi_b = interval(b, u)
    return float(np.min(np.minimum(hi_a - lo_b, hi_b - lo_a)))


def _perp(points: np.ndarray, origins: np.ndarray, dirs: np.ndarray) -> np.ndarray:
    """Perpendiculars from points to lines (origin, unit dir) — broadcasting."""
    w = points - origins
    return w - np.sum(w * dirs, axis=-1, keepdims=True) * dirs


def _poly_round_axes(p: Shape, r: Shape) -> np.ndarray:
    v, normals, edges, dirs = p.poly()
    q0, q1 = r.segment()
    s = q1 - q0
    ev = v[edges[:, 1]] - v[edges[:, 0]]
    lens = np.linalg.norm(ev, axis=1)
    keep = lens > _EPS  # zero-length edges of a flat box carry no direction
    e0, ed = v[edges[keep, 0]], ev[keep] / lens[keep, None]
    parts = [normals]
    ends = (q0,) if r.kind == "sphere" or np.linalg.norm(s) <= _EPS else (q0, q1)
    for q in ends:
        parts += [q - v, _perp(q, e0, ed)]
    if len(ends) == 2:
        su = s / np.linalg.norm(s)
        parts += [cross(dirs, su), _perp(v, q0, su)]
    return np.concatenate(parts)


def _poly_poly_axes(a: Shape, b: Shape) -> np.ndarray:
    _, na, _, da = a.poly()
    _, nb, _, db = b.poly()
    return np.concatenate([na, nb, cross(da[:, None, :], db[None, :, :]).reshape(-1, 3)])


def segment_distance(p1: np.ndarray, q1: np.ndarray, p2: np.ndarray, q2: np.ndarray) -> float:
    """Distance between segments [p1,q1] and [p2,q2] (Ericson, Real-Time Collision Detection 5.1.9)."""
    d1, d2, r = q1 - p1, q2 - p2, p1 - p2
    a, e, f = d1 @ d1, d2 @ d2, d2 @ r
    if a <= _EPS and e <= _EPS:
        return float(np.linalg.norm(r))
    if a <= _EPS:
        s, t = 0.0, np.clip(f / e, 0.0, 1.0)
    else:
        c = d1 @ r
        if e <= _EPS:
            s, t = np.clip(-c / a, 0.0, 1.0), 0.0
        else:
            b = d1 @ d2
            denom = a * e - b * b
            s = np.clip((b * f - c * e) / denom, 0.0, 1.0) if denom > _EPS * a * e else 0.0
            t = (b * s + f) / e
            if t < 0.0:
                t, s = 0.0, np.clip(-c / a, 0.0, 1.0)
            elif t > 1.0:
                t, s = 1.0, np.clip((b - c) / a, 0.0, 1.0)
    return float(np.linalg.norm(p1 + d1 * s - (p2 + d2 * t)))


def penetration_depth(a: Shape, b: Shape) -> float:
    """Signed depth: > 0 is the minimum translation that separates a and b; <= 0 means touching/apart
    (for pairs with a sphere/capsule it is exactly minus the gap, otherwise some separating margin)."""
    if a.kind in ROUND and b.kind in ROUND:
        return a.radius + b.radius - segment_distance(*a.segment(), *b.segment())
    if a.kind in ROUND:
        a, b = b, a
    if b.kind in ROUND:
        return _min_overlap(a, b, _poly_round_axes(a, b))
    if a.kind == "box" and b.kind == "box":
        return float(box_box_depth(a.center[None], a.rotation[None], a.half_extents[None],
                                   b.center[None], b.rotation[None], b.half_extents[None])[0])
    return _min_overlap(a, b, _poly_poly_axes(a, b))


def box_box_depth(ca, ra, ha, cb, rb, hb) -> np.ndarray:
    """Vectorised 15-axis SAT for K box pairs: centers (K,3), rotations (K,3,3), half extents (K,3)."""
    ax_a, ax_b = np.swapaxes(ra, 1, 2), np.swapaxes(rb, 1, 2)  # rows = box axes
    cr = cross(ax_a[:, :, None, :], ax_b[:, None, :, :]).reshape(len(ca), 9, 3)
    u = np.concatenate([ax_a, ax_b, cr], axis=1)  # (K,15,3)
    n = np.linalg.norm(u, axis=2)
    valid = n > 1e-9  # parallel edges: their cross axis is covered by face normals
    u = u / np.where(valid, n, 1.0)[..., None]
    dist = np.abs(np.einsum("kmj,kj->km", u, cb - ca))
    rad_a = np.einsum("kmi,ki->km", np.abs(u @ ra), ha)
    rad_b = np.einsum("kmi,ki->km", np.abs(u @ rb), hb)
    overlap = np.where(valid, rad_a + rad_b - dist, np.inf)
    return overlap.min(axis=1)
