"""Reads: one module per domain, mirroring layers/services/ (callers import the domain module)."""
