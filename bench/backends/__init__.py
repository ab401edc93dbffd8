"""How a trial gets its epochs: live training, k-fold, replay and surrogate serving."""
