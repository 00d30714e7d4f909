"""Edits -> files: the variant layer writer, the worker pool, the source copy and the staged output dir."""
