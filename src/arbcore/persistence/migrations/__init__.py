"""Alembic migrations of the arbcore schema (run through arbcore.persistence.migrate)."""
