"""Contacts: the people at a customer and their roles in the buying group (C1)."""
