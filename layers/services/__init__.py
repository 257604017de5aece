"""Writes: each service is a keyword-only function running in transaction.atomic."""
