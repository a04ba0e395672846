"""Customer sales (C8): the PoC tracker (purpose, success criteria, target accounts,
results, decision, product feedback)."""
