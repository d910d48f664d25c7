"""Sending requests to a target: what to send (prepare) and sending it (client)."""
