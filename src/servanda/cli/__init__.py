"""The ``servanda`` command: people-readable output by default, ``--format json`` for scripts.

Exit codes: 0 success, 1 problems found in the input, 2 usage errors.
"""
