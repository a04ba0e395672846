"""Audit log of every change (C15)."""
