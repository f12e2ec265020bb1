"""The domain: record types and their rules, parsers, errors, options and results.

Plain Python, pandas, pyarrow and pydantic; it imports no other bulkpoc package and no
SQLAlchemy (an import-linter contract in pyproject.toml holds it)."""
