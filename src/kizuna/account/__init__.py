"""Accounts: the customer companies, their basic information and owners (C1)."""
