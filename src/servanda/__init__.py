"""Servanda: service-level and accounting platform for service providers.

Agreements must be kept (*pacta sunt servanda*). The package is layered as described in
``docs/architecture.md``: pure domain packages (``core``, ``catalog``, ``calendars``,
``agreements`` …) in the middle, adapters (``config``, ``ingest``, ``storage``, ``reports``)
around them, and the interfaces (``cli``, ``api``) at the edge, reaching the domain through
``services``.
"""

__version__ = "0.1.0"
