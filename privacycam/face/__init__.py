"""Face landmarks, the skin mask and the canonical face space."""
