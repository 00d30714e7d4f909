"""`twinsplit simcheck`: step stages and variants in Newton (CPU) and judge every body.

runtime.py (the optional `sim` extra, imported lazily; Warp's kernel cache) · tracks.py (what the stage says: the
bodies an engine should load, their sizes and supports, the kinematic bodies' time samples) · step.py (import,
drive the kinematic bodies along their samples, step, record) · verdict.py (thresholds -> validate Issues) ·
runner.py (stages and output dirs -> a validate Report, optionally in worker processes).
Nothing here imports newton or warp at package import time.
"""
