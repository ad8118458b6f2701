"""Statements of the theory typed by hand, kept as oracles: the toolkit derives its systems
with the pencil engine, and the tests check the derived ones against these."""
