"""Persistence: database engine, tables, migrations and typed repositories."""
