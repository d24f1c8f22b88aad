"""What ViT attention finds (Layer C): timm ViTs with registry attention, their data, maps,
measurements and verdicts."""
