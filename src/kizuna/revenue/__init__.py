"""Revenue and retention (C3): MRR, movements, churn, GRR/NRR, cohorts, exchange rates."""
