"""Declared configuration: the bundle of catalog, calendar and agreement records, how it is read
from YAML files with every problem located, and the checks that span records (references,
cycles, inheritance).
"""
