"""Captures turned into things other tools run: curl commands (more formats to come)."""
