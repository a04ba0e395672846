"""Customer sales (C8): the hand-off from sales to customer success at close."""
