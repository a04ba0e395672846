"""Kizuna (絆): a self-hosted customer success operating system."""

__version__ = "0.1.0"
