"""The block registries, the block-kind contract (registry.BlockKind), distributions and the data that
flows from block kinds through the plan to the writer."""
