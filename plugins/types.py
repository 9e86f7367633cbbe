"""Frozen dataclasses handed to plugins; never requests or querysets."""
