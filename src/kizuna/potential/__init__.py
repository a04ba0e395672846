"""Customer sales (C8): expansion potential per account × product, and the white space."""
