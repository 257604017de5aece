"""Importers and exporters, registered by format name."""
