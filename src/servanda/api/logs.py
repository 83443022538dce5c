"""How the server logs: Uvicorn's text lines, or one JSON object a line (``--log-format json``).

Both go to standard error through the standard :mod:`logging` module, for the loggers of
Uvicorn (``uvicorn.error``: start, stop, errors; ``uvicorn.access``: one line per request) and
of Servanda (``servanda.*``: the audit trail, the event clock, RADIUS). A JSON line holds
``time`` (UTC, RFC 3339 to the millisecond), ``level``, ``logger``, ``message`` and ``pid``;
an access line adds ``client``, ``method``, ``path``, ``http_version`` and ``status``; a line
about an exception adds ``exception`` (its traceback as text).
"""

from __future__ import annotations

import copy
import json
import logging
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from uvicorn.config import LOGGING_CONFIG


class LogFormat(StrEnum):
    """How log lines are written."""

    TEXT = "text"
    JSON = "json"


class LogLevel(StrEnum):
    """The least severe level logged."""

    CRITICAL = "critical"
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    DEBUG = "debug"


class JsonFormatter(logging.Formatter):
    """One JSON object per record (see the module)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        args = record.args
        if record.name == "uvicorn.access" and isinstance(args, tuple) and len(args) == 5:
            client, method, path, version, status = args
            entry.update(
                client=client, method=method, path=path, http_version=version, status=status
            )
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str)


def logging_config(log_format: LogFormat, level: str = "info") -> dict[str, Any]:
    """The :func:`logging.config.dictConfig` of the server (Uvicorn applies it in every
    worker): Uvicorn's own for text, with Servanda's loggers added; JSON lines otherwise."""
    wanted = level.upper()
    if log_format is LogFormat.TEXT:
        config = copy.deepcopy(LOGGING_CONFIG)
        config["loggers"]["servanda"] = {
            "handlers": ["default"],
            "level": wanted,
            "propagate": False,
        }
        return config
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    quiet = {"handlers": ["json"], "level": wanted, "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"json": handler},
        "loggers": {
            "uvicorn": quiet,
            "uvicorn.error": {"level": wanted},
            "uvicorn.access": dict(quiet),
            "servanda": dict(quiet),
        },
    }
