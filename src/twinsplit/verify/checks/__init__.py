"""verify checks, one module per capability; each `@check` declares its inputs, outputs and tie-break order."""
