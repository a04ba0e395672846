"""Health scores that explain themselves, and a measured churn-risk model (C4)."""
