"""World-space collision shapes and exact overlap tests (see shape/narrow/broad/usd modules)."""

from .broad import DEFAULT_TOLERANCE, Overlap, OverlapIndex, find_overlaps, intersects_box, within_bounds
from .narrow import penetration_depth, segment_distance
from .shape import CYLINDER_SEGMENTS, Shape, box, convex, triangles

__all__ = [
    "CYLINDER_SEGMENTS", "DEFAULT_TOLERANCE", "PLANE_HALF_SIZE", "Overlap", "OverlapIndex", "Shape",
    "box", "convex", "find_overlaps", "intersects_box", "penetration_depth", "segment_distance",
    "shape_from_prim", "shapes_from_stage", "triangles", "within_bounds",
]
