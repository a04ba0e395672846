"""The durable job queue: enqueue in the caller's transaction, claim safely, report progress."""
