"""Logistics: parcels (shipments) and what the carriers say about them (tracking events)."""
