"""verify checks, one module per capability; core.CHECK_MODULES sets their order."""
