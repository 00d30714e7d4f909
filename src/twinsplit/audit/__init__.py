"""`twinsplit audit`: train/test contamination between any two sets of USD stages, on composed content.

canonical.py  one stage's composed content as canonical bytes (the exact-duplicate hash)
features.py   the comparable features of one stage: a fixed vector per feature key
extract.py    stage files under the given paths; one traversal per stage -> StageRecord (hash + features)
compare.py    exact pairs (equal hashes), near pairs (KD-tree, normalized L-inf distance), the distribution
formats.py    text, JSON and JUnit reports
"""
