"""The open API v1 (/api/v1), as contracted in the API document."""
