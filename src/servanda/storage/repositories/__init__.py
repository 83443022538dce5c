"""Repositories: save and read domain records; ORM rows never leave :mod:`servanda.storage`.

Every repository works in the caller's session and transaction: it flushes, the caller commits.
Query methods a customer can reach take ``party``: when given, only what that customer party may
see is returned (see :mod:`servanda.storage.repositories.visibility`).
"""

from servanda.storage.repositories.agreements import AgreementRepository
from servanda.storage.repositories.bundles import BundleRepository, KindCounts, LoadRun, LoadSummary
from servanda.storage.repositories.catalog import CatalogRepository
from servanda.storage.repositories.engagement import (
    EngagementRepository,
)
from servanda.storage.repositories.measurements import (
    MISSING,
    AttestationRepository,
    MeasurementColumns,
    MeasurementRepository,
    StoredMeasurement,
)
from servanda.storage.repositories.results import (
    ResultRepository,
    StoredCredit,
    StoredResult,
    actual_of,
)
from servanda.storage.tokens import TokenRepository

__all__ = [
    "MISSING",
    "AgreementRepository",
    "AttestationRepository",
    "BundleRepository",
    "CatalogRepository",
    "EngagementRepository",
    "KindCounts",
    "LoadRun",
    "LoadSummary",
    "MeasurementColumns",
    "MeasurementRepository",
    "ResultRepository",
    "StoredCredit",
    "StoredMeasurement",
    "StoredResult",
    "TokenRepository",
    "actual_of",
]
