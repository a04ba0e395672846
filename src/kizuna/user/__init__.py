"""Users and teams: who works in Kizuna, their roles, teams and preferences (C15)."""
