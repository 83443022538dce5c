"""Adapters from outside formats (Alertmanager webhooks, generic JSON, CSV, RADIUS, OpenSLO …)
into Servanda's records.

Each adapter is a module (or a small package) with a parse function from the raw payload to the
common model, its mapping tables beside it, and real sample payloads as test fixtures. Adapters
return what they produced together with located problems; they never print and never store.
"""
