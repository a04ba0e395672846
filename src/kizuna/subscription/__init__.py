"""Subscription lines (契約明細): products on contracts, with MRR, term and renewal (C1)."""
