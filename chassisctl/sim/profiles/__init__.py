"""Shipped simulator profiles (TOML data only)."""
