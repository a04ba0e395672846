"""Customer sales (C8): renewal."""
