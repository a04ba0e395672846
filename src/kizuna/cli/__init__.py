"""The ``kizuna`` command line (Typer)."""
