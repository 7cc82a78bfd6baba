"""Orders: the master record, its lines, its lifecycle (states.py) and its append-only event log."""
