"""`twinsplit validate`: CI rules for source stages and generated variants.

issues.py (Issue, Severity) · registry.py (@rule, RULES) · rules_twinsplit.py · rules_nvidia.py (adapter)
· engine.py (discovery, delta-only variants, crash isolation) · formats.py (text/json/junit/github).
Nothing here imports USD or the NVIDIA validator at package import time.
"""

from .issues import Issue, Severity

__all__ = ["Issue", "Severity"]
