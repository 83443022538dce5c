"""Webhooks: the payload as a JSON POST with the delivery id, the event and (when the rule
names a secret) the HMAC-SHA256 signature in headers (:mod:`servanda.notify.signing`)."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

from servanda import __version__
from servanda.delivery.errors import DeliveryError
from servanda.notify import signing
from servanda.notify.rules import Webhook


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer of its own (a failed attempt): following it would turn the
    POST into a GET, or send the signed body somewhere the rule does not name."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def body_of(payload: Mapping[str, Any]) -> bytes:
    """The exact bytes sent (and signed)."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, default=str).encode()


def post(hook: Webhook, payload: Mapping[str, Any], timestamp: int, timeout: float) -> None:
    """POST ``payload`` to ``hook``; a 2xx answer is success, anything else raises."""
    body = body_of(payload)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"Servanda/{__version__}",
        signing.DELIVERY_HEADER: str(payload.get("id", "")),
        signing.EVENT_HEADER: str(payload.get("event", "")),
    }
    if hook.secret_env is not None:
        secret = os.environ.get(hook.secret_env)
        if not secret:
            raise DeliveryError(f"the signing secret ${hook.secret_env} is not set")
        headers[signing.HEADER] = signing.signature(secret, timestamp, body)
    request = urllib.request.Request(hook.url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            status = answer.status
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"HTTP {exc.code} from {hook.url}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise DeliveryError(f"{hook.url}: {getattr(exc, 'reason', exc)}") from None
    if not 200 <= status < 300:
        raise DeliveryError(f"HTTP {status} from {hook.url}")
