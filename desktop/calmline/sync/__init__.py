"""Shift-end sync to the team store (folder, PostgreSQL, HTTPS): reads the store's
outbox and marks records synced only once a target confirms them."""
