"""Storage: the database behind Servanda (SQLite by default, PostgreSQL in production).

Tables, engines, Alembic migrations shipped in the package, and repositories that save and read
domain records — ORM rows never leave this package.
"""
