"""Portable analytics (Ibis): expressions over tables, executed on DuckDB or Spark.

Knows nothing of features, the database layer or the models: it receives tables."""
