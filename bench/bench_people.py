"""Planning time per variant for people (`person_enters_corridor` with 20 slots, goals in rooms/bays, roles, the
alarm in both splits) on the hospital corridor and the fab: process CPU time of `events.person.plan_people` per
train variant (grid, obstacle masks, Dijkstra fields, walks with reactions and crowd checks), best of the
variants' median over `--repeat` runs. `--profile` prints cProfile's top entries for one scene instead.

    .venv/bin/python bench/bench_people.py [--variants 10] [--repeat 1] [--profile hospital_corridor]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import time
from pathlib import Path

import yaml

from twinsplit.config import parse_config
from twinsplit.events import person
from twinsplit.plan.draw import make_plan
from twinsplit.plan.seen import variant_view
from twinsplit.scene.discover import load

REPO = Path(__file__).resolve().parents[1]
SCENES = {"hospital_corridor": ("corridor", "room"), "cleanroom_fab": ("aisle", "bay")}


def _plan(name: str, n: int):
    src = REPO / "sample_scenes" / name
    cfg = yaml.safe_load((src / "twin.yaml").read_text())
    region, goal = SCENES[name]
    cfg["seeds"] = {"train": 1, "holdout": 2}
    cfg["events"]["person_enters_corridor"] = {"region": region, "count": 20, "goal": goal, "window": [0, 20],
                                               "roles": {"staff": {}, "visitor": {}, "patient": {}}}
    cfg["events"].get("alarm_reroute", {}).pop("holdout_only", None)
    _, scene = load(src / f"{name}.usda")
    return make_plan(scene, parse_config(cfg, "bench"), n, None, {"train": 1, "holdout": 2})


def _person_block(plan):
    return next(b for b in plan.blocks if b.entry.name == person.NAME)


def time_variants(plan) -> tuple[list[float], list[int]]:
    b = _person_block(plan)
    start = sum(len(x.params) for x in plan.blocks[:plan.blocks.index(b)])
    secs, walking = [], []
    for i in range(len(plan.splits["train"].draws)):
        person._PLANS.clear()
        row = plan.splits["train"].draws[i][start:start + len(b.params)]
        view = variant_view(plan, "train", i)
        t = time.process_time()
        _, walks, _ = person.plan_people(plan.scene, b.cfg, list(b.params), row, view)
        secs.append(time.process_time() - t)
        walking.append(sum(w.track is not None for w in walks))
    return secs, walking


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--variants", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--profile", choices=list(SCENES))
    args = ap.parse_args()
    if args.profile:
        plan = _plan(args.profile, args.variants)
        prof = cProfile.Profile()
        prof.enable()
        time_variants(plan)
        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(30)
        return
    for name in SCENES:
        plan = _plan(name, args.variants)
        best = None
        for _ in range(args.repeat):
            secs, walking = time_variants(plan)
            if best is None or statistics.median(secs) < statistics.median(best[0]):
                best = (secs, walking)
        secs, walking = best
        print(f"{name}: median {statistics.median(secs):.3f} s, max {max(secs):.3f} s per variant (CPU), "
              f"people walking {min(walking)}-{max(walking)} of 20")


if __name__ == "__main__":
    main()
