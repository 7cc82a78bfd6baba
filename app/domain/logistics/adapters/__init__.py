"""Tracking aggregators behind one interface (base.py); Kuaidi100 is the first (kuaidi100.py)."""
