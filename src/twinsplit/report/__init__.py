"""`twinsplit report`: one self-contained HTML page with matplotlib plots."""
