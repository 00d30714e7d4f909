"""Layout: move, turn, remove and swap rigid bodies so every variant still starts as a valid scene.

config (the block model) -> bound (the block on the stage) -> units (what moves together) -> place (every unit
placed in vectorised rounds) -> pose_values (pose -> xform op values); block.py defines the kind (`KIND`)."""
