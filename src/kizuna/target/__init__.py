"""Customer sales (C8): target."""
