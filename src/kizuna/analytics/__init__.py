"""Usage analytics: the events reduced by an engine (Ibis expressions on DuckDB or Spark),
then every metric computed on per-account day arrays (numpy); see ``snapshot``.

Knows nothing of features, the database layer or the models: it receives tables."""
