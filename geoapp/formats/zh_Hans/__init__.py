"""Simplified Chinese number formats of the project."""
