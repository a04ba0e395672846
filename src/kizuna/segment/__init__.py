"""Segments (saved conditions naming a set of accounts) and account tags (C6)."""
