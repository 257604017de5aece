"""Deployment-grade security (docs/SECURITY.md): the audit log, login locking, CSP and request-size limits."""
