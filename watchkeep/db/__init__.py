"""Storage: the SQLAlchemy engine, sessions, column types and Alembic migrations.

SQLite (WAL) is the embedded default, PostgreSQL the production database. Write
transactions are serialised the way each database needs so that a read-then-write
never fails half way: `SELECT … FOR UPDATE` on PostgreSQL, `BEGIN IMMEDIATE` on
SQLite.
"""

from watchkeep.db.base import Base
from watchkeep.db.engine import Database

__all__ = ["Base", "Database"]
