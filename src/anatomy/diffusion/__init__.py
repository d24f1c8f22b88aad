"""Cross-attention in diffusion (Layer C): the model, the controller, its data, measurements and
summary."""
