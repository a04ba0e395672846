"""Authentication and authorisation: passwords, sessions, API tokens, roles, permissions."""
