"""The project's number formats per language (FORMAT_MODULE_PATH), over Django's own."""
