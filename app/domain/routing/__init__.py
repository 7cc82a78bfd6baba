"""Multi-warehouse routing: rate cards, the pure routing engine and the service that acts on its plan."""
