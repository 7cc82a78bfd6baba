"""Stock levels, the movements ledger, reservations, safety stock and purchase reminders."""
