"""How a person moves along a polyline: speed up at a constant acceleration, walk, slow down to stop at the end;
the result is time samples whose straight-line interpolation stays on the polyline (every corner is a sample)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


def arclength(points: np.ndarray) -> np.ndarray:
    return np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(points, axis=0), axis=1))])


def along(points: np.ndarray, s_of: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Points at arclengths `s` of the polyline."""
    return np.stack([np.interp(s, s_of, points[:, k]) for k in range(points.shape[1])], axis=1)


def leg_profile(length: float, v0: float, v: float, a: float) -> tuple[float, callable]:
    """(duration, s(t)) of a leg of `length` starting at speed v0, cruising at v, stopping at its end."""
    v0 = min(v0, v)
    d1, d2 = (v * v - v0 * v0) / (2 * a), v * v / (2 * a)
    vp = v
    if d1 + d2 > length:  # too short to reach v: a triangle
        vp = float(np.sqrt(max((2 * a * length + v0 * v0) / 2, v0 * v0)))
        d1, d2 = (vp * vp - v0 * v0) / (2 * a), vp * vp / (2 * a)
    t1, t3 = (vp - v0) / a, vp / a
    t2 = max(length - d1 - d2, 0.0) / vp if vp > 0 else 0.0

    def s(t: np.ndarray) -> np.ndarray:
        t = np.clip(np.asarray(t, dtype=float), 0.0, t1 + t2 + t3)
        up = v0 * np.minimum(t, t1) + a * np.minimum(t, t1) ** 2 / 2
        cruise = vp * np.clip(t - t1, 0.0, t2)
        tau = np.clip(t - t1 - t2, 0.0, t3)
        return np.minimum(up + cruise + vp * tau - a * tau * tau / 2, length)

    return t1 + t2 + t3, s


@dataclass
class Track:
    """A person's time samples (seconds, world points) and the corners they pass, in order."""

    times: list[float] = field(default_factory=list)
    points: list[np.ndarray] = field(default_factory=list)
    corners: list[np.ndarray] = field(default_factory=list)
    corner_times: list[float] = field(default_factory=list)

    def walk(self, poly: np.ndarray, t0: float, v0: float, v: float, a: float, every: float) -> None:
        """Append a leg along `poly` from time t0 (samples every `every` s and at every corner)."""
        s_of = arclength(poly)
        duration, s = leg_profile(float(s_of[-1]), v0, v, a)
        dense = np.linspace(0.0, duration, max(int(np.ceil(duration / 0.01)), 2) + 1)
        t_of = np.interp(s_of, s(dense), dense)  # the time at each corner (s(t) is monotone)
        ts = np.unique(np.concatenate([np.arange(0.0, duration, every), t_of, [duration]]))
        pts = along(poly, s_of, s(ts))
        pts[np.searchsorted(ts, t_of)] = poly  # corners exactly
        self._extend(t0 + ts, pts)
        first = 1 if self.corners else 0
        self.corners += list(poly[first:])
        self.corner_times += [float(t0 + t) for t in t_of[first:]]

    def wait(self, until: float) -> None:
        if until > self.times[-1] + 1e-9:
            self._extend(np.array([until]), np.array([self.points[-1]]))

    def _extend(self, ts: np.ndarray, pts: np.ndarray) -> None:
        keep = ts > (self.times[-1] + 1e-6 if self.times else -np.inf)
        self.times += [float(t) for t in ts[keep]]
        self.points += [p for p in pts[keep]]

    def cut(self, t: float) -> None:
        """Keep the samples before t and the point at t (where a reaction starts)."""
        p = self.at(np.array([t]))[0]
        k = int(np.searchsorted(self.times, t, side="left"))
        self.times, self.points = self.times[:k] + [float(t)], self.points[:k] + [p]
        # the corners passed before t, then where the reaction starts: the way not taken is no corner
        c = int(np.searchsorted(self.corner_times, t, side="left"))
        self.corners, self.corner_times = self.corners[:c] + [p], self.corner_times[:c] + [float(t)]

    def at(self, ts: np.ndarray) -> np.ndarray:
        tt, pp = np.asarray(self.times), np.asarray(self.points)
        return np.stack([np.interp(ts, tt, pp[:, k]) for k in range(3)], axis=1)

    def speed_at(self, t: float) -> float:
        p = self.at(np.array([max(t - 0.1, self.times[0]), t]))
        return float(np.linalg.norm(p[1] - p[0]) / 0.1)

    def remaining(self, t: float) -> np.ndarray:
        """The polyline still ahead at t: the point at t and every later sample (corners included)."""
        tt = np.asarray(self.times)
        rest = [self.at(np.array([t]))[0]] + [p for ti, p in zip(tt, self.points, strict=True) if ti > t + 1e-9]
        out = [rest[0]]
        for p in rest[1:]:
            if np.linalg.norm(p - out[-1]) > 1e-9:
                out.append(p)
        return np.asarray(out)
