"""File formats: reading the files an import brings, writing the files an export gives (docs/IMPORT.md, EXPORT.md).

Nothing here writes a model or calls a service (the import steps that do are in layers.services.imports).

Import: readers.py (files → rows and geometries), cells.py (a cell's text as a number, year, date, yes/no or choice),
and pure helpers without Django: crs.py (guessing a CRS), gcj02.py (GCJ-02 offsets), encoding.py, mapping.py.
Export: feature_layers.py (the layers, shared with OGC API – Features), exporters.py (the formats, registered by
name), coverage_export.py and plan_export.py; geojson_input.py reads the API's GeoJSON bodies.
"""
