"""Web code, one package per audience (each audience is a trust boundary)."""
