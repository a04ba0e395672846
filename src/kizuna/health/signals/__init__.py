"""Signals: what a health measure or the churn model can read about an account as of a
date, computed only from data dated before that date (no look-ahead)."""
