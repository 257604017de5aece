"""Importers and exporters, registered by format name.

Import (docs/IMPORT.md): readers.py (files → rows and geometries), importers.py (targets, registered by name),
and pure helpers without Django: crs.py (guessing a CRS), gcj02.py (GCJ-02 offsets), encoding.py, mapping.py.
"""
