"""Event management: normalised events, de-duplication, correlation on the dependency map,
the incident lifecycle, and the outages incidents become.

Pure domain: no I/O, no clock. Adapters in :mod:`servanda.ingest` turn outside payloads into
:class:`~servanda.events.model.Event` records; :mod:`servanda.services.events` runs the engine and
persists what it decides.
"""
