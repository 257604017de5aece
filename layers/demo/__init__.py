"""The deterministic demo city: pure generation (city, names) and its database loader (load, accounts)."""
