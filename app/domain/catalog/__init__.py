"""SKUs and bundles (组合装)."""
