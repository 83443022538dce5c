"""Write the evidence of Metro Fibre's April 2024 beside its alerts: measurements of every
declared series, customer feedback, reviews and attestations of the security policy.

    .venv/bin/python examples/metro-isp/measurements/make_measurements.py [--out DIR]

Files (paths relative to the example folder, or to ``--out``):

* ``measurements/2024-04.latency.csv``: latency and jitter series, one sample every 30 min;
* ``measurements/2024-04.throughput.csv``: hourly throughput tests, and the in-store screens'
  delivered rate as 15-minute averages during opening hours;
* ``measurements/2024-04.counts.csv``: loss (frames sent and delivered) and good/total events
  (calls set up, streams started): hourly sums, and the 5-minute readings themselves in the
  hours an incident touched the data;
* ``measurements/2024-04.packets.csv``: the hospital's synthetic RTP stream, the first 10
  packets of the test call every four hours (RFC 3550 jitter is computed from them);
* ``feedback/feedback.csv``: CSAT, NPS and comments, January to April;
* ``feedback/reviews.json``: a listening session and a service review, with their actions;
* ``attestations/corporate-security.csv``: the corporate policy's controls, January to April.

The month runs from midnight on 1 April in Paris (2024-03-31T22:00Z) to midnight on 1 May UTC,
so April is whole in either clock. The probes sample more often than the files keep: series
declared every minute keep one sample in thirty (an unbiased thinning, so their percentiles
stay estimates of the minute-by-minute ones), and counts declared every 5 minutes are summed
per hour (a ratio of sums does not change when counts are added) except in the hours listed in
:data:`DETAIL`. That keeps the committed files under 1.5 MB, where a month at the declared
intervals would take 20 MB (and the hospital's whole RTP stream 400 MB more).

The scenarios (see the README's "A month of measurements" section) line up with the alerts of
``events/make_alerts.py``: uplink-a's failure and return on 3 April, core-router-1's reboot on
14 April and uplink-b's re-splice on 17 April each lose traffic for a few seconds while
routing converges; the Strasbourg backhaul cut on 11 April silences the campus probe; the CDN
cache failure of 20 April and Arena's origin on 27 April fail stream starts; the carrier's PSTN
interconnect fails calls on 23 April. Quai Capital's new La Défense route, promised for
15 April with a 2 ms latency target, carries its traffic only from the evening of 22 April.

Incident ids in the feedback are derived by replaying the month's alerts through the
correlator, as Servanda would when ingesting them.

Deterministic: each series draws from its own ``random.Random`` seeded with its name, no clock,
so running the script again gives the same bytes.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import random
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from servanda.config.loader import load_config
from servanda.events.correlate import Correlator
from servanda.events.incidents import Incident
from servanda.events.mapping import NodeMapper
from servanda.events.model import Event, Status
from servanda.ingest.alertmanager import parse_alertmanager
from servanda.ingest.event_files import read_event_file

SEED = 20240401
EXAMPLE = Path(__file__).resolve().parents[1]
PARIS = ZoneInfo("Europe/Paris")
START = datetime(2024, 3, 31, 22, tzinfo=UTC)
"""Midnight on 1 April in Paris."""
END = datetime(2024, 5, 1, tzinfo=UTC)
"""Midnight on 1 May UTC."""
FIVE = timedelta(minutes=5)
HOUR = timedelta(hours=1)
SAMPLE_EVERY = timedelta(minutes=30)
"""Latency and jitter probes run every minute; the files keep one sample in thirty."""
SCREEN_AVERAGE = timedelta(minutes=15)
"""The screens' delivered rate is logged every 5 minutes; the file keeps 15-minute averages."""
PACKET_BURST_EVERY = timedelta(hours=4)
PACKETS_PER_BURST = 10
PACKET_SPACING = timedelta(milliseconds=20)
"""RTP at 50 packets a second."""


def utc(text: str) -> datetime:
    """An instant written in UTC, without its ``Z``."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def paris(text: str) -> datetime:
    """An instant written on the Paris clock."""
    return datetime.fromisoformat(text).replace(tzinfo=PARIS)


# --- The month: what happened, as the alerts of events/make_alerts.py tell it -----------------

UPLINK_A_DOWN = utc("2024-04-03T14:20:05")
UPLINK_A_UP = utc("2024-04-03T16:05:12")
BACKHAUL_CUT = utc("2024-04-11T10:02:07")
CAMPUS_BACK = utc("2024-04-11T11:49:00")
"""sw-illkirch-campus answers again a minute and a half after the backhaul is repaired."""
CORE_1_DOWN = utc("2024-04-14T00:04:41")
CORE_1_UP = utc("2024-04-14T00:19:40")
UPLINK_B_DOWN = utc("2024-04-17T23:14:22")
UPLINK_B_UP = utc("2024-04-17T23:58:05")
CDN_DOWN = (utc("2024-04-20T15:31:10"), utc("2024-04-20T16:14:31"))
ORIGIN_DOWN = (
    (utc("2024-04-27T17:05:12"), utc("2024-04-27T17:19:40")),
    (utc("2024-04-27T17:52:03"), utc("2024-04-27T18:08:55")),
)
PSTN_DOWN = (utc("2024-04-23T08:41:05"), utc("2024-04-23T08:55:52"))
ROUTE_CUTOVER = paris("2024-04-22T22:30")
"""Quai Capital's traffic moves to the new La Défense – Saint-Denis dark fibre: a week after
15 April, the day the contract's second version (2 ms) counts from."""

Episode = tuple[datetime, datetime, float]
"""(start, end, share of the traffic lost meanwhile)."""


def convergence(at: datetime, seconds: float) -> Episode:
    """Half the traffic (what rode the failed path) lost while routing converges."""
    return (at, at + timedelta(seconds=seconds), 0.5)


UPLINK_LOSS: tuple[Episode, ...] = (
    convergence(UPLINK_A_DOWN, 41),
    convergence(UPLINK_A_UP, 4),
    convergence(UPLINK_B_DOWN, 33),
    convergence(UPLINK_B_UP, 3),
)
"""Traffic leaving through the uplinks (Internet access, the VPNs)."""
CORE_LOSS: tuple[Episode, ...] = (convergence(CORE_1_DOWN, 26), convergence(CORE_1_UP, 2))
"""Everything crossing the core."""

DETAIL = (
    (UPLINK_A_DOWN, UPLINK_A_UP),
    (CORE_1_DOWN, CORE_1_UP),
    (UPLINK_B_DOWN, UPLINK_B_UP),
    CDN_DOWN,
    PSTN_DOWN,
    *ORIGIN_DOWN,
)
"""Incidents that touched the data: counts keep their 5-minute readings in these hours."""

HOLIDAYS = frozenset({date(2024, 4, 1)})
"""Easter Monday: a holiday in every French calendar of calendars.yaml (not the hospital's)."""
CAMPUS_BREAK = frozenset(date(2024, 4, d) for d in range(22, 27))
"""The institute's spring break (calendars.yaml, campus-strasbourg)."""


# --- Load of the day, on the Paris clock ---------------------------------------------------------


def _clock(t: datetime) -> tuple[date, int, float]:
    local = t.astimezone(PARIS)
    return local.date(), local.weekday(), local.hour + local.minute / 60


def trading_load(t: datetime) -> float:
    """Quai Capital: the trading day, continuous trading busiest."""
    day, weekday, h = _clock(t)
    if weekday >= 5 or day in HOLIDAYS:
        return 0.03
    if 9 <= h < 17.5:
        return 1.0
    if 7 <= h < 9:
        return 0.35
    if 17.5 <= h < 22:
        return 0.45
    return 0.05


def office_load(t: datetime) -> float:
    """Bertin & Associés: office hours."""
    day, weekday, h = _clock(t)
    if weekday >= 5 or day in HOLIDAYS:
        return 0.03
    if 9 <= h < 18:
        return 1.0
    if 8 <= h < 19:
        return 0.5
    return 0.05


def hospital_load(t: datetime) -> float:
    """Hôpital Saint-Luc: around the clock, theatre hours busiest."""
    _, weekday, h = _clock(t)
    if 7.5 <= h < 19.5:
        return 1.0 if weekday < 5 else 0.55
    if 6 <= h < 23:
        return 0.45
    return 0.15


def store_open(t: datetime) -> bool:
    """Horizon Sport's stores (retail-stores): 09:30–20:00, Saturdays 09:00–20:30."""
    day, weekday, h = _clock(t)
    if day in HOLIDAYS or weekday == 6:
        return False
    if weekday == 5:
        return 9 <= h < 20.5
    return 9.5 <= h < 20


def retail_load(t: datetime) -> float:
    if not store_open(t):
        return 0.04
    return 1.25 if t.astimezone(PARIS).weekday() == 5 else 1.0


def campus_load(t: datetime) -> float:
    """Institut Rhénan: term days, a quiet spring break."""
    day, weekday, h = _clock(t)
    if weekday == 6 or day in HOLIDAYS:
        return 0.05
    if weekday == 5:
        return 0.35 if 8 <= h < 12.5 else 0.05
    if day in CAMPUS_BREAK:
        return 0.25 if 8 <= h < 18 else 0.05
    if 8 <= h < 18:
        return 1.0
    if 7.5 <= h < 20:
        return 0.5
    return 0.05


# --- Randomness -------------------------------------------------------------------------------


class Draw:
    """The random numbers of one series: only ``random()`` of a seeded ``random.Random``, whose
    sequence Python keeps from version to version."""

    def __init__(self, name: str) -> None:
        self.rng = random.Random(f"{SEED}:{name}")

    def uniform(self, low: float, high: float) -> float:
        return low + (high - low) * self.rng.random()

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def exponential(self, mean: float) -> float:
        return -mean * math.log(1.0 - self.rng.random())

    def normal(self, sd: float) -> float:
        """Irwin–Hall: twelve uniforms make a normal deviate, no transcendental function."""
        return sd * (sum(self.rng.random() for _ in range(12)) - 6.0)

    def failures(self, n: int, p: float) -> int:
        """How many of ``n`` independent tries fail, each with probability ``p``."""
        return sum(1 for _ in range(n) if self.rng.random() < p)


def grid(step: timedelta, start: datetime = START, end: datetime = END) -> Iterator[datetime]:
    t = start
    while t < end:
        yield t
        t += step


def overlap(a: datetime, b: datetime, c: datetime, d: datetime) -> float:
    """Seconds [a, b) and [c, d) share."""
    return max(0.0, (min(b, d) - max(a, c)).total_seconds())


def stamp(t: datetime) -> str:
    """RFC 3339 in UTC, to the second, or to the millisecond or microsecond when needed."""
    text = t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    if t.microsecond:
        fraction = f"{t.microsecond:06d}"
        text += "." + (fraction[:3] if fraction.endswith("000") else fraction)
    return text + "Z"


# --- Latency and jitter (ms), one sample every 30 minutes ----------------------------------------


@dataclass(frozen=True)
class Probe:
    """A value series: the sample at ``t``, or None when the probe got no answer."""

    series: str
    decimals: int
    sample: Callable[[Draw, datetime], float | None]


def spike(d: Draw, p: float, low: float, high: float) -> float:
    """A rare extra delay (a microburst, a busy path)."""
    return d.uniform(low, high) if d.chance(p) else 0.0


def within(t: datetime, start: datetime, end: datetime) -> bool:
    return start <= t < end


def quai_latency(d: Draw, t: datetime) -> float:
    """TWAMP to the France-IX route servers: 2.3 ms on the old path, 1.3 ms on the new dark
    fibre; through the carrier's transit while uplink-a (the France-IX port) is down."""
    load = trading_load(t)
    if t < ROUTE_CUTOVER:
        value = 2.28 + 0.12 * load + d.exponential(0.06)
    else:
        value = 1.31 + 0.08 * load + d.exponential(0.05)
    if within(t, UPLINK_A_DOWN, UPLINK_A_UP):
        value += 4.1
    return value + spike(d, 0.004, 0.8, 4.0)


def quai_jitter(d: Draw, t: datetime) -> float:
    value = 0.035 + 0.03 * trading_load(t) + d.exponential(0.02)
    if within(t, UPLINK_A_DOWN, UPLINK_A_UP):
        value += 0.25
    return value + spike(d, 0.004, 0.2, 1.5)


def quai_vpn_latency(d: Draw, t: datetime) -> float:
    """La Défense – London over the tunnel."""
    value = 8.45 + 0.35 * trading_load(t) + d.exponential(0.12)
    if within(t, UPLINK_A_DOWN, UPLINK_A_UP):
        value += 1.8
    return value + spike(d, 0.004, 1.0, 6.0)


def bertin_vpn_latency(d: Draw, t: datetime) -> float:
    return 3.1 + 0.6 * office_load(t) + d.exponential(0.25) + spike(d, 0.005, 3.0, 20.0)


def hospital_latency(d: Draw, t: datetime) -> float:
    value = 1.45 + 0.25 * hospital_load(t) + d.exponential(0.08)
    if within(t, UPLINK_A_DOWN, UPLINK_A_UP):
        value += 3.5
    return value + spike(d, 0.004, 1.0, 5.0)


def hospital_voice_latency(d: Draw, t: datetime) -> float:
    return 5.8 + 0.9 * hospital_load(t) + d.exponential(0.4) + spike(d, 0.003, 10.0, 40.0)


def rhenan_latency(d: Draw, t: datetime) -> float | None:
    """Strasbourg campus – France-IX Paris over the carrier's backhaul: no answer while the
    backhaul is cut."""
    value = 9.4 + 1.6 * campus_load(t) + d.exponential(0.3) + spike(d, 0.004, 3.0, 12.0)
    return None if within(t, BACKHAUL_CUT, CAMPUS_BACK) else value


PROBES = (
    Probe("quai-internet-latency", 3, quai_latency),
    Probe("quai-internet-jitter", 3, quai_jitter),
    Probe("quai-vpn-latency", 2, quai_vpn_latency),
    Probe("bertin-vpn-latency", 2, bertin_vpn_latency),
    Probe("hospital-internet-latency", 3, hospital_latency),
    Probe("hospital-voice-latency", 2, hospital_voice_latency),
    Probe("rhenan-internet-latency", 2, rhenan_latency),
)


def latency_csv() -> str:
    lines = ["series,at,value"]
    for probe in PROBES:
        d = Draw(probe.series)
        for t in grid(SAMPLE_EVERY):
            value = probe.sample(d, t)
            if value is not None:
                lines.append(f"{probe.series},{stamp(t)},{value:.{probe.decimals}f}")
    return "\n".join(lines) + "\n"


# --- Throughput (bit/s) ------------------------------------------------------------------------

TEST_LENGTH = timedelta(seconds=10)
"""A throughput test runs 10 seconds; its measurement is taken at the end."""


def hourly_tests(
    series: str,
    mean: float,
    busy_drop: float,
    sd: float,
    load: Callable[[datetime], float],
    offsets: Sequence[timedelta] = (timedelta(0),),
    down: tuple[datetime, datetime] | None = None,
) -> list[str]:
    d = Draw(series)
    rows = []
    for hour in grid(HOUR):
        for offset in offsets:
            began = hour + offset
            rate = mean - busy_drop * load(began) + d.normal(sd)
            if down is not None and overlap(began, began + TEST_LENGTH, *down):
                continue  # the test server could not be reached: no result
            rows.append(f"{series},{stamp(began + TEST_LENGTH)},,{round(rate, -3):.0f}")
    return rows


def screen_rates() -> list[str]:
    """Delivered rate per screen, averaged over 15 minutes while the stores are open; none while
    the cache is down (no session plays)."""
    series = "horizon-video-throughput"
    d = Draw(series)
    rows = []
    for start in grid(SCREEN_AVERAGE):
        if not store_open(start):
            continue
        middle = start + SCREEN_AVERAGE / 2
        if within(middle, *CDN_DOWN):
            continue
        busy = start.astimezone(PARIS).weekday() == 5  # Saturday: more screens on the cache
        rate = (27.8e6 if busy else 28.4e6) + d.normal(0.45e6)
        rows.append(f"{series},{stamp(start + SCREEN_AVERAGE)},{stamp(start)},{rate:.0f}")
    return rows


def throughput_csv() -> str:
    lines = ["series,at,start,value"]
    lines += hourly_tests("quai-internet-throughput", 9.62e9, 0.12e9, 0.03e9, trading_load)
    lines += hourly_tests(
        "hospital-internet-throughput",
        941e6,
        15e6,
        3e6,
        hospital_load,
        offsets=(timedelta(0), timedelta(minutes=30)),  # line A, then line B
    )
    lines += hourly_tests("horizon-internet-throughput", 297e6, 20e6, 6e6, retail_load)
    lines += hourly_tests(
        "rhenan-internet-throughput",
        1.92e9,
        0.12e9,
        0.025e9,
        campus_load,
        down=(BACKHAUL_CUT, CAMPUS_BACK),
    )
    lines += screen_rates()
    return "\n".join(lines) + "\n"


# --- Counts: loss and good/total events, per 5 minutes --------------------------------------------

Counts = list[tuple[datetime, int, int]]
"""(start of the 5-minute interval, good, total)."""


def lost_share(start: datetime, episodes: Sequence[Episode]) -> float:
    """Share of an interval's traffic the episodes lose."""
    end = start + FIVE
    return sum(overlap(start, end, a, b) / FIVE.total_seconds() * r for a, b, r in episodes)


def frames(
    series: str,
    quiet: float,
    busy: float,
    load: Callable[[datetime], float],
    episodes: Sequence[Episode],
    background: tuple[float, int],
) -> Counts:
    """Frames sent per interval and those delivered: all but what the episodes lose and, now
    and then, a few errored frames (``background``: the chance an interval has some, and at
    most how many)."""
    d = Draw(series)
    p, most = background
    out = []
    for start in grid(FIVE):
        total = round((quiet + busy * load(start)) * d.uniform(0.9, 1.1))
        lost = round(total * lost_share(start, episodes))
        if d.chance(p):
            lost += 1 + int(d.uniform(0, most))
        out.append((start, total - min(lost, total), total))
    return out


def probe_packets(series: str, per_interval: int, episodes: Sequence[Episode], p: float) -> Counts:
    """Probe packets: a fixed number sent every interval; one or two lost now and then."""
    d = Draw(series)
    out = []
    for start in grid(FIVE):
        lost = round(per_interval * lost_share(start, episodes))
        if d.chance(p):
            lost += 1 + int(d.uniform(0, 2))
        out.append((start, per_interval - lost, per_interval))
    return out


def call_setup() -> Counts:
    """Hospital call attempts and those set up; the carrier's PSTN interconnect answers 503
    for a quarter of an hour on 23 April: nine calls in ten fail, and people redial."""
    d = Draw("sip-call-setup")
    out = []
    for start in grid(FIVE):
        load = hospital_load(start)
        rate = 3 + 22 * load if start.astimezone(PARIS).weekday() < 5 else 3 + 12 * load
        attempts = round(rate * d.uniform(0.7, 1.3))
        down = overlap(start, start + FIVE, *PSTN_DOWN) / FIVE.total_seconds()
        attempts = round(attempts * (1 + 0.8 * down))
        failed = min(attempts, round(attempts * down * 0.9) + d.failures(attempts, 0.0015))
        out.append((start, attempts - failed, attempts))
    return out


SCREENS = 24
"""Four screens in each of the six stores."""
ARENA_SCREENS = 10
"""Screens showing Arena's live channels on a Saturday evening."""
RETRIES_PER_MINUTE = 0.25
"""A player that fails to start retries with back-off: about once every four minutes."""


def stream_starts() -> Counts:
    """Stream starts on the in-store screens and those that played within 3 seconds."""
    d = Draw("stream-starts")
    out = []
    for start in grid(FIVE):
        if not store_open(start):
            continue
        end = start + FIVE
        saturday = start.astimezone(PARIS).weekday() == 5
        attempts = round(d.uniform(0, 2) * (3.4 if saturday else 2.4))
        if not store_open(start - FIVE):
            attempts += SCREENS  # the screens switch on at opening
        failed = d.failures(attempts, 0.004)  # slower than 3 s
        cdn = overlap(start, end, *CDN_DOWN) / 60
        if cdn:
            share = cdn / 5
            attempts = round(attempts * (1 - share))
            failed = min(failed, attempts)
            retries = round(SCREENS * cdn * RETRIES_PER_MINUTE)
            attempts, failed = attempts + retries, failed + retries
        elif within(start - FIVE, *CDN_DOWN):
            attempts += SCREENS  # every screen starts again once the cache is back
        for a, b in ORIGIN_DOWN:
            arena = overlap(start, end, a, b) / 60
            if arena:
                retries = round(ARENA_SCREENS * arena * RETRIES_PER_MINUTE)
                attempts, failed = attempts + retries, failed + retries
            elif within(start - FIVE, a, b):
                attempts += ARENA_SCREENS
        if attempts:
            out.append((start, attempts - failed, attempts))
    return out


def in_detail(hour: datetime) -> bool:
    return any(overlap(hour, hour + HOUR, a, b) for a, b in DETAIL)


def count_rows(series: str, counts: Counts) -> list[str]:
    """Hourly sums, or the 5-minute readings in the hours of :data:`DETAIL`."""
    by_hour: dict[datetime, list[tuple[datetime, int, int]]] = {}
    for start, good, total in counts:
        by_hour.setdefault(start.replace(minute=0), []).append((start, good, total))
    rows = []
    for hour, readings in by_hour.items():
        if in_detail(hour):
            rows += [f"{series},{stamp(s + FIVE)},{stamp(s)},{g},{n}" for s, g, n in readings]
        else:
            good, total = sum(r[1] for r in readings), sum(r[2] for r in readings)
            end = readings[-1][0] + FIVE
            rows.append(f"{series},{stamp(end)},{stamp(readings[0][0])},{good},{total}")
    return rows


def counts_csv() -> str:
    internet = (*UPLINK_LOSS, *CORE_LOSS)
    series: list[tuple[str, Counts]] = [
        ("quai-internet-loss", frames("quai-internet-loss", 18e6, 72e6, trading_load, internet,
                                      (0.005, 300))),
        ("quai-vpn-loss", probe_packets("quai-vpn-loss", 3000, internet, 0.004)),
        ("bertin-vpn-loss", probe_packets("bertin-vpn-loss", 3000, internet, 0.006)),
        ("hospital-internet-loss", frames("hospital-internet-loss", 6e6, 20e6, hospital_load,
                                          internet, (0.006, 200))),
        ("hospital-voice-loss", probe_packets("hospital-voice-loss", 500, CORE_LOSS, 0.004)),
        ("sip-call-setup", call_setup()),
        ("horizon-internet-loss", frames("horizon-internet-loss", 0.8e6, 9e6, retail_load,
                                         internet, (0.008, 120))),
        ("stream-starts", stream_starts()),
    ]  # fmt: skip
    lines = ["series,at,start,good,total"]
    for name, counts in series:
        lines += count_rows(name, counts)
    return "\n".join(lines) + "\n"


# --- Packets of the hospital's synthetic RTP stream -----------------------------------------------


def packets_csv() -> str:
    """Sent and received instants of each probe packet: one-way delay about 2.4 ms with a
    little queueing, so RFC 3550 jitter stays well under a millisecond."""
    series = "hospital-voice-packets"
    d = Draw(series)
    lines = ["series,at,sent_at,received_at,sequence"]
    sequence = 0
    for burst in grid(PACKET_BURST_EVERY):
        base = 2.1 + 0.3 * hospital_load(burst)
        for i in range(PACKETS_PER_BURST):
            sequence += 1
            sent = burst + i * PACKET_SPACING
            delay = timedelta(microseconds=round((base + d.exponential(0.15)) * 1000))
            received = sent + delay
            lines.append(f"{series},{stamp(received)},{stamp(sent)},{stamp(received)},{sequence}")
    return "\n".join(lines) + "\n"


# --- Incidents of the month, as correlation names them -------------------------------------------

RECEIVED = END
INCIDENTS = {
    "uplink-a": ("uplink-a", "2024-04-03"),
    "backhaul": ("backhaul-strasbourg", "2024-04-11"),
    "cdn": ("cdn-cache", "2024-04-20"),
    "pstn": ("pstn-interconnect", "2024-04-23"),
    "origin": ("origin-arena", "2024-04-27"),
}
"""The incidents feedback names: (root, day of detection, UTC)."""


def _event_time(e: Event) -> datetime:
    return e.ends_at if e.status is Status.RESOLVED and e.ends_at else e.starts_at


def replay(example: Path = EXAMPLE) -> dict[str, Incident]:
    """Every incident of the month, by id: the alerts replayed through the correlator as they
    were delivered (one Alertmanager payload at a time, the SIP probe's events at their own
    time)."""
    bundle = load_config([example]).bundle
    mapper = NodeMapper(bundle.mappings, [*bundle.service_by_id, *bundle.component_by_id])
    events_dir = example / "events"
    generic, problems = read_event_file(
        events_dir / "2024-04.generic.json", "generic", received_at=RECEIVED
    )
    assert not problems, problems
    pending = sorted(mapper.map_all(generic), key=_event_time)
    batches: list[list[Event]] = []
    text = (events_dir / "2024-04.alertmanager.jsonl").read_text(encoding="utf-8")
    for line in text.splitlines():
        events, problems = parse_alertmanager(json.loads(line), received_at=RECEIVED)
        assert not problems, problems
        latest = max(_event_time(e) for e in events)
        while pending and _event_time(pending[0]) <= latest:
            batches.append([pending.pop(0)])
        batches.append(mapper.map_all(events))
    batches += [[e] for e in pending]
    correlator = Correlator.of(bundle)
    incidents: dict[str, Incident] = {}
    now = START
    for events in batches:
        now = max(now, *(_event_time(e) for e in events))
        incidents.update((i.id, i) for i in correlator.process(events, now).incidents)
    incidents.update((i.id, i) for i in correlator.tick(RECEIVED).incidents)
    return incidents


def incident_ids(incidents: dict[str, Incident]) -> dict[str, str]:
    """The ids of :data:`INCIDENTS` among ``incidents``."""
    found = {}
    for name, (root, day) in INCIDENTS.items():
        ids = [
            i.id
            for i in incidents.values()
            if i.root == root and i.merged_into is None and i.detected_at.date().isoformat() == day
        ]
        assert len(ids) == 1, (name, ids)
        found[name] = ids[0]
    return found


# --- Feedback ---------------------------------------------------------------------------------

FEEDBACK_COLUMNS = (
    "customer",
    "at",
    "csat",
    "nps",
    "service",
    "comment",
    "channel",
    "incident",
    "respondent",
)


@dataclass(frozen=True)
class Answer:
    customer: str
    at: str
    """Paris clock."""
    csat: int | None
    nps: int | None
    service: str | None
    comment: str = ""
    channel: str = "survey"
    incident: str | None = None
    """A key of :data:`INCIDENTS`."""
    respondent: str | None = None


TRADING = "Head of trading infrastructure"
SWITCHBOARD = "Switchboard supervisor"
DSI = "Hospital IT duty manager"
DNUM = "Head of digital services (DNUM)"
LECTURER = "Lecturer, documentary pilot"
STORE = "Store manager, {}"
PARTNER = "Office manager"

ANSWERS = (
    # --- The first quarter: the quarterly survey in late March, a few answers on the way ------
    Answer("quai-capital", "2024-02-14T18:05", 5, 9, "internet-access",
           "Latency rock steady through the options expiry.", "email", respondent=TRADING),
    Answer("quai-capital", "2024-03-27T10:12", 4, 8, None,
           "Good service. We count on the new La Défense route in April.", respondent=TRADING),
    Answer("bertin-associes", "2024-02-29T19:40", 4, 8, "managed-vpn",
           "Month-end close went smoothly; the satellite offices were fast.", "phone",
           respondent=PARTNER),
    Answer("bertin-associes", "2024-03-28T11:30", 4, 7, None,
           "Fine overall. The support line could pick up faster.", respondent=PARTNER),
    Answer("hospital", "2024-02-20T09:15", 4, 8, "internet-access",
           "Imaging transfers to the regional archive are quick.", "email", respondent=DSI),
    Answer("hospital", "2024-03-26T14:00", 5, 9, "ip-telephony",
           "The switchboard never dropped a call this quarter.", respondent=SWITCHBOARD),
    Answer("hospital", "2024-03-26T14:20", 4, 8, "ip-telephony", respondent="Switchboard operator"),
    Answer("horizon-sport", "2024-03-25T16:45", 4, 8, None,
           "Card payments and click-and-collect never stopped.",
           respondent=STORE.format("Paris Bercy")),
    Answer("horizon-sport", "2024-03-25T17:10", 5, 9, "video-streaming",
           "The screens showed the whole Six Nations without a hitch.",
           respondent=STORE.format("Vélizy")),
    Answer("institut-rhenan", "2024-02-16T10:00", 5, 9, None,
           "Smooth start of the contract, thank you.", "email", respondent=DNUM),
    Answer("institut-rhenan", "2024-03-22T15:30", 4, 8, "internet-access",
           "Fast and stable; the online lab sessions work well.", respondent=DNUM),
    Answer("institut-rhenan", "2024-03-22T15:40", 4, 7, "video-streaming",
           "The pilot is promising; searching the catalogue is slow.", respondent=LECTURER),
    Answer("institut-rhenan", "2024-03-29T12:00", 4, None, "internet-access",
           respondent="Library manager"),
    Answer("lumiere-tv", "2024-03-29T09:30", 4, 7, "internet-access",
           "No complaint from the playout centre.", "email", respondent="Playout engineer"),
    # --- April ------------------------------------------------------------------------------
    Answer("quai-capital", "2024-04-03T18:20", 4, 8, "internet-access",
           "We saw latency jump to about 6 ms for two hours this afternoon, no loss. Thanks for "
           "the quick note.", "email", "uplink-a", TRADING),
    Answer("quai-capital", "2024-04-17T09:05", 2, 4, "internet-access",
           "The new La Défense route was promised for the 15th and latency is still 2.3 ms. We "
           "are paying for 2 ms.", "email", respondent=TRADING),
    Answer("quai-capital", "2024-04-23T11:02", 1, 2, "ip-telephony",
           "No outside calls from 10:41 to 10:56, in the middle of the morning session: clients "
           "could not reach the sales desk. A quarter of an hour of trading is not a quarter of "
           "an hour at night.", "phone", "pstn", TRADING),
    Answer("quai-capital", "2024-04-24T08:40", 4, 7, "internet-access",
           "1.3 ms since Monday night, as promised, a week late.", "email", respondent=TRADING),
    Answer("quai-capital", "2024-04-29T16:00", 3, 6, None,
           "Monthly service review: the network is fine, the April surprises were not.",
           "meeting", respondent=TRADING),
    Answer("bertin-associes", "2024-04-12T10:15", 4, 8, "managed-vpn", respondent=PARTNER),
    Answer("bertin-associes", "2024-04-16T15:00", 5, 9, "ip-telephony",
           "Calls are clear, the new handsets work.", respondent=PARTNER),
    Answer("bertin-associes", "2024-04-23T11:20", 3, 6, "ip-telephony",
           "Outgoing calls failed for a quarter of an hour this morning.", "phone", "pstn",
           PARTNER),
    Answer("bertin-associes", "2024-04-30T19:10", 5, 9, None,
           "Month-end close went through without a glitch.", "email", respondent=PARTNER),
    Answer("hospital", "2024-04-23T12:10", 3, 6, "ip-telephony",
           "The 0800 patient line was dead for a quarter of an hour this morning; patients "
           "called the front desk's mobile.", "phone", "pstn", SWITCHBOARD),
    Answer("hospital", "2024-04-26T14:00", 5, 9, "ip-telephony", respondent=SWITCHBOARD),
    Answer("hospital", "2024-04-26T14:05", 4, 8, "ip-telephony",
           "Good, once the carrier problem of Tuesday was explained.",
           respondent="Switchboard operator"),
    Answer("hospital", "2024-04-26T14:15", 5, 9, "ip-telephony", respondent="Night switchboard"),
    Answer("hospital", "2024-04-26T14:30", 4, 8, "ip-telephony", respondent="Outpatient desk"),
    Answer("hospital", "2024-04-26T15:00", 5, 9, "ip-telephony",
           "Calls to the theatres always go through.", respondent="Theatre coordinator"),
    Answer("hospital", "2024-04-29T09:00", 4, 8, "internet-access",
           "No complaint from the clinical teams.", "email", respondent=DSI),
    Answer("horizon-sport", "2024-04-06T21:00", 5, 9, "video-streaming",
           "Saturday football on every screen, customers stayed to watch.", "portal",
           respondent=STORE.format("Vélizy")),
    Answer("horizon-sport", "2024-04-20T18:30", 2, 4, "video-streaming",
           "The screens went black in all six stores on Saturday afternoon, our busiest hours.",
           "phone", "cdn", STORE.format("Paris Bercy")),
    Answer("horizon-sport", "2024-04-27T20:40", 3, 6, "video-streaming",
           "The match cut out twice tonight; staff restarted the screens for nothing.", "portal",
           "origin", STORE.format("Vélizy")),
    Answer("horizon-sport", "2024-04-30T10:00", 4, 7, None,
           "Card payments and click-and-collect were fine all month; the screens were not.",
           respondent=STORE.format("Paris Bercy")),
    Answer("horizon-sport", "2024-04-30T10:30", 5, 9, "internet-access",
           respondent=STORE.format("Créteil")),
    Answer("horizon-sport", "2024-04-30T11:00", 4, 8, None, respondent=STORE.format("Cergy")),
    Answer("institut-rhenan", "2024-04-08T09:30", 4, 8, "internet-access",
           "Good start of the term.", "email", respondent=DNUM),
    Answer("institut-rhenan", "2024-04-11T14:05", 1, 2, "internet-access",
           "The whole campus lost the Internet from 12:02 to 13:49: lectures, the library and "
           "the online lab sessions stopped. Nobody called us; we heard it from the students.",
           "email", "backhaul", DNUM),
    Answer("institut-rhenan", "2024-04-12T08:50", 2, 5, "internet-access",
           "Still waiting for an explanation of yesterday's cut.", "portal", "backhaul",
           "Library manager"),
    Answer("institut-rhenan", "2024-04-18T16:00", 5, 9, "video-streaming",
           "Documentaries play well in the lecture halls.", respondent=LECTURER),
    Answer("institut-rhenan", "2024-04-19T11:30", 3, 6, None,
           "Good service when it works, but one carrier link to Paris is a risk nobody told us "
           "about.", "meeting", "backhaul", DNUM),
    Answer("institut-rhenan", "2024-04-30T15:00", 5, 8, "video-streaming",
           respondent="Lecturer, film studies"),
    Answer("lumiere-tv", "2024-04-30T09:45", 4, 8, "internet-access",
           respondent="Playout engineer"),
)  # fmt: skip


def _csv(rows: Sequence[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(rows)
    return buffer.getvalue()


def _cell(value: object) -> object:
    return "" if value is None else value


def feedback_csv(ids: dict[str, str]) -> str:
    rows: list[Sequence[object]] = [FEEDBACK_COLUMNS]
    for a in sorted(ANSWERS, key=lambda a: a.at):
        at = paris(a.at).isoformat()
        incident = ids[a.incident] if a.incident else None
        cells = (
            a.customer,
            at,
            a.csat,
            a.nps,
            a.service,
            a.comment,
            a.channel,
            incident,
            a.respondent,
        )
        rows.append([_cell(c) for c in cells])
    return _csv(rows)


# --- Reviews -----------------------------------------------------------------------------------


def reviews_json(ids: dict[str, str]) -> str:
    """Two conversations, as JSON objects with the fields of ``engagement.model.Review``."""
    reviews = [
        {
            "customer": "institut-rhenan",
            "held_on": "2024-04-19",
            "kind": "listening_session",
            "service": "internet-access",
            "attendees": [
                "Head of digital services (DNUM), Institut Rhénan",
                "Library manager, Institut Rhénan",
                "Account manager, Metro Fibre",
                "NOC shift lead, Metro Fibre",
            ],
            "notes": (
                f"After the backhaul cut of 11 April ({ids['backhaul']}). The campus lost the "
                "Internet from 12:02 to 13:49 Paris time: the carrier cut the Paris–Strasbourg "
                "circuit, the only path to the Strasbourg point of presence. The institute heard "
                "of it from its students and did not know the campus hung on a single carrier "
                "link. Both subscriptions name the campus access switch, so the cut counts "
                "against the institute's April availability, Internet access and the "
                "documentary pilot alike: 1 h 45 min down in term time already puts the month "
                "below the 99.7 % target, a 10 % credit on claim. The staff rated the service "
                "1 and 2 out of 5 that week; the documentary pilot is well liked."
            ),
            "actions": [
                {
                    "text": "Send the reason-for-outage report of the 11 April backhaul cut, "
                    "with the carrier's timeline.",
                    "owner": "NOC shift lead",
                    "due": "2024-04-24",
                    "done": True,
                },
                {
                    "text": "Call the institute's duty phone within 15 minutes of any outage "
                    "of the Strasbourg point of presence.",
                    "owner": "NOC",
                    "due": "2024-05-01",
                    "done": False,
                },
                {
                    "text": "Quote a second Paris–Strasbourg path from another carrier, for the "
                    "June examinations.",
                    "owner": "Network planning",
                    "due": "2024-05-31",
                    "done": False,
                },
                {
                    "text": "Send the institute the April credit claim form (10 % of the "
                    "Internet access and video pilot charges) once the month is evaluated.",
                    "owner": "Account manager",
                    "due": "2024-05-06",
                    "done": False,
                },
            ],
        },
        {
            "customer": "quai-capital",
            "held_on": "2024-04-29",
            "kind": "service_review",
            "attendees": [
                "Head of trading infrastructure, Quai Capital",
                "Account manager, Metro Fibre",
                "Service delivery manager, Metro Fibre",
            ],
            "notes": (
                "Monthly service review for April. Internet access: the latency target went "
                "from 3 ms to 2 ms on 15 April, but the new La Défense – Saint-Denis route "
                "carried the traffic only from 22 April at 22:30; until then the old path "
                "measured about 2.3 ms, so the 2 ms objective was missed for the second half "
                "of the month (p95 about 2.5 ms), while the first half met 3 ms. Telephony: "
                f"the carrier's PSTN interconnect failed from 10:41 to 10:56 on 23 April "
                f"({ids['pstn']}). A quarter of an hour is within the 99.9 % plain availability, "
                "but it fell in continuous trading, weighted five times, so the experience-"
                "weighted availability missed its 99.9 %. The customer's words: a quarter of an "
                "hour of trading is not a quarter of an hour at night."
            ),
            "actions": [
                {
                    "text": "Propose a goodwill credit for the late route cut-over (15 to 22 "
                    "April).",
                    "owner": "Account manager",
                    "due": "2024-05-10",
                    "done": False,
                },
                {
                    "text": "Obtain Alpine Transit's reason-for-outage report for the 23 April "
                    "PSTN interconnect failure.",
                    "owner": "Service delivery manager",
                    "due": "2024-05-07",
                    "done": False,
                },
                {
                    "text": "Study a second PSTN interconnect so that trading-hours calls do not "
                    "depend on one carrier.",
                    "owner": "Voice engineering",
                    "due": "2024-06-28",
                    "done": False,
                },
                {
                    "text": "Confirm the route change in writing, with the latency measured "
                    "since 22 April.",
                    "owner": "Service delivery manager",
                    "due": "2024-04-30",
                    "done": True,
                },
            ],
        },
    ]
    return json.dumps({"reviews": reviews}, ensure_ascii=False, indent=2) + "\n"


# --- Attestations ------------------------------------------------------------------------------

ATTESTATION_COLUMNS = (
    "policy",
    "control",
    "period_start",
    "period_end",
    "met",
    "attested_by",
    "attested_at",
    "evidence",
    "note",
)
POLICY = "corporate-security"
CISO = "Head of information security (RSSI)"
SECURITY = "Security officer"
FACILITIES = "Facilities manager"


def _month(year: int, month: int) -> tuple[datetime, datetime]:
    start = datetime(year, month, 1, tzinfo=PARIS)
    after = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=PARIS)
    return start, after


def attestations_csv() -> str:
    """The three controls of the corporate security policy: every one met in the first quarter;
    in April the password length met, the password rotation not met, and the quarterly badge
    check not attested yet."""
    rows: list[Sequence[object]] = [ATTESTATION_COLUMNS]

    def add(
        control: str,
        period: tuple[datetime, datetime],
        met: bool,
        by: str,
        at: str,
        evidence: str,
        note: str = "",
    ) -> None:
        start, end = (moment.isoformat() for moment in period)
        verdict = "true" if met else "false"
        rows.append(
            (POLICY, control, start, end, verdict, by, paris(at).isoformat(), evidence, note)
        )

    for month, attested in (
        (1, "2024-02-01T10:00"),
        (2, "2024-03-01T10:00"),
        (3, "2024-04-02T10:00"),
    ):
        add(
            "password-length",
            _month(2024, month),
            True,
            SECURITY,
            attested,
            f"AD-PWD-POLICY-2024-{month:02d}: directory policy export and AAA profiles of 214 "
            "devices, minimum length 12",
        )
        add(
            "password-rotation",
            _month(2024, month),
            True,
            SECURITY,
            attested,
            f"AD-PWD-AGE-2024-{month:02d}: no account over 30 days",
        )
    add(
        "photo-access-cards",
        (_month(2024, 1)[0], _month(2024, 3)[1]),
        True,
        FACILITIES,
        "2024-04-03T15:00",
        "BADGE-REG-2024-Q1: badge register reconciled with the HR list (187 staff), 40 photos "
        "checked",
    )
    april = _month(2024, 4)
    add(
        "password-length",
        april,
        True,
        SECURITY,
        "2024-05-02T10:00",
        "AD-PWD-POLICY-2024-04: directory policy export and AAA profiles of 216 devices, minimum "
        "length 12",
    )
    add(
        "password-rotation",
        april,
        False,
        CISO,
        "2024-05-02T11:00",
        "AD-PWD-AGE-2024-04: 3 accounts over 30 days",
        "The local accounts of the three out-of-band console servers were 41 to 47 days old; "
        "rotated on 2 May and added to the rotation job.",
    )
    # photo-access-cards: the second-quarter badge check has not been attested: none in April.
    return _csv(rows)


# --- Writing --------------------------------------------------------------------------------------


def render(example: Path = EXAMPLE) -> dict[str, str]:
    """Every file, by path relative to the example folder."""
    ids = incident_ids(replay(example))
    return {
        "measurements/2024-04.latency.csv": latency_csv(),
        "measurements/2024-04.throughput.csv": throughput_csv(),
        "measurements/2024-04.counts.csv": counts_csv(),
        "measurements/2024-04.packets.csv": packets_csv(),
        "feedback/feedback.csv": feedback_csv(ids),
        "feedback/reviews.json": reviews_json(ids),
        "attestations/corporate-security.csv": attestations_csv(),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out", type=Path, default=EXAMPLE, help="write here (default: the example)"
    )
    args = parser.parse_args(argv)
    for name, text in render().items():
        path = args.out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
        print(f"wrote {name}: {path.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
