"""Evaluation of lip-sync: mouth measures on the built-in head, the peers users have today, and the report of `posetalk eval`."""
