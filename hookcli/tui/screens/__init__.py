"""Screens of the TUI: diff, key map, confirmations, copy as curl."""
