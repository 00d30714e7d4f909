"""Extra verify checks, one module per capability (layout overlaps, events, ...); each registers with
`twinsplit.verify.check`. verify imports every module here before it runs."""
