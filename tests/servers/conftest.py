"""Fixtures of the tests that run real server processes."""
