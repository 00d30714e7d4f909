"""The plan: every variant's draws as numpy arrays; disjointness, OOD regions and statistics."""
