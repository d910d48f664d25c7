"""The listener's helper processes: one mechanism (process.py), two users (forwarding:
forward.py and forward_child.py; compaction: compact.py and compact_child.py)."""
