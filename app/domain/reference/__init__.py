"""Reference data every other domain reads: warehouses, sales channels and carriers.

They sit at the bottom of the domain layers (beside the catalog) because stock, orders, routing and
channel sync all need them, and a lower layer may never import a higher one.
"""
