"""Local SQLite store: migrations, repositories returning core dataclasses, outbox.

Nothing above this package sees SQL. One Store (one connection) per thread.
"""
