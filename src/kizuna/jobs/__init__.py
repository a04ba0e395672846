"""Background work: job handlers by dotted name and the worker that runs them."""
