"""The HTTP API: a FastAPI application over the services layer.

One router per resource under :mod:`servanda.api.routers`, reusable dependencies in
:mod:`servanda.api.deps` (database session, clock, the principal of a bearer token, the bundle
that principal may see), public schemas in :mod:`servanda.api.schemas` (separate from domain
records and storage tables), and the mapping of domain errors to HTTP answers in
:mod:`servanda.api.errors`. Routes parse, call a service and shape the answer; who may see what
is decided in :mod:`servanda.services`, not here.
"""

from servanda.api.app import create_app
from servanda.api.settings import ApiSettings

__all__ = ["ApiSettings", "create_app"]
