"""`twinsplit score`: a policy's results on a set, per split and region, and what explains them."""
