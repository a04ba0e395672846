"""Persistence plumbing: declarative base, portable types, engines and sessions, migrations."""
