"""``GET /healthz``: the API answers and its database does too (no token needed)."""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from servanda import __version__
from servanda.api.deps import EngineDep
from servanda.api.schemas import HealthPublic

router = APIRouter(tags=["health"])


def database_answers(engine: Engine) -> bool:
    """Whether ``SELECT 1`` succeeds on ``engine``."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return False
    return True


@router.get(
    "/healthz",
    summary="Health check",
    response_model=HealthPublic,
    responses={503: {"model": HealthPublic, "description": "The database does not answer."}},
)
def healthz(engine: EngineDep, response: Response) -> HealthPublic:
    """`ok` when the database answers `SELECT 1`; 503 `unavailable` otherwise."""
    if database_answers(engine):
        return HealthPublic(status="ok", version=__version__)
    response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return HealthPublic(status="unavailable", version=__version__)
