"""Take the data out: every object and whole-database snapshots, CSV and Parquet."""
