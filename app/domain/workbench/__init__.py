"""The staff workbench: batch actions over many orders, the waybill pool, order exports, the dashboard's
counts. It sits on top of the other domains (it ships through logistics, counts sync errors and
invoices), so it is the top layer of the domain contract in pyproject.toml."""
