"""Product usage (C2): event sources and write keys, Segment-compatible ingestion, identities
(users → accounts, contacts), the event store and the usage-metric catalogue."""
