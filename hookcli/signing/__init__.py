"""Signature schemes: one small module per provider, one registry to reach them."""
