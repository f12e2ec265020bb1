"""The store: SQLAlchemy Core tables and the queries the pipeline and interfaces need.

The store knows nothing of files; it loads snapshots as DataFrames and writes rows in bulk.
"""
