"""Pytest configuration at the project root: the checkout is importable without an
install, and the module entry point is not collected as a doctest module."""
collect_ignore = ["symcollapse/__main__.py", "tools", "benchmarks"]
