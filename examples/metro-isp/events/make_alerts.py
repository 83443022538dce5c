"""Write a month of Metro Fibre's Alertmanager webhook notifications: 2024-04.alertmanager.jsonl.

    .venv/bin/python examples/metro-isp/events/make_alerts.py

The month is described as alert *episodes* (labels, annotations, start, end), scenario by
scenario (see the README beside the catalog). They are then delivered the way Alertmanager
delivers them to a webhook receiver, one JSON payload per line:

* two routes: critical/major alerts grouped by ``alertname`` (group_wait 30s, group_interval 1m,
  repeat_interval 4h), warnings grouped by ``alertname`` and ``job`` (1m, 5m, 12h);
* a group is flushed ``group_wait`` after its first alert, then every ``group_interval``; a flush
  notifies when a new alert fires, when a notified alert resolves, or when ``repeat_interval``
  has passed (Alertmanager's dedup stage, with ``send_resolved``); a payload carries every alert
  of the group, firing (``endsAt`` 0001-01-01T00:00:00Z) and resolved, and resolved alerts leave
  the group once flushed;
* fingerprints are Alertmanager's (FNV-1a over the sorted label set); JSON is written as Go
  writes it (compact, map keys sorted, ``&`` escaped as ``\\u0026``).

Deterministic: a fixed seed, no clock, so running it again gives the same bytes.
"""

from __future__ import annotations

import heapq
import json
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote_plus

from servanda.ingest.alertmanager import label_set_fingerprint

SEED = 20240401
OUTPUT = Path(__file__).resolve().parent / "2024-04.alertmanager.jsonl"
PROMETHEUS = "https://prometheus.noc.metro.example"
ALERTMANAGER = "https://alertmanager.noc.metro.example"
RECEIVER = "servanda"
ZERO_TIME = "0001-01-01T00:00:00Z"
MONTH_END = datetime(2024, 5, 1, tzinfo=UTC)

EXPRESSIONS = {
    "BGPSessionDown": "bgpPeerState != 6",
    "CPEUnreachable": 'probe_success{job="blackbox-cpe"} == 0',
    "CertificateExpiringSoon": "probe_ssl_earliest_cert_expiry - time() < 30 * 86400",
    "DNSProbeFailed": 'probe_success{job="blackbox-dns"} == 0',
    "DiskSpaceLow": "node_filesystem_avail_bytes / node_filesystem_size_bytes < 0.10",
    "HighLatency": 'avg_over_time(probe_icmp_duration_seconds{phase="rtt"}[5m]) > 0.02',
    "HighPacketLoss": "smokeping_loss_ratio > 0.2",
    "InstanceDown": "up == 0",
    "LinkDown": 'ifOperStatus{ifAlias!=""} == 2',
    "NodeClockNotSynchronising": "min_over_time(node_timex_sync_status[5m]) == 0",
    "OpticalLossOfSignal": "ifDomRxPower < -30",
    "OriginUnavailable": 'probe_success{job="blackbox-origin"} == 0',
    "PathProbeFailed": 'probe_success{job="blackbox-path"} == 0',
    "PrinterTonerLow": "prtMarkerSuppliesLevel / prtMarkerSuppliesMaxCapacity < 0.05",
    "ProbeFailed": 'probe_success{job="blackbox-icmp"} == 0',
    "RadiusAuthProbeFailed": 'probe_success{job="radius"} == 0',
    "SIPOptionsTimeout": "sip_options_success == 0",
    "SIPRegistrationsDropped": "sbc_registered < 0.5 * (sbc_registered offset 15m)",
    "SMARTDiskFailing": "smartmon_device_smart_healthy == 0",
    "StreamProbeFailed": 'probe_success{job="blackbox-stream"} == 0',
    "SubscriberAuthFailures": "rate(bng_radius_access_reject_total[5m]) > 1",
    "VPNLoginProbeFailed": 'probe_success{job="vpn-login-probe"} == 0',
}


@dataclass(frozen=True)
class Route:
    """One Alertmanager route to the webhook receiver."""

    matcher: str
    group_by: tuple[str, ...]
    group_wait: timedelta
    group_interval: timedelta
    repeat_interval: timedelta


PAGER = Route(
    '{severity=~"critical|major"}',
    ("alertname",),
    timedelta(seconds=30),
    timedelta(minutes=1),
    timedelta(hours=4),
)
TICKETS = Route(
    '{severity="warning"}',
    ("alertname", "job"),
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(hours=12),
)


def route_of(labels: dict[str, str]) -> Route:
    return PAGER if labels.get("severity") in ("critical", "major") else TICKETS


@dataclass(frozen=True)
class Episode:
    """One firing of one alert, from start to end."""

    labels: dict[str, str]
    annotations: dict[str, str]
    start: datetime
    end: datetime
    duplicate: bool = False
    """Deliver the first notification carrying this firing twice (a webhook retry)."""

    @property
    def fingerprint(self) -> str:
        return label_set_fingerprint(self.labels)


class Month:
    """The episodes of the month, built scenario by scenario."""

    def __init__(self, seed: int = SEED) -> None:
        self.rng = random.Random(seed)
        self.episodes: list[Episode] = []

    def at(self, text: str, spread: float = 0.0) -> datetime:
        """``text`` (UTC) plus up to ``spread`` seconds, with milliseconds (Prometheus' clock)."""
        base = datetime.fromisoformat(text).replace(tzinfo=UTC)
        ms = self.rng.randrange(int(spread * 1000) + 1000)
        return base + timedelta(milliseconds=ms)

    def add(
        self,
        labels: dict[str, str],
        summary: str,
        description: str,
        start: datetime,
        end: datetime,
        *,
        duplicate: bool = False,
    ) -> Episode:
        assert start < end <= MONTH_END, (labels, start, end)
        ep = Episode(
            dict(sorted(labels.items())),
            {"description": description, "summary": summary},
            start,
            end,
            duplicate,
        )
        self.episodes.append(ep)
        return ep


def snmp_link(router: str, if_name: str, if_alias: str, severity: str = "critical") -> dict:
    return {
        "alertname": "LinkDown",
        "ifAlias": if_alias,
        "ifName": if_name,
        "instance": f"{router}.metro.example",
        "job": "snmp",
        "severity": severity,
    }


def bgp(router: str, peer_address: str, peer_as: str, **extra: str) -> dict:
    return {
        "alertname": "BGPSessionDown",
        "instance": f"{router}.metro.example",
        "job": "snmp",
        "peer_address": peer_address,
        "peer_as": peer_as,
        "severity": "critical",
        **extra,
    }


def host(alertname: str, name: str, job: str, severity: str, port: int | None = None) -> dict:
    instance = f"{name}.metro.example" + (f":{port}" if port else "")
    return {"alertname": alertname, "instance": instance, "job": job, "severity": severity}


# --- Scenarios ------------------------------------------------------------------------------


def redundant_uplink(m: Month) -> None:
    """3 April: France-IX port down for 1 h 45; uplink-b carries everything, no service down."""
    alias = "uplink-a: France-IX Paris port FX-PAR-2231"
    down, up = m.at("2024-04-03T14:20:05"), m.at("2024-04-03T16:05:12")
    m.add(
        snmp_link("core-router-1", "et-0/0/0", alias),
        "core-router-1 et-0/0/0 (uplink-a) is down",
        f"Interface et-0/0/0 ({alias}) on core-router-1 is operationally down.",
        down,
        up,
        duplicate=True,
    )
    for i, (address, name) in enumerate(
        [
            ("37.49.236.1", "France-IX RS1"),
            ("37.49.236.2", "France-IX RS2"),
            ("37.49.237.77", "Transit FR-IX"),
        ]
    ):
        m.add(
            bgp(
                "core-router-1",
                address,
                "51706" if i < 2 else "174",
                uplink="uplink-a",
                peer_description=name,
            ),
            f"BGP session to {name} ({address}) on core-router-1 is down",
            "The session left Established after the hold timer expired.",
            down + timedelta(seconds=88 + 9 * i),
            up + timedelta(seconds=35 + 17 * i),
        )


def radius_upgrade(m: Month) -> None:
    """10 April, 23:00–00:30 Paris: the announced RADIUS upgrade (window radius-upgrade-2024-04)."""
    probe_down = m.at("2024-04-10T21:03:58")
    m.add(
        {
            **host("RadiusAuthProbeFailed", "radius-1", "radius", "critical", 1812),
            "module": "radius_auth",
        },
        "RADIUS authentication probe on radius-1 fails",
        "Access-Request for the test account got no answer within 5 s.",
        probe_down,
        m.at("2024-04-10T21:31:40"),
    )
    m.add(
        host("InstanceDown", "radius-1", "radius", "critical", 9812),
        "radius-1:9812 is down",
        "The FreeRADIUS exporter of radius-1 has not answered a scrape for 1 minute.",
        m.at("2024-04-10T21:04:31"),
        m.at("2024-04-10T21:31:02"),
    )
    m.add(
        {
            "alertname": "VPNLoginProbeFailed",
            "instance": "probe-paris-1.noc.metro.example:9115",
            "job": "vpn-login-probe",
            "service": "managed-vpn",
            "severity": "major",
        },
        "Remote-access VPN test login fails",
        "The synthetic VPN user cannot log in to the concentrator.",
        m.at("2024-04-10T21:05:20"),
        m.at("2024-04-10T21:32:15"),
    )
    m.add(
        {
            "alertname": "SubscriberAuthFailures",
            "instance": "bng-1.access.metro.example:9100",
            "job": "bng",
            "service": "internet-access",
            "severity": "major",
        },
        "Fibre lines are rejected at authentication",
        "The broadband gateway gets no RADIUS answer for lines that reconnect.",
        m.at("2024-04-10T21:06:02"),
        m.at("2024-04-10T21:31:55"),
    )


STRASBOURG_SWITCHES = {
    "sw-strasbourg-centre": 14,
    "sw-strasbourg-neudorf": 12,
    "sw-illkirch-campus": 16,
    "sw-schiltigheim": 10,
    "sw-strasbourg-port": 9,
}
STUCK_SWITCH = "sw-schiltigheim"
"""Its power supply fails when the line comes back: it stays down after the root recovers."""


def storm(m: Month) -> None:
    """11 April, 10:02 UTC: the Paris–Strasbourg backhaul is cut; the whole PoP goes dark."""
    rng = m.rng
    cut, repaired = m.at("2024-04-11T10:02:07"), m.at("2024-04-11T11:47:31")
    stuck_until = m.at("2024-04-11T13:05:40")
    alias = "backhaul-strasbourg: Alpine Transit circuit AT-L2-4471"
    m.add(
        snmp_link("core-router-2", "et-0/1/2", alias),
        "core-router-2 et-0/1/2 (backhaul-strasbourg) is down",
        f"Interface et-0/1/2 ({alias}) on core-router-2 is operationally down.",
        cut,
        repaired,
    )
    m.add(
        {**snmp_link("core-router-2", "et-0/1/2", alias), "alertname": "OpticalLossOfSignal"},
        "core-router-2 et-0/1/2 (backhaul-strasbourg) receives no light",
        "Receive power below -30 dBm: loss of signal on the carrier's fibre.",
        cut + timedelta(seconds=2.4),
        repaired - timedelta(seconds=1.7),
    )

    def symptom(
        labels: dict, summary: str, description: str, after: tuple[int, int], node: str
    ) -> None:
        start = cut + timedelta(seconds=rng.uniform(*after))
        if node == STUCK_SWITCH:
            end = stuck_until + timedelta(seconds=rng.uniform(0, 90))
        else:
            end = repaired + timedelta(seconds=rng.uniform(15, 160))
        m.add(labels, summary, description, start, end)

    pe = "pe-strasbourg"
    symptom(
        host("ProbeFailed", pe, "blackbox-icmp", "major") | {"module": "icmp"},
        f"{pe} does not answer ping",
        "ICMP probe from Paris failed 3 times.",
        (14, 30),
        pe,
    )
    symptom(
        host("InstanceDown", pe, "snmp", "critical"),
        f"{pe} is down",
        "SNMP polling of the router has failed for 1 minute.",
        (62, 80),
        pe,
    )
    for router, address in (("core-router-1", "10.255.0.41"), ("core-router-2", "10.255.0.45")):
        symptom(
            bgp(router, address, "64512", peer=pe, peer_description="iBGP pe-strasbourg"),
            f"BGP session to {pe} on {router} is down",
            "The session left Established after the hold timer expired.",
            (90, 100),
            pe,
        )
    sbc = "sbc-strasbourg"
    symptom(
        host("InstanceDown", sbc, "node", "critical", 9100),
        f"{sbc}:9100 is down",
        "The node exporter has not answered a scrape for 1 minute.",
        (60, 75),
        sbc,
    )
    symptom(
        host("SIPOptionsTimeout", sbc, "sip-options", "major", 5061),
        f"{sbc} does not answer SIP OPTIONS",
        "No 200 OK to 3 OPTIONS pings.",
        (20, 45),
        sbc,
    )
    symptom(
        host("SIPRegistrationsDropped", sbc, "sbc", "critical", 9090),
        "SIP registrations on sbc-strasbourg dropped by more than half",
        "Registered endpoints fell from 212 to 0 within 5 minutes.",
        (30, 60),
        sbc,
    )
    cpe_number = 4100
    for switch, cpes in STRASBOURG_SWITCHES.items():
        symptom(
            host("ProbeFailed", switch, "blackbox-icmp", "major") | {"module": "icmp"},
            f"{switch} does not answer ping",
            "ICMP probe from Paris failed 3 times.",
            (15, 35),
            switch,
        )
        symptom(
            host("InstanceDown", switch, "snmp", "critical"),
            f"{switch} is down",
            "SNMP polling of the switch has failed for 1 minute.",
            (60, 85),
            switch,
        )
        symptom(
            host("HighPacketLoss", switch, "smokeping", "major"),
            f"Packet loss to {switch} above 20 %",
            "Smokeping measures 100 % loss.",
            (25, 50),
            switch,
        )
        for _ in range(cpes):
            cpe_number += rng.randrange(1, 40)
            cpe = f"cpe-{cpe_number}"
            symptom(
                {
                    "access_switch": switch,
                    "alertname": "CPEUnreachable",
                    "customer_ref": f"MFN-C-{rng.randrange(2019, 2025)}-{rng.randrange(999):04d}",
                    "instance": f"{cpe}.cust.metro.example",
                    "job": "blackbox-cpe",
                    "severity": "major",
                },
                f"{cpe} behind {switch} is unreachable",
                "The customer's router has not answered ping for 1 minute.",
                (40, 115),
                switch,
            )


def core_patching(m: Month) -> None:
    """Sunday 14 April, 02:00 Paris: core-router-1 reboots in its weekly patching window."""
    m.add(
        host("ProbeFailed", "core-router-1", "blackbox-icmp", "major") | {"module": "icmp"},
        "core-router-1 does not answer ping",
        "ICMP probe from Paris failed 3 times.",
        m.at("2024-04-14T00:04:41"),
        m.at("2024-04-14T00:19:02"),
    )
    m.add(
        host("InstanceDown", "core-router-1", "snmp", "critical"),
        "core-router-1 is down",
        "SNMP polling of the router has failed for 1 minute.",
        m.at("2024-04-14T00:05:12"),
        m.at("2024-04-14T00:19:40"),
    )
    m.add(
        bgp(
            "core-router-2",
            "10.255.0.1",
            "64512",
            peer="core-router-1",
            peer_description="iBGP core-router-1",
        ),
        "BGP session to core-router-1 on core-router-2 is down",
        "The session left Established after the hold timer expired.",
        m.at("2024-04-14T00:06:05"),
        m.at("2024-04-14T00:19:55"),
    )
    m.add(
        {
            "alertname": "PathProbeFailed",
            "component": "uplink-a",
            "instance": "probe-ext-1.ripe-anchor.example",
            "job": "blackbox-path",
            "severity": "major",
        },
        "No path into the network through uplink-a",
        "The external probe cannot reach the loopback announced on uplink-a only.",
        m.at("2024-04-14T00:05:30"),
        m.at("2024-04-14T00:20:10"),
    )


def flapping_resolver(m: Month) -> None:
    """16 April, 19:40 UTC: the DNS probe of dns-resolver-3 times out on and off for 30 min."""
    rng = m.rng
    t = m.at("2024-04-16T19:40:12")
    stop = datetime(2024, 4, 16, 20, 10, tzinfo=UTC)
    labels = host("DNSProbeFailed", "dns-resolver-3", "blackbox-dns", "major")
    labels |= {"module": "dns_udp_metro"}
    while t < stop:
        end = t + timedelta(seconds=rng.uniform(70, 170))
        m.add(
            labels,
            "DNS probe of dns-resolver-3 fails",
            "The resolver did not answer the test query within 2 s.",
            t,
            end,
        )
        t = end + timedelta(seconds=rng.uniform(75, 180))


def carrier_resplice(m: Month) -> None:
    """18 April, 01:00–04:00 Zurich: the carrier re-splices uplink-b's route, as announced."""
    alias = "uplink-b: Alpine Transit 10G wave AT-W-0117"
    down, up = m.at("2024-04-17T23:14:22"), m.at("2024-04-17T23:58:05")
    m.add(
        snmp_link("core-router-2", "et-0/0/1", alias),
        "core-router-2 et-0/0/1 (uplink-b) is down",
        f"Interface et-0/0/1 ({alias}) on core-router-2 is operationally down.",
        down,
        up,
    )
    m.add(
        bgp(
            "core-router-2",
            "185.62.144.9",
            "60312",
            uplink="uplink-b",
            peer_description="Alpine Transit",
        ),
        "BGP session to Alpine Transit (185.62.144.9) on core-router-2 is down",
        "The session left Established after the hold timer expired.",
        down + timedelta(seconds=89),
        up + timedelta(seconds=64),
    )


CHANNELS = ("lumiere-films", "lumiere-docs", "arena-live-1", "arena-live-2")


def stream_probe(channel: str) -> dict:
    return {
        "alertname": "StreamProbeFailed",
        "channel": channel,
        "instance": f"https://tv.metro.example/live/{channel}/index.m3u8",
        "job": "blackbox-stream",
        "severity": "critical",
    }


def late_root_cdn(m: Month) -> None:
    """20 April, 15:31 UTC: a configuration push kills the CDN cache; the viewers' probes see it
    first, the caches' own InstanceDown arrives a minute later."""
    rng = m.rng
    first = m.at("2024-04-20T15:31:10")
    fixed = m.at("2024-04-20T16:14:31")
    for channel in CHANNELS:
        m.add(
            stream_probe(channel),
            f"Channel {channel} does not play",
            "The stream probe got no playable segment for 15 s.",
            first + timedelta(seconds=rng.uniform(0, 14)),
            fixed + timedelta(seconds=rng.uniform(25, 60)),
        )
    for n in range(1, 5):
        m.add(
            host("InstanceDown", f"cdn-cache-{n:02d}", "nginx", "critical", 9113),
            f"cdn-cache-{n:02d}:9113 is down",
            "The nginx exporter has not answered a scrape for 1 minute.",
            first + timedelta(seconds=60 + rng.uniform(0, 12)),
            fixed + timedelta(seconds=rng.uniform(0, 14)),
        )


def origin_reopen(m: Month) -> None:
    """27 April, 17:05 UTC: Arena's origin fails during the evening match, comes back at 17:19,
    fails again at 17:52 (within the hour), and is fixed at 18:08."""
    rng = m.rng
    origin = {
        "alertname": "OriginUnavailable",
        "instance": "https://live.arena-sports.example/ch1/master.m3u8",
        "job": "blackbox-origin",
        "origin": "origin-arena",
        "severity": "critical",
    }
    for down, up in (("17:05:12", "17:19:40"), ("17:52:03", "18:08:55")):
        start, end = m.at(f"2024-04-27T{down}"), m.at(f"2024-04-27T{up}")
        m.add(
            origin,
            "Arena Sports Live origin does not answer",
            "HTTP probe of the origin playlist: 502 Bad Gateway.",
            start,
            end,
        )
        for channel in ("arena-live-1", "arena-live-2"):
            m.add(
                stream_probe(channel),
                f"Channel {channel} does not play",
                "The stream probe got no playable segment for 15 s.",
                start + timedelta(seconds=rng.uniform(18, 30)),
                end + timedelta(seconds=rng.uniform(15, 30)),
            )


def noise(m: Month) -> None:
    """Warnings and alerts about things that are not on the dependency map, all month."""
    m.add(
        {
            "alertname": "CertificateExpiringSoon",
            "instance": "https://portal.metro.example",
            "job": "blackbox-https",
            "severity": "warning",
        },
        "TLS certificate of https://portal.metro.example expires in less than 30 days",
        "The customer portal's certificate expires on 2024-05-01T06:00:00Z.",
        m.at("2024-04-01T06:00:12"),
        m.at("2024-04-18T10:31:05"),
    )
    m.add(
        host("DiskSpaceLow", "sip-proxy-1", "node", "warning", 9100)
        | {"device": "/dev/sda3", "fstype": "ext4", "mountpoint": "/var/log"},
        "Less than 10 % free on /var/log of sip-proxy-1",
        "Call detail logs fill /var/log; log rotation did not run.",
        m.at("2024-04-05T03:10:44"),
        m.at("2024-04-05T09:42:18"),
    )
    m.add(
        {
            "alertname": "PrinterTonerLow",
            "instance": "printer-noc-2f.office.metro.example",
            "job": "snmp-office",
            "marker": "black",
            "severity": "warning",
        },
        "Toner low on the NOC printer (2nd floor)",
        "Black toner below 5 %.",
        m.at("2024-04-08T07:12:09"),
        m.at("2024-04-09T13:40:51"),
    )
    m.add(
        {
            "alertname": "InstanceDown",
            "env": "lab",
            "instance": "lab-bng-test-01.lab.metro.example:9100",
            "job": "node",
            "severity": "critical",
        },
        "lab-bng-test-01.lab.metro.example:9100 is down",
        "The node exporter has not answered a scrape for 1 minute.",
        m.at("2024-04-17T10:02:33"),
        m.at("2024-04-17T16:31:20"),
    )
    m.add(
        host("NodeClockNotSynchronising", "dns-resolver-2", "node", "warning", 9100),
        "Clock of dns-resolver-2 is not synchronising",
        "chronyd lost its NTP sources.",
        m.at("2024-04-22T04:12:31"),
        m.at("2024-04-22T05:03:09"),
    )
    m.add(
        host("CertificateExpiringSoon", "sip-proxy-2", "blackbox-tls", "warning", 5061),
        "TLS certificate of sip-proxy-2.metro.example:5061 expires in less than 30 days",
        "The SIP TLS certificate expires on 2024-05-24T06:00:00Z.",
        m.at("2024-04-24T06:00:07"),
        m.at("2024-04-26T14:12:40"),
    )
    m.add(
        host("SMARTDiskFailing", "backup-nas-1", "node", "warning", 9100) | {"device": "sdc"},
        "Disk sdc of backup-nas-1 reports SMART failure",
        "Reallocated sector count above threshold.",
        m.at("2024-04-25T02:14:56"),
        m.at("2024-04-26T11:05:13"),
    )
    m.add(
        host("HighLatency", "core-router-2", "blackbox-icmp", "warning") | {"module": "icmp"},
        "Round-trip time to core-router-2 above 20 ms",
        "Average RTT over 5 minutes is 41 ms (control-plane policing under a scan).",
        m.at("2024-04-29T18:40:19"),
        m.at("2024-04-29T19:05:02"),
    )


SCENARIOS = (
    redundant_uplink,
    radius_upgrade,
    storm,
    core_patching,
    flapping_resolver,
    carrier_resplice,
    late_root_cdn,
    origin_reopen,
    noise,
)


def month() -> list[Episode]:
    m = Month()
    for scenario in SCENARIOS:
        scenario(m)
    return m.episodes


# --- Alertmanager ---------------------------------------------------------------------------


@dataclass
class _Alert:
    episode: Episode
    ends: datetime | None = None


@dataclass
class _Group:
    key: str
    route: Route
    labels: dict[str, str]
    alerts: dict[str, _Alert] = field(default_factory=dict)
    next_flush: datetime | None = None


@dataclass(frozen=True)
class _Logged:
    firing: frozenset[str]
    resolved: frozenset[str]
    at: datetime


def group_key(route: Route, labels: dict[str, str]) -> str:
    inner = ", ".join(f"{k}={json.dumps(v)}" for k, v in labels.items())
    return f"{{}}/{route.matcher}:{{{inner}}}"


def needs_update(
    entry: _Logged | None, firing: set[str], resolved: set[str], repeat: timedelta, now: datetime
) -> bool:
    """Alertmanager's DedupStage.needsUpdate, with send_resolved."""
    if entry is None:
        return bool(firing)
    if not firing <= entry.firing:
        return True
    if not firing:
        return bool(entry.firing)
    if not resolved <= entry.resolved:
        return True
    return entry.at < now - repeat


def go_time(t: datetime) -> str:
    """A UTC time as Go's RFC 3339 with nanoseconds writes it (trailing zeros dropped)."""
    text = t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    if t.microsecond:
        text += f".{t.microsecond:06d}".rstrip("0")
    return text + "Z"


def generator_url(alertname: str) -> str:
    return f"{PROMETHEUS}/graph?g0.expr={quote_plus(EXPRESSIONS[alertname])}&g0.tab=1"


def _common(maps: list[dict[str, str]]) -> dict[str, str]:
    first = maps[0]
    return {k: v for k, v in sorted(first.items()) if all(m.get(k) == v for m in maps[1:])}


def _order(a: _Alert) -> tuple:
    labels = a.episode.labels
    return (
        labels.get("job") is None,
        labels.get("job", ""),
        labels.get("instance") is None,
        labels.get("instance", ""),
        tuple(sorted(labels.items())),
    )


def payload(group: _Group, now: datetime) -> dict:
    alerts = sorted(group.alerts.values(), key=_order)
    out = []
    for a in alerts:
        ep = a.episode
        resolved = a.ends is not None and a.ends <= now
        out.append(
            {
                "status": "resolved" if resolved else "firing",
                "labels": ep.labels,
                "annotations": ep.annotations,
                "startsAt": go_time(ep.start),
                "endsAt": go_time(a.ends) if resolved and a.ends else ZERO_TIME,
                "generatorURL": generator_url(ep.labels["alertname"]),
                "fingerprint": ep.fingerprint,
            }
        )
    firing = any(a["status"] == "firing" for a in out)
    return {
        "receiver": RECEIVER,
        "status": "firing" if firing else "resolved",
        "alerts": out,
        "groupLabels": group.labels,
        "commonLabels": _common([a.episode.labels for a in alerts]),
        "commonAnnotations": _common([a.episode.annotations for a in alerts]),
        "externalURL": ALERTMANAGER,
        "version": "4",
        "groupKey": group.key,
        "truncatedAlerts": 0,
    }


def notifications(episodes: list[Episode]) -> Iterator[tuple[datetime, dict, bool]]:
    """(sent at, payload, delivered twice) in the order Alertmanager sends them."""
    queue: list[tuple[datetime, int, int, str, object]] = []
    seq = 0
    for ep in episodes:
        queue.append((ep.start, 1, seq, "fire", ep))
        queue.append((ep.end, 0, seq + 1, "resolve", ep))
        seq += 2
    heapq.heapify(queue)
    groups: dict[str, _Group] = {}
    log: dict[str, _Logged] = {}
    retried: set[str] = set()
    while queue:
        at, _, _, kind, item = heapq.heappop(queue)
        if kind == "flush":
            group = groups.get(str(item))
            if group is None or group.next_flush != at:
                continue
            firing = {fp for fp, a in group.alerts.items() if a.ends is None or a.ends > at}
            resolved = set(group.alerts) - firing
            route = group.route
            if needs_update(log.get(group.key), firing, resolved, route.repeat_interval, at):
                body = payload(group, at)
                twice = False
                for fp in firing:
                    ep = group.alerts[fp].episode
                    if ep.duplicate and fp not in retried:
                        retried.add(fp)
                        twice = True
                yield at, body, twice
                log[group.key] = _Logged(frozenset(firing), frozenset(resolved), at)
            for fp in resolved:
                del group.alerts[fp]
            if group.alerts:
                group.next_flush = at + route.group_interval
                heapq.heappush(queue, (group.next_flush, 2, seq, "flush", group.key))
                seq += 1
            else:
                del groups[group.key]
            continue
        assert isinstance(item, Episode)
        route = route_of(item.labels)
        labels = {k: item.labels[k] for k in route.group_by if k in item.labels}
        key = group_key(route, labels)
        if kind == "fire":
            group = groups.get(key)
            if group is None:
                group = groups[key] = _Group(key, route, labels)
                group.next_flush = at + route.group_wait
                heapq.heappush(queue, (group.next_flush, 2, seq, "flush", key))
                seq += 1
            group.alerts[item.fingerprint] = _Alert(item)
        else:
            groups[key].alerts[item.fingerprint].ends = at


def go_json(data: dict) -> str:
    """Compact JSON with Go's HTML-safe escapes, as Alertmanager's encoder writes it."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def render() -> str:
    """The whole file: one payload per line, in the order they are sent."""
    lines = []
    for _, body, twice in notifications(month()):
        line = go_json(body)
        lines.append(line)
        if twice:
            lines.append(line)  # the receiver timed out; Alertmanager retried the same body
    return "\n".join(lines) + "\n"


def main() -> int:
    OUTPUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUTPUT.name}: {OUTPUT.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
