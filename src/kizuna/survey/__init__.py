"""Survey answers: NPS (0–10) and CSAT (1–5), per account and contact (C1)."""
