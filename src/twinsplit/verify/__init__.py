"""`twinsplit verify`: re-derive and re-check a generated set. Never trusts what the manifest claims.

core.py runs the checks; checks/ holds one module per capability."""
