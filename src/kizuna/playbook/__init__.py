"""Playbooks (C7): when / who / what / how rules that create tasks and notifications."""
