"""The scheduler: recurring jobs (schedules), on-event runs, and the record of their runs.

A low layer next to the queue: it uses the queue, the models, audit and auth, and is used by
features (which ask for runs on events) and by the worker (which ticks and records runs).
"""
