"""Customer sales (C8): sales."""
