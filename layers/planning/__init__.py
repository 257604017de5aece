"""Pure planning functions on shapely geometries: no Django, testable without a database."""
