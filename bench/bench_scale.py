"""Benchmark: generate and verify at scale on the 5,000-body bench stage with `twinsplit init`'s starter config.

    python bench/bench_scale.py [--bodies 5000] [--variants 100] [--workers 1,2] [--ray] [--verify/--no-verify]

Each run is one `twinsplit` subprocess: wall time, CPU seconds (user + system of it and its workers) and peak
memory (the largest sum of the RSS of the process and its descendants, sampled every 0.1 s). `--ray` adds a run
on a local 2-CPU Ray cluster (`--executor ray --workers 2`; needs twinsplit[ray]).
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import click

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
EXE = str(Path(sys.executable).with_name("twinsplit"))


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    todo += [int(c) for c in fh.read().split()]
        except OSError:
            pass
    return out


def _rss(pid: int) -> int:
    total = 0
    for p in _tree(pid):
        try:
            with open(f"/proc/{p}/statm") as fh:
                total += int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except OSError:
            pass
    return total


def measure(args: list[str]) -> tuple[float, float, float]:
    """(wall s, CPU s, peak MB) of one twinsplit command."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([EXE, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak, done = [0], threading.Event()

    def sample() -> None:
        while not done.wait(0.1):
            peak[0] = max(peak[0], _rss(proc.pid))

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    done.set()
    thread.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"twinsplit {' '.join(args)} failed: {proc.stderr.read().decode()[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime, max(peak[0], usage.ru_maxrss * 1024) / 1e6


@click.command()
@click.option("--bodies", default=5000, show_default=True)
@click.option("--variants", default=100, show_default=True, help="Train + holdout (a quarter holdout).")
@click.option("--workers", default="1,2", show_default=True, help="Worker counts to run, comma-separated.")
@click.option("--ray", "with_ray", is_flag=True, help="Also run --executor ray on a local 2-CPU cluster.")
@click.option("--verify/--no-verify", default=True, show_default=True, help="Also time verify of the last set.")
def main(bodies: int, variants: int, workers: str, with_ray: bool, verify: bool) -> None:
    from build_scene import build

    print(f"machine: {platform.machine()} {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"load {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        src, cfg = tmp / f"warehouse_{bodies}.usda", tmp / "twin.yaml"
        build(src, bodies)
        subprocess.run([EXE, "init", str(src), "-o", str(cfg)], check=True, capture_output=True)
        n_hold = max(1, variants // 4)
        common = [str(src), "--config", str(cfg), "--train", str(variants - n_hold), "--holdout", str(n_hold),
                  "--seed-train", "1", "--seed-holdout", "2", "--force"]
        runs = [(f"generate --workers {w}", ["--workers", w]) for w in workers.split(",")]
        if with_ray:
            runs.append(("generate --executor ray --workers 2", ["--executor", "ray", "--workers", "2"]))
        print(f"{bodies} bodies, {variants} variants, init's starter config")
        print(f"{'run':<40} {'wall s':>8} {'CPU s':>8} {'peak MB':>8}")
        out = tmp / "out"
        for name, extra in runs:
            wall, cpu, peak = measure(["generate", *common, "--out", str(out), *extra])
            print(f"{name:<40} {wall:8.1f} {cpu:8.1f} {peak:8.0f}", flush=True)
        if verify:
            for w in workers.split(","):
                wall, cpu, peak = measure(["verify", str(out), "--workers", w])
                print(f"{f'verify --workers {w}':<40} {wall:8.1f} {cpu:8.1f} {peak:8.0f}", flush=True)


if __name__ == "__main__":
    main()
