"""The source stage as plain data: the only package that reads the source stage with USD."""
