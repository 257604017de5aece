"""OGC API – Features, Part 1 Core, over the project's SQL path (docs/OGC_API.md)."""
