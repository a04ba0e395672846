"""Tiers, the coverage model, books of business, re-balancing and assignment (C6)."""
