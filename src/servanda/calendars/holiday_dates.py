"""Public holidays by country and subdivision, from the ``holidays`` package, cached per year."""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

import holidays
from holidays import registry

_THE = {"United States", "United Kingdom", "Netherlands", "Philippines", "Czechia"}


@lru_cache(maxsize=1)
def supported() -> dict[str, tuple[str, ...]]:
    """Supported country codes and the subdivision codes of each."""
    return {k: tuple(v) for k, v in holidays.list_supported_countries().items()}


def check_country(country: str, subdivision: str | None) -> None:
    """Raise :class:`ValueError` with a readable message if the pair is unknown."""
    known = supported()
    if country not in known:
        raise ValueError(
            f"unknown holiday country {country!r}: use an ISO 3166 alpha-2 code such as FR, "
            "DE, GB or US"
        )
    if subdivision is not None and subdivision not in known[country]:
        listed = ", ".join(known[country][:12]) + (" …" if len(known[country]) > 12 else "")
        raise ValueError(
            f"unknown subdivision {subdivision!r} of {country}"
            + (f": use one of {listed}" if listed else f": {country} has no subdivisions")
        )


@lru_cache(maxsize=4096)
def country_holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    """The public holidays of ``country`` (and ``subdivision``) in ``year``."""
    found = holidays.country_holidays(country, subdiv=subdivision, years=year)
    return frozenset(d for d in found if d.year == year)


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    out: dict[str, str] = {}
    for entry in registry.COUNTRIES.values():
        name = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", entry[0])
        out[entry[1]] = f"the {name}" if name in _THE else name
    return out


def country_name(country: str) -> str:
    """The country's name in English, e.g. ``France`` or ``the United States``."""
    return _names().get(country, country)
