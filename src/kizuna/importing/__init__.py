"""Bring a company's customer data in: sources, mapping, validation, upsert (C1, C14)."""
