"""Planning calculators (C12): pilot ROI, CS revenue impact, LTV and CAC payback."""
