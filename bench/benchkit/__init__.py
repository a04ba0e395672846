"""Shared helpers for the hand-run benchmarks in ``bench/`` (never run in CI)."""
