"""Channel sync (渠道同步): platform adapters, raw payloads, field and SKU mappings, pulls, pushes back.

The top layer of the domain: it reads and writes orders, stock and the catalogue through their
services, and nothing below imports it. See docs/CHANNELS.md for the whole picture.
"""
