"""Correlation settings come from the environment; the defaults are the correlator's."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from servanda.events.correlate import CorrelationSettings
from servanda.events.model import Severity
from servanda.services.event_settings import EventSettings, correlation_settings


def test_defaults_are_the_correlators(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HOLD_DOWN", "REOPEN_WINDOW", "DOWN_SEVERITY", "FLAP_CHANGES"):
        monkeypatch.delenv(f"SERVANDA_EVENTS_{name}", raising=False)
    assert correlation_settings() == CorrelationSettings()


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERVANDA_EVENTS_HOLD_DOWN", "3m")
    monkeypatch.setenv("SERVANDA_EVENTS_REOPEN_WINDOW", "2h")
    monkeypatch.setenv("SERVANDA_EVENTS_DOWN_SEVERITY", "major")
    monkeypatch.setenv("SERVANDA_EVENTS_FLAP_CHANGES", "6")
    monkeypatch.setenv("SERVANDA_EVENTS_FLAP_QUIET", "PT20M")
    settings = correlation_settings()
    assert settings.hold_down == timedelta(minutes=3)
    assert settings.reopen_window == timedelta(hours=2)
    assert settings.down_severity is Severity.MAJOR
    assert settings.flapping.changes == 6
    assert settings.flapping.quiet == timedelta(minutes=20)
    assert settings.symptom_grace == CorrelationSettings().symptom_grace


def test_bad_values_are_refused_with_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERVANDA_EVENTS_HOLD_DOWN", "soon")
    with pytest.raises(ValidationError, match="hold_down"):
        EventSettings()
