"""Custom field definitions per object and validation of their values."""
