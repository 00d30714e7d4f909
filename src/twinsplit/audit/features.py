"""The comparable features of one stage: a fixed vector per feature key, so stages with different prims can
still be compared on the keys they share (compare.py).

- `material:<path>`: the physics material values the physics randomizer varies (randomizers/physics.ATTRS)
- `light:<path>`: intensity, exposure, colour temperature, colour (3), visible (randomizers/lighting.ATTRS)
- `body:<path>`: a rigid body's world position in metres (3) and orientation (quaternion i, j, k, real >= 0)
- `label:<label>`: the bodies with that semantic label, their centroid in metres (3) and RMS distance from it
  (bodies matched by label, for stages whose prim paths differ)
- `samples:<path>.<attr>`: a time-sampled numeric attribute (events): count, first and last time, first, last
  and mean value

Every value is read at the pose time (scene/time.py), composed.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import numpy as np
from pxr import Usd, UsdGeom

from ..randomizers.lighting import ATTRS as LIGHT_ATTRS
from ..randomizers.physics import ATTRS as MATERIAL_ATTRS
from ..scene.discover import plain

MATERIAL = tuple(MATERIAL_ATTRS.values())
LIGHT = tuple(LIGHT_ATTRS.values())
MAX_SAMPLED_COMPONENTS = 16  # a time-sampled array (points) is content for the hash, not a feature


def _numbers(value: Any) -> list[float] | None:
    if value is None:
        return None
    if isinstance(value, str):  # visibility: a token
        return [0.0 if value == "invisible" else 1.0]
    try:
        arr = np.asarray(plain(value), dtype=np.float64).ravel()
    except (TypeError, ValueError):
        return None
    return arr.tolist()


class Features:
    """Collects one stage's feature vectors while extract.py traverses it."""

    def __init__(self, stage: Usd.Stage, time: Usd.TimeCode) -> None:
        self.time = time
        self.mpu = UsdGeom.GetStageMetersPerUnit(stage) or 1.0
        self.xforms = UsdGeom.XformCache(time)
        self.keys: list[str] = []
        self.values: list[list[float]] = []
        self._labels: dict[str, list[tuple[float, float, float]]] = defaultdict(list)

    def _add(self, key: str, values: list[float]) -> None:
        if all(map(math.isfinite, values)):  # a non-finite value is left uncompared rather than poisoning the tree
            self.keys.append(key)
            self.values.append(values)

    def _values_of(self, prim: Usd.Prim, names: tuple[str, ...]) -> list[float] | None:
        out: list[float] = []
        for name in names:
            attr = prim.GetAttribute(name)
            nums = _numbers(attr.Get(self.time)) if attr else None
            if nums is None:
                return None
            out += nums
        return out

    def material(self, prim: Usd.Prim) -> None:
        if (v := self._values_of(prim, MATERIAL)) is not None:
            self._add(f"material:{prim.GetPath()}", v)

    def light(self, prim: Usd.Prim) -> None:
        if (v := self._values_of(prim, LIGHT)) is not None:
            self._add(f"light:{prim.GetPath()}", v)

    def body(self, prim: Usd.Prim, labels: tuple[str, ...]) -> None:
        m = self.xforms.GetLocalToWorldTransform(prim)
        x, y, z = (m.ExtractTranslation() * self.mpu)[:]  # one slice: indexing a Gf vector is a call per item
        q = m.RemoveScaleShear().ExtractRotationQuat()  # RemoveScaleShear returns a new matrix
        i, j, k = q.GetImaginary()[:]
        if q.GetReal() < 0:  # q and -q are one orientation
            i, j, k = -i, -j, -k
        self._add(f"body:{prim.GetPath()}", [x, y, z, i, j, k])
        for label in labels:
            self._labels[label].append((x, y, z))

    def samples(self, prim: Usd.Prim, name: str, samples: list[tuple[float, Any]]) -> None:
        rows = [_numbers(v) for _, v in samples]
        if not rows or any(r is None for r in rows) or len({len(r) for r in rows}) != 1 \
                or len(rows[0]) > MAX_SAMPLED_COMPONENTS:
            return
        arr = np.asarray(rows)
        head = [float(len(samples)), samples[0][0], samples[-1][0]]
        self._add(f"samples:{prim.GetPath()}.{name}", head + arr[0].tolist() + arr[-1].tolist()
                  + arr.mean(axis=0).tolist())

    def done(self) -> tuple[tuple[tuple[str, int], ...], np.ndarray]:
        """((key, dimension) per key in order, all vectors concatenated)."""
        for label, points in sorted(self._labels.items()):
            p = np.asarray(points)
            c = p.mean(axis=0)
            self._add(f"label:{label}", c.tolist() + [float(np.sqrt(((p - c) ** 2).sum(axis=1).mean()))])
        layout = tuple((k, len(v)) for k, v in zip(self.keys, self.values, strict=True))
        flat = np.fromiter((x for v in self.values for x in v), dtype=np.float64)
        return layout, flat
