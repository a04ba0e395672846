"""Products and plans: base plans, options/add-ons and services (C1)."""
