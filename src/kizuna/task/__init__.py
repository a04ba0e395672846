"""Tasks, the task cockpit and KAI (C7): work routed to people, outcomes, action counts."""
