"""Incidents over HTTP: a storm becomes one incident with reasons, redundancy and partial
impact are shown, the lifecycle keeps its audit trail, validation follows the agreement, and
customers see only their own incidents; on both database backends."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from .support import NOW
from .test_events_api import (
    Clock,
    Tokens,
    alert,
    api,
    auth,
    clock,
    network,
    send,
    stamp,
    webhook,
)

__all__ = ["api", "auth", "clock", "network"]  # fixtures

INCIDENTS = "/api/v1/incidents"
START = NOW - timedelta(minutes=20)


def storm(api: TestClient, auth: Tokens) -> str:
    """core-1 fails: the switches' and services' alerts arrive first, in two batches, and the
    root's last (within the hold-down); returns the one incident's id."""
    symptoms = [alert(f"sw-{i}", START + timedelta(seconds=20 + 5 * i)) for i in range(1, 5)]
    symptoms += [
        alert("internet", START + timedelta(seconds=40), name="ServiceDown"),
        alert("voice", START + timedelta(seconds=45), name="ServiceDown"),
    ]
    send(api, auth, webhook(*symptoms[:3]))
    send(api, auth, webhook(*symptoms[3:]))
    result = send(api, auth, webhook(alert("core-1", START)))
    assert result["new"] == 1
    listed = api.get(INCIDENTS, headers=auth["operator"]).json()
    assert len(listed) == 1, listed
    incident_id: str = listed[0]["id"]
    return incident_id


def get(api: TestClient, auth: Tokens, incident_id: str, who: str = "operator") -> Any:
    response = api.get(f"{INCIDENTS}/{incident_id}", headers=auth[who])
    assert response.status_code == 200, response.text
    return response.json()


def move(
    api: TestClient, auth: Tokens, incident_id: str, step: str, who: str = "operator", **body: Any
) -> Any:
    return api.post(f"{INCIDENTS}/{incident_id}/{step}", headers=auth[who], json=body or None)


def test_a_storm_becomes_one_incident_with_its_symptoms_and_reasons(
    api: TestClient, auth: Tokens
) -> None:
    incident_id = storm(api, auth)
    listed = api.get(INCIDENTS, headers=auth["operator"]).json()
    (summary,) = listed
    assert summary["root"] == "core-1"
    assert summary["state"] == "detected"
    assert summary["symptom_count"] == 6
    assert summary["detected_at"] == "2024-07-01T09:10:00Z"

    inc = get(api, auth, incident_id)
    assert inc["root"] == "core-1"
    assert len(inc["root_fingerprints"]) == 1
    assert {s["node"] for s in inc["symptoms"]} == {
        "sw-1",
        "sw-2",
        "sw-3",
        "sw-4",
        "internet",
        "voice",
    }
    for symptom in inc["symptoms"]:
        assert "core-1" in symptom["reason"], symptom
    assert inc["impacted_services"] == ["internet", "tv", "voice"]
    assert inc["planned"] is False
    assert inc["transitions"][0]["to_state"] == "detected"
    assert inc["transitions"][0]["by"] == "servanda"
    assert inc["merged_from"]  # the provisional incidents of the switches were taken over

    outages = {(o["service"], o["customer"]): o for o in inc["outages"]}
    assert set(outages) >= {("internet", "alpha"), ("voice", "beta"), ("tv", "beta")}
    assert outages["internet", "alpha"]["fraction"] == "1"
    assert outages["internet", "alpha"]["full"] is True
    assert outages["internet", "alpha"]["end"] is None
    customers = {c["customer"]: c for c in inc["impacted_customers"]}
    assert customers["alpha"]["services"] == ["internet"]
    assert customers["beta"]["services"] == ["tv", "voice"]
    assert customers["beta"]["full"] is True

    # The root recovers: the incident resolves and its outages end.
    resolved = send(api, auth, webhook(alert("core-1", START, end=NOW - timedelta(minutes=1))))
    assert resolved["resolved"] == [incident_id]
    after = get(api, auth, incident_id)
    assert after["resolved_at"] == "2024-07-01T09:29:00Z"
    assert after["mtrs_seconds"] == 19 * 60
    assert all(o["end"] == "2024-07-01T09:29:00Z" for o in after["outages"])


def test_redundancy_and_partial_impact_are_shown(api: TestClient, auth: Tokens) -> None:
    send(api, auth, webhook(alert("uplink-a", START, name="LinkDown")))
    send(api, auth, webhook(alert("core-2", START + timedelta(minutes=1))))
    by_root = {i["root"]: i["id"] for i in api.get(INCIDENTS, headers=auth["admin"]).json()}

    uplink = get(api, auth, by_root["uplink-a"])
    assert uplink["impacted_services"] == []
    assert uplink["outages"] == []
    (degraded,) = uplink["degraded"]
    assert degraded["node"] == "edge"
    assert degraded["lost"] == ["uplink-a"]
    assert "uplink-a" in degraded["reason"]

    core2 = get(api, auth, by_root["core-2"])
    (outage,) = core2["outages"]
    assert (outage["service"], outage["customer"]) == ("tv", "beta")
    assert outage["fraction"] == "0.5"
    assert outage["full"] is False
    tv = next(i for i in core2["impacted"] if i["node"] == "tv")
    assert tv["fraction"] == 0.5
    assert core2["impacted_customers"] == [
        {"customer": "beta", "services": ["tv"], "fraction": "0.5", "full": False}
    ]


def test_filters(api: TestClient, auth: Tokens, clock: Clock) -> None:
    core = storm(api, auth)
    send(api, auth, webhook(alert("uplink-b", NOW - timedelta(minutes=2), name="LinkDown")))

    def ids(**params: Any) -> set[str]:
        response = api.get(INCIDENTS, headers=auth["operator"], params=params)
        assert response.status_code == 200, response.text
        return {i["id"] for i in response.json()}

    everything = ids()
    assert len(everything) == 2
    (uplink,) = everything - {core}
    assert ids(service="internet") == {core}
    assert ids(customer="beta") == {core}
    assert ids(root="uplink-b") == {uplink}
    assert ids(state="detected") == everything
    assert ids(state=["acknowledged", "closed"]) == set()
    assert ids(planned="false") == everything
    assert ids(planned="true") == set()
    assert ids(until=stamp(NOW - timedelta(minutes=5))) == {core}
    assert ids(since=stamp(NOW + timedelta(minutes=1))) == everything  # both still ongoing
    assert len(ids(limit=1)) == 1
    assert api.get(INCIDENTS, headers=auth["operator"], params={"state": "lost"}).status_code == 422


def test_the_lifecycle_keeps_an_audit_trail(api: TestClient, auth: Tokens, clock: Clock) -> None:
    send(api, auth, webhook(alert("sw-4", START)))  # tv for beta: no agreement names a validator
    (incident_id,) = [i["id"] for i in api.get(INCIDENTS, headers=auth["operator"]).json()]

    clock.at = NOW + timedelta(minutes=1)
    acked = move(api, auth, incident_id, "ack", note="on it")
    assert acked.status_code == 200, acked.text
    assert acked.json()["state"] == "acknowledged"
    assert acked.json()["mtta_seconds"] == 21 * 60

    again = move(api, auth, incident_id, "ack")
    assert again.status_code == 409
    assert "acknowledged" in again.json()["detail"]
    assert move(api, auth, incident_id, "close").status_code == 409

    clock.at = NOW + timedelta(minutes=30)
    assert move(api, auth, incident_id, "correct", note="replaced the PSU").status_code == 200
    clock.at = NOW + timedelta(minutes=31)
    assert move(api, auth, incident_id, "validate", who="admin", note="checked").status_code == 200
    clock.at = NOW + timedelta(minutes=32)
    closed = move(api, auth, incident_id, "close", note="done")
    assert closed.json()["state"] == "closed"
    clock.at = NOW + timedelta(minutes=40)
    reopened = move(api, auth, incident_id, "reopen", note="it is back")
    assert reopened.json()["state"] == "detected"
    assert reopened.json()["reopen_count"] == 1

    trail = [
        (t["from_state"], t["to_state"], t["by"].split(":")[0], t["note"], t["at"])
        for t in get(api, auth, incident_id)["transitions"]
    ]
    assert trail == [
        (None, "detected", "servanda", trail[0][3], "2024-07-01T09:10:00Z"),
        ("detected", "acknowledged", "operator", "on it", "2024-07-01T09:31:00Z"),
        ("acknowledged", "corrected", "operator", "replaced the PSU", "2024-07-01T10:00:00Z"),
        ("corrected", "validated", "admin", "checked", "2024-07-01T10:01:00Z"),
        ("validated", "closed", "operator", "done", "2024-07-01T10:02:00Z"),
        ("closed", "detected", "operator", "it is back", "2024-07-01T10:10:00Z"),
    ]
    assert move(api, auth, "inc-0000000000000000", "ack").status_code == 404
    assert move(api, auth, incident_id, "ack", colour="red").status_code == 422


def test_validation_follows_the_agreement(api: TestClient, auth: Tokens, clock: Clock) -> None:
    incident_id = storm(api, auth)  # impacts alpha (the customer validates) and beta
    clock.at = NOW + timedelta(minutes=1)
    assert move(api, auth, incident_id, "ack").status_code == 200
    assert move(api, auth, incident_id, "correct").status_code == 200

    # Validation is per impacted customer: the provider validates for beta only.
    staff = move(api, auth, incident_id, "validate", note="looks fine")
    assert staff.status_code == 200, staff.text
    assert staff.json()["state"] == "corrected"
    assert staff.json()["transitions"][-1]["validated_for"] == ["beta"]
    again = move(api, auth, incident_id, "validate", note="looks fine")
    assert again.status_code == 409
    assert "already validated for beta; waiting for alpha" in again.json()["detail"]
    beta = move(api, auth, incident_id, "validate", who="beta")
    assert beta.status_code == 409  # beta's terms leave validation to the provider
    assert "validated for alpha by alpha, for beta by the provider" in beta.json()["detail"]
    other = move(api, auth, incident_id, "validate", who="beta", on_behalf_of="alpha")
    assert other.status_code == 403  # only an administrator acts on behalf of a party
    assert "alpha" not in str(get(api, auth, incident_id)["transitions"][-1])
    assert move(api, auth, incident_id, "close").status_code == 409  # not validated yet
    for step in ("ack", "correct", "close", "reopen"):
        assert move(api, auth, incident_id, step, who="alpha").status_code == 403

    validated = move(api, auth, incident_id, "validate", who="alpha", note="works for us")
    assert validated.status_code == 200, validated.text
    shown = validated.json()
    assert shown["state"] == "validated"
    assert shown["symptoms"] == []  # the customer's view
    # ... which does not show beta's validation, nor name beta anywhere.
    assert [t["validated_for"] for t in shown["transitions"] if t["validated_for"]] == [["alpha"]]
    assert "beta" not in validated.text
    assert [o["customer"] for o in shown["outages"]] == ["alpha"]
    last = shown["transitions"][-1]
    assert (last["by"], last["note"], last["validated_for"]) == (
        "customer:alpha", "works for us", ["alpha"],
    )  # fmt: skip
    assert move(api, auth, incident_id, "close").json()["state"] == "closed"


def test_an_administrator_validates_on_behalf_of_the_customer(
    api: TestClient, auth: Tokens, clock: Clock
) -> None:
    incident_id = storm(api, auth)
    clock.at = NOW + timedelta(minutes=1)
    move(api, auth, incident_id, "ack")
    move(api, auth, incident_id, "correct")
    response = move(api, auth, incident_id, "validate", who="admin", on_behalf_of="alpha")
    assert response.status_code == 200, response.text
    assert response.json()["transitions"][-1]["on_behalf_of"] == "alpha"
    operator = move(api, auth, incident_id, "reopen")
    assert operator.status_code == 200
    # on_behalf_of is for validation only.
    assert move(api, auth, incident_id, "ack", on_behalf_of="alpha").status_code == 422


def test_customers_see_only_incidents_affecting_them(api: TestClient, auth: Tokens) -> None:
    send(api, auth, webhook(alert("sw-1", START)))  # internet: alpha
    send(api, auth, webhook(alert("core-2", START + timedelta(minutes=2))))  # half of tv: beta
    send(api, auth, webhook(alert("uplink-a", START, name="LinkDown")))  # no one
    by_root = {i["root"]: i["id"] for i in api.get(INCIDENTS, headers=auth["operator"]).json()}
    assert set(by_root) == {"sw-1", "core-2", "uplink-a"}

    alpha = api.get(INCIDENTS, headers=auth["alpha"]).json()
    assert [i["id"] for i in alpha] == [by_root["sw-1"]]
    assert alpha[0]["impacted_services"] == ["internet"]
    beta = api.get(INCIDENTS, headers=auth["beta"]).json()
    assert [i["id"] for i in beta] == [by_root["core-2"]]

    mine = get(api, auth, by_root["sw-1"], who="alpha")
    assert mine["symptoms"] == []
    assert mine["degraded"] == []
    assert {o["customer"] for o in mine["outages"]} == {"alpha"}
    assert [c["customer"] for c in mine["impacted_customers"]] == ["alpha"]
    assert get(api, auth, by_root["core-2"], who="beta")["outages"][0]["fraction"] == "0.5"

    for hidden in (by_root["core-2"], by_root["uplink-a"], "inc-nope"):
        assert api.get(f"{INCIDENTS}/{hidden}", headers=auth["alpha"]).status_code == 404
        assert move(api, auth, hidden, "validate", who="alpha").status_code == 404
    assert api.get(f"{INCIDENTS}/{by_root['sw-1']}", headers=auth["beta"]).status_code == 404
    forbidden = api.get(INCIDENTS, headers=auth["alpha"], params={"customer": "beta"})
    assert forbidden.status_code == 403
    own = api.get(INCIDENTS, headers=auth["alpha"], params={"customer": "alpha"})
    assert [i["id"] for i in own.json()] == [by_root["sw-1"]]


def test_a_customer_sees_only_its_part_of_a_shared_incident(api: TestClient, auth: Tokens) -> None:
    core = storm(api, auth)  # internet for alpha; voice and tv for beta
    alpha = api.get(INCIDENTS, headers=auth["alpha"]).json()
    assert [i["id"] for i in alpha] == [core]
    assert alpha[0]["symptom_count"] == 0
    assert alpha[0]["impacted_services"] == ["internet"]
    beta = get(api, auth, core, who="beta")
    assert {o["service"] for o in beta["outages"]} == {"voice", "tv"}
    assert beta["impacted_services"] == ["tv", "voice"]


def test_a_customer_never_sees_the_provider_s_components(api: TestClient, auth: Tokens) -> None:
    """The docs promise customers the services and customer-facing words only: no component
    (not as root, not in a reason, a note or the summary), no alert fingerprint."""
    core = storm(api, auth)
    move(api, auth, core, "ack", who="operator")
    staff = get(api, auth, core, who="operator")
    components = {i["node"] for i in staff["impacted"] if i["kind"] == "component"}
    assert components
    for who in ("alpha", "beta"):
        listed = api.get(INCIDENTS, headers=auth[who]).text
        shown = api.get(f"{INCIDENTS}/{core}", headers=auth[who]).text
        for component in components:
            assert component not in listed, (who, component)
            assert component not in shown, (who, component)
        mine = get(api, auth, core, who=who)
        assert mine["root"] in mine["impacted_services"]
        assert mine["root_fingerprints"] == []
        assert mine["summary"].endswith(" UTC.") or mine["summary"].endswith("and still.")
        assert [t["to_state"] for t in mine["transitions"]] == [
            t["to_state"] for t in staff["transitions"]
        ]
    # A customer cannot probe the provider's wiring through the root filter either.
    assert staff["root"] in components
    assert api.get(INCIDENTS, headers=auth["alpha"], params={"root": staff["root"]}).json() == []
    assert api.get(INCIDENTS, headers=auth["operator"], params={"root": staff["root"]}).json()


@pytest.mark.parametrize(
    ("who", "read", "move_code"),
    [
        ("ingest", 403, 403),
        ("billing", 200, 403),
        ("operator", 200, 200),
        ("admin", 200, 200),
    ],
)
def test_roles(api: TestClient, auth: Tokens, who: str, read: int, move_code: int) -> None:
    send(api, auth, webhook(alert("sw-2", START)))
    (incident_id,) = [i["id"] for i in api.get(INCIDENTS, headers=auth["admin"]).json()]
    assert api.get(INCIDENTS, headers=auth[who]).status_code == read
    assert api.get(f"{INCIDENTS}/{incident_id}", headers=auth[who]).status_code == read
    assert move(api, auth, incident_id, "ack", who=who).status_code == move_code
    assert api.get(INCIDENTS).status_code == 401
