"""The report's figures: matplotlib (Agg canvas, no pyplot state) -> PNG bytes, byte-identical for the same data.

Every function takes plain numpy arrays and returns PNG bytes; nothing here reads files or knows the manifest.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

DPI = 100
WIDTH_IN = 12.0  # every figure is 1200 px wide
COLORS = {"train": "#1f77b4", "holdout": "#d62728"}
REGION_COLOR = "#ff7f0e"
# Fixed style, independent of the user's matplotlibrc.
RC = {
    "font.family": "DejaVu Sans", "font.size": 8, "axes.titlesize": 8, "axes.labelsize": 8,
    "xtick.labelsize": 7, "ytick.labelsize": 7, "legend.fontsize": 8, "axes.grid": False,
    "figure.facecolor": "white", "axes.facecolor": "white", "savefig.facecolor": "white",
    "path.simplify": True, "agg.path.chunksize": 0,
}


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def _figure(height_in: float, width_in: float = WIDTH_IN, layout: str | None = "constrained") -> Figure:
    return Figure(figsize=(width_in, height_in), dpi=DPI, layout=layout)


@dataclass(frozen=True)
class HistPanel:
    label: str
    train: np.ndarray  # normalized values, NaN-free (empty when the split never draws it)
    holdout: np.ndarray | None  # None: holdout sealed
    title_stats: str


def histograms(panels: Sequence[HistPanel], cols: int = 4, bins: int = 20) -> bytes:
    """One small multiple per parameter over the normalized [0, 1] axis; train and holdout as densities."""
    rows = max(1, math.ceil(len(panels) / cols))
    edges = np.linspace(0.0, 1.0, bins + 1)
    with rc_context(RC):
        height = 0.9 + 1.9 * rows
        fig = _figure(height, layout=None)  # fixed margins: constrained layout costs ~1 s for 24 axes
        fig.subplots_adjust(left=0.02, right=0.98, bottom=0.55 / height, top=1 - 0.42 / height,
                            wspace=0.08, hspace=0.62)
        axes = fig.subplots(rows, cols, squeeze=False)
        for k, ax in enumerate(axes.flat):
            if k >= len(panels):
                ax.set_axis_off()
                continue
            p = panels[k]
            for split, values in (("train", p.train), ("holdout", p.holdout)):
                if values is not None and len(values):
                    ax.hist(np.clip(values, 0, 1), bins=edges, density=True, alpha=0.55, color=COLORS[split],
                            label=f"{split} ({len(values)})", histtype="stepfilled", edgecolor=COLORS[split])
            ax.set_xlim(0, 1)
            ax.set_xticks([0, 0.25, 0.5, 0.75, 1], ["0", "", "0.5", "", "1"])
            ax.set_yticks([])
            _fit_title(ax, p.label, p.title_stats)
            if k == 0:
                ax.legend(loc="upper right", frameon=False)
        fig.text(0.5, 0.12 / height, "value normalized to [0, 1] by the parameter's range (envelope of both splits)",
                 ha="center", va="bottom")
        return _png(fig)


def _fit_title(ax, label: str, stats: str) -> None:
    """`label` above `stats`, the label elided in the middle ("…") until the title fits the panel's width."""
    renderer = FigureCanvasAgg(ax.figure).get_renderer()
    width = ax.get_window_extent(renderer).width
    title, keep = ax.set_title(f"{label}\n{stats}", loc="left"), len(label)
    while title.get_window_extent(renderer).width > width and keep > 12:
        keep -= max(1, keep // 10)
        head = keep // 3
        title.set_text(f"{label[:head]}…{label[len(label) - (keep - head - 1):]}\n{stats}")


def pca(points: np.ndarray, comps: int = 2) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mean, loadings (d x comps), explained variance ratio) via SVD of the centred rows.

    Sign convention (deterministic): each component's largest-magnitude loading is positive (first one on ties).
    Fewer than `comps` non-trivial directions (d < comps or too few rows): padded with zero columns.
    """
    x = np.asarray(points, dtype=np.float64)
    n, d = x.shape
    mean = x.mean(axis=0) if n else np.zeros(d)
    load = np.zeros((d, comps))
    ratio = np.zeros(comps)
    if n >= 2 and d >= 1:
        _, s, vt = np.linalg.svd(x - mean, full_matrices=False)
        k = min(comps, len(s))
        for j in range(k):
            v = vt[j]
            if v[int(np.argmax(np.abs(v)))] < 0:
                v = -v
            load[:, j] = v
        total = float(np.sum(s**2))
        if total > 0:
            ratio[:k] = s[:k] ** 2 / total
    return mean, load, ratio


def box_projection(low: np.ndarray, high: np.ndarray, mean: np.ndarray, load: np.ndarray) -> np.ndarray:
    """The vertices of the 2-D projection of the box [low, high] ⊂ R^d, exactly, without enumerating 2^d corners.

    The projection of a box is a zonogon; its vertex in direction u is the corner taking `high` where the
    projected axis P_j·u > 0 and `low` elsewhere. The corner choice changes only where u is perpendicular to
    some P_j, so one direction strictly inside every arc between those 2d critical angles finds every vertex.
    """
    g = load[:, :2]
    crit = []
    for j in range(len(g)):
        if np.hypot(*g[j]) > 1e-12:
            a = math.atan2(g[j, 1], g[j, 0])
            crit += [(a + math.pi / 2) % (2 * math.pi), (a - math.pi / 2) % (2 * math.pi)]
    crit = sorted(set(round(c, 12) for c in crit)) or [0.0]
    nxt = crit[1:] + [crit[0] + 2 * math.pi]
    mids = [(a + b) / 2 for a, b in zip(crit, nxt, strict=True)]
    corners = []
    for t in mids:
        w = g @ np.array([math.cos(t), math.sin(t)])
        corners.append(np.where(w > 0, high, low))
    return (np.array(corners) - mean) @ g


@dataclass(frozen=True)
class Region2D:
    name: str
    vertices: np.ndarray  # (k, 2) projected points


def projection(train: np.ndarray, holdout: np.ndarray | None, regions: Sequence[Region2D],
               ratio: np.ndarray, note: str) -> bytes:
    from scipy.spatial import ConvexHull, QhullError

    with rc_context(RC):
        fig = _figure(5.5, 9.0)
        ax = fig.subplots()
        for r in regions:
            v = r.vertices
            try:
                hull = ConvexHull(v)
                poly = v[hull.vertices]
                ax.fill(poly[:, 0], poly[:, 1], color=REGION_COLOR, alpha=0.18, lw=1, ec=REGION_COLOR,
                        label=f"holdout-only region {r.name}")
            except (QhullError, ValueError):  # degenerate (a segment or a point): draw its extent
                order = np.lexsort((v[:, 1], v[:, 0]))
                ax.plot(v[order[[0, -1]], 0], v[order[[0, -1]], 1], color=REGION_COLOR, lw=3, alpha=0.5,
                        label=f"holdout-only region {r.name}")
        ax.scatter(train[:, 0], train[:, 1], s=14, color=COLORS["train"], alpha=0.8, label=f"train ({len(train)})")
        if holdout is not None:
            ax.scatter(holdout[:, 0], holdout[:, 1], s=22, marker="^", color=COLORS["holdout"], alpha=0.9,
                       label=f"holdout ({len(holdout)})")
        ax.set_xlabel(f"PC1 ({ratio[0]:.0%} of variance)")
        ax.set_ylabel(f"PC2 ({ratio[1]:.0%} of variance)")
        ax.set_aspect("equal", adjustable="datalim")
        ax.legend(loc="best", frameon=True)
        ax.set_title(note, loc="left")
        return _png(fig)


def nearest(distances: np.ndarray, margin: float, metric: str) -> bytes:
    with rc_context(RC):
        fig = _figure(3.2)
        ax = fig.subplots()
        hi = max(float(np.max(distances)) if len(distances) else 0.0, margin) * 1.08 or 1.0
        ax.hist(distances, bins=np.linspace(0.0, hi, 31), color=COLORS["holdout"], alpha=0.7,
                label=f"holdout variants ({len(distances)})")
        ax.axvline(margin, color="black", ls="--", lw=1.2, label=f"min_margin {margin:g}")
        ax.set_xlim(0, hi)
        ax.set_xlabel(f"{metric} distance to the nearest train variant (normalized parameter space)")
        ax.set_ylabel("holdout variants")
        ax.legend(loc="upper left", frameon=False)
        return _png(fig)


@dataclass(frozen=True)
class EventBar:
    row: int
    kind: str
    start: float
    end: float


@dataclass(frozen=True)
class EventMark:
    """A person's reaction (the manifest's `reactions`): when, and what it did."""

    row: int
    at: float
    what: str


@dataclass(frozen=True)
class EventLane:
    split: str
    labels: list[str]  # one per row (variant id)
    bars: list[EventBar]
    note: str = ""  # e.g. "holdout sealed" (drawn instead of bars)
    marks: Sequence[EventMark] = ()


REACTION_MARKERS = {"reroute": ">", "reroute to another exit": "D", "leave": "^", "go around": "o", "wait": "s",
                    "stop": "X", "stay away": "."}


def timeline(lanes: Sequence[EventLane], kinds: Sequence[str]) -> bytes:
    import matplotlib
    from matplotlib.lines import Line2D

    cmap = matplotlib.colormaps["tab10"]
    color = {k: cmap(i % 10) for i, k in enumerate(kinds)}
    def lanes_per_row(lane: EventLane) -> int:
        rows = [b.row for b in lane.bars]
        return max((rows.count(r) for r in set(rows)), default=1)

    heights = [max(1.2, 0.16 * min(3, lanes_per_row(lane)) * len(lane.labels) + 0.6) for lane in lanes]
    with rc_context(RC):
        fig = _figure(sum(heights) + 0.6)
        axes = fig.subplots(len(lanes), 1, squeeze=False, height_ratios=heights, sharex=True)[:, 0]
        for ax, lane in zip(axes, lanes, strict=True):
            ax.set_title(lane.split, loc="left")
            if lane.note:
                ax.text(0.5, 0.5, lane.note, ha="center", va="center", transform=ax.transAxes)
                ax.set_yticks([])
                continue
            per_row: dict[int, int] = {}
            for b in lane.bars:
                per_row[b.row] = per_row.get(b.row, 0) + 1
            slot: dict[int, int] = {}
            for b in lane.bars:  # a variant's events share its row, one thin lane each
                n, k = per_row[b.row], slot.get(b.row, 0)
                slot[b.row] = k + 1
                h = 0.8 / n
                ax.barh(b.row - 0.4 + (k + 0.5) * h, max(b.end - b.start, 1e-3), left=b.start, height=h * 0.9,
                        color=color[b.kind])
            for what in sorted({m.what for m in lane.marks}):  # reactions on their variant's row
                ms = [m for m in lane.marks if m.what == what]
                ax.scatter([m.at for m in ms], [m.row for m in ms], s=16, marker=REACTION_MARKERS.get(what, "*"),
                           facecolors="black", edgecolors="white", linewidths=0.4, zorder=3)
            ax.set_yticks(range(len(lane.labels)), lane.labels, fontsize=6)
            ax.set_yticks(np.arange(len(lane.labels) + 1) - 0.5, minor=True)
            ax.tick_params(axis="y", which="minor", length=0)
            ax.grid(axis="y", which="minor", color="#dddddd", lw=0.6)
            ax.set_axisbelow(True)
            ax.set_ylim(len(lane.labels) - 0.5, -0.5)
        axes[-1].set_xlabel("time (s)")
        handles = [matplotlib.patches.Patch(color=color[k], label=k) for k in kinds]
        seen = sorted({m.what for lane in lanes for m in lane.marks})
        handles += [Line2D([], [], ls="none", marker=REACTION_MARKERS.get(w, "*"), color="black",
                                            label=f"reaction: {w}") for w in seen]
        if handles:
            fig.legend(handles=handles, loc="outside upper right", ncols=min(6, len(handles)), frameon=False)
        return _png(fig)
