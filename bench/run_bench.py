"""`make bench`: run every benchmark in bench/ one after another and print their figures.

Figures go into docs/performance.md by hand, with the machine and date: benchmarks, not timed tests.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = [
    ["bench_generate.py", "--bodies", "5000", "--variants", "20"],
    ["bench_generate.py", "--bodies", "5000", "--variants", "200"],
    ["bench_scale.py", "--bodies", "5000", "--variants", "100", "--ray"],  # 1,000: by hand (docs/performance.md)
    ["bench_geometry.py"],
    ["bench_layout.py"],
    ["bench_place.py"],
    ["bench_place.py", "--bodies", "1000"],
    ["bench_writer.py"],
    ["bench_validate.py"],
    ["bench_stats.py"],
    ["bench_set_stats.py"],
    ["bench_score.py"],
    ["bench_audit.py"],
    ["bench_site.py"],
    ["bench_variant.py"],
    ["bench_simcheck_generate.py"],
    ["bench_holdout_source.py"],
    ["bench_people.py"],
]


def main() -> int:
    failed = 0
    for args in BENCHES:
        script = HERE / args[0]
        if not script.exists():
            print(f"== {args[0]}: not present, skipped")
            continue
        print(f"== {' '.join(args)}", flush=True)
        failed += subprocess.run([sys.executable, str(script), *args[1:]]).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
