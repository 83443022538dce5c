"""Rating usage as Arrow tables: which tariff version rates each record, and its price.

:class:`Rater` holds every tariff version, the rating profiles and the calendars. It rates an
Arrow table of usage (the columns of :data:`USAGE_COLUMNS`) into the same table with the
columns of :data:`RATED_FIELDS` added, one batch at a time: ``servanda rate`` streams files
through it, and the stored path turns usage records into a table and back
(:mod:`.records`), so both price alike.

Choosing the tariff: the most specific rating profile matching the record's category, account
and service (account before service before category, a profile's ``None`` matching anything)
and active at its start; then the version of that tariff active at the record's start. No
profile, no version, no prefix and no ``*`` rate: the record is not rated, with its reason.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from servanda.accounting.effective_bandwidth import charge_connection
from servanda.accounting.rating import kernel
from servanda.accounting.rating.compiled import I32, I64, CompiledTariff
from servanda.accounting.rating.prefixes import longest_prefix
from servanda.accounting.tariffs import RatingProfile, Tariff
from servanda.calendars.model import Calendar

USAGE_COLUMNS: Final = (
    "source", "record_id", "account", "category", "service", "destination", "start",
    "duration", "volume_up", "volume_down", "units",
)  # fmt: skip
"""The columns rating reads (``duration`` in seconds, with decimals; ``start`` a timestamp
with its zone)."""

MONEY_DIGITS: Final = 18
"""Digits of the amount columns: 18 fit in 64 bits, so files store them as integers."""

PART_EXTRA: Final = 3
"""Decimals the parts show beyond the tariffs' prices (a second at 0.02 a minute is
0.00033…: the parts show 0.00033, and the rounding part what makes them add up)."""

INPUT_PROBLEM: Final = "input_problem"
"""A column of located reasons why a row could not be read (null on good rows): such rows
are not rated, with that reason."""

_NO_PROFILE = "no rating profile matches its category, account and service"


@dataclass
class Rater:
    """Every tariff version, the rating profiles and the calendars, compiled once."""

    tariffs: Sequence[Tariff]
    profiles: Sequence[RatingProfile] = ()
    calendars: Sequence[Calendar] = ()
    _compiled: dict[tuple[str, datetime], CompiledTariff] = field(default_factory=dict)

    def __post_init__(self) -> None:
        calendars = {c.id: c for c in self.calendars}
        for t in self.tariffs:
            self._compiled[t.key] = CompiledTariff.of(
                t, calendars.get(t.calendar) if t.calendar else None
            )
        self._versions: dict[str, list[datetime]] = {}
        for tid, active in sorted(self._compiled):
            self._versions.setdefault(tid, []).append(active)
        if not self.profiles and len(self._versions) == 1:
            # One tariff and no profiles: it rates everything.
            self.profiles = (RatingProfile(tariff=next(iter(self._versions))),)

    def compiled(self, tariff: str, version: datetime) -> CompiledTariff:
        """A compiled tariff version."""
        return self._compiled[(tariff, version)]

    # -- choosing -------------------------------------------------------------------------

    def _profile_for(
        self, category: str | None, account: str | None, service: str | None
    ) -> list[RatingProfile]:
        """The profiles of the most specific match, oldest first."""
        best: tuple[int, ...] | None = None
        found: list[RatingProfile] = []
        for p in self.profiles:
            if p.category is not None and p.category.value != category:
                continue
            if p.account is not None and p.account != account:
                continue
            if p.service is not None and p.service != service:
                continue
            rank = (p.account is not None, p.service is not None, p.category is not None)
            score = tuple(int(x) for x in rank)
            if best is None or score > best:
                best, found = score, [p]
            elif score == best:
                found.append(p)
        epoch = datetime.min.replace(tzinfo=UTC)
        return sorted(found, key=lambda p: p.active_from or epoch)

    def _choose(self, table: pa.Table, start_us: I64) -> tuple[I32, list[tuple[str, datetime]]]:
        """Per record, an index into the returned list of tariff versions (−1: none) and the
        reason of each record not matched."""
        n = table.num_rows
        chosen = np.full(n, -1, dtype=np.int32)
        versions: list[tuple[str, datetime]] = []
        if n == 0:
            return chosen, versions
        # Only the columns some profile distinguishes by are read.
        used = [
            c
            for c in ("category", "account", "service")
            if any(getattr(p, c) is not None for p in self.profiles)
        ]
        if used:
            keys = pc.binary_join_element_wise(
                *(pc.fill_null(table.column(c).cast(pa.string()), "\x00") for c in used),
                "\x1f",
            )
            encoded = keys.combine_chunks().dictionary_encode()
            codes = np.asarray(encoded.indices, dtype=np.int64)
            names = encoded.dictionary.to_pylist()
            order = np.argsort(codes, kind="stable")
            bounds = np.searchsorted(codes[order], np.arange(len(names) + 1))
        else:
            names, order, bounds = [""], np.arange(n), np.array([0, n])
        for code, key in enumerate(names):
            rows = order[bounds[code] : bounds[code + 1]]
            found = dict(zip(used, key.split("\x1f"), strict=True)) if used else {}
            category, account, service = (
                None if found.get(c, "\x00") == "\x00" else found[c]
                for c in ("category", "account", "service")
            )
            profiles = self._profile_for(category, account, service)
            if not profiles:
                continue
            epoch_us = np.iinfo(np.int64).min
            starts = np.array([_us(p.active_from) if p.active_from else epoch_us for p in profiles])
            which = np.searchsorted(starts, start_us[rows], side="right") - 1
            for w in np.unique(which):
                if w < 0:
                    continue
                tariff = profiles[w].tariff
                sel = rows[which == w]
                actives = self._versions.get(tariff, [])
                act_us = np.array([_us(a) for a in actives], dtype=np.int64)
                v = np.searchsorted(act_us, start_us[sel], side="right") - 1
                for vi in np.unique(v):
                    if vi < 0:
                        continue
                    versions.append((tariff, actives[vi]))
                    chosen[sel[v == vi]] = len(versions) - 1
        return chosen, versions

    # -- rating ---------------------------------------------------------------------------

    @property
    def cost_scale(self) -> int:
        """Decimals of the ``cost`` column: the most any tariff's record rounding keeps."""
        return max((c.decimals for c in self._compiled.values()), default=2)

    @property
    def part_scale(self) -> int:
        """Decimals of the parts' prices and amounts: the most any tariff's prices use, and
        :data:`PART_EXTRA` more."""
        return min(max((c.scale for c in self._compiled.values()), default=2) + PART_EXTRA, 18)

    def part_type(self) -> pa.DataType:
        """One part of a rated record's usage: the increments of one band and slot of the
        record's rate (quantities in kernel units: milliseconds, octets, units); the slot's
        price, unit and increment are the tariff version's."""
        return pa.struct(
            [
                ("band", pa.dictionary(pa.int32(), pa.string())),
                ("slot", pa.int8()),
                ("quantity", pa.int64()),
                ("increments", pa.int64()),
                ("amount", pa.decimal128(MONEY_DIGITS, self.part_scale)),
            ]
        )

    def rated_fields(self) -> list[pa.Field]:
        """What rating adds to each record. ``connect_fee + sum(parts.amount) + adjustment +
        rounding == cost`` exactly: ``adjustment`` is what the minimum cost adds (positive) or
        the maximum removes (negative), ``rounding`` what the record rounding changes."""
        text = pa.dictionary(pa.int32(), pa.string())
        money = pa.decimal128(MONEY_DIGITS, self.part_scale)
        return [
            pa.field("tariff", text),
            pa.field("tariff_version", pa.timestamp("us", tz="UTC")),
            pa.field("destination_group", text),
            pa.field("prefix", text),
            pa.field("band", text),
            pa.field("cost", pa.decimal128(MONEY_DIGITS, self.cost_scale)),
            pa.field("currency", text),
            pa.field("disconnected", pa.bool_()),
            pa.field("not_rated", text),
            pa.field("connect_fee", money),
            pa.field("parts", pa.list_(self.part_type())),
            pa.field("adjustment", money),
            pa.field("rounding", money),
        ]

    def rate_table(self, table: pa.Table) -> pa.Table:
        """``table`` with the rating columns (:meth:`rated_fields`) added (replacing them when
        the table was rated before)."""
        stale = [f.name for f in self.rated_fields() if f.name in table.column_names]
        if stale:
            table = table.drop_columns(stale)
        n = table.num_rows
        start = table.column("start").cast(pa.timestamp("us", tz="UTC"))
        start_us = np.asarray(start.cast(pa.int64()).fill_null(0), dtype=np.int64)
        quantities = _quantities(table)
        chosen, versions = self._choose(table, start_us)
        out = _Output(self, n)
        if INPUT_PROBLEM in table.column_names:
            problem = table.column(INPUT_PROBLEM)
            bad = np.flatnonzero(np.asarray(problem.is_valid()))
            if bad.size:
                chosen[bad] = -1
                texts = problem.take(pa.array(bad)).to_pylist()
                out.reason[bad] = out.names.codes(texts)
        destinations = table.column("destination")
        for v, (tid, active) in enumerate(versions):
            rows = np.flatnonzero(chosen == v)
            compiled = self._compiled[(tid, active)]
            group, matched = longest_prefix(
                destinations.take(pa.array(rows)), compiled.prefixes, len(compiled.groups) - 1
            )
            if compiled.tariff.effective_bandwidth is not None:
                out.add_effective(rows, compiled, quantities[0][rows], quantities[1][rows],
                                  _declared_means(table, rows))  # fmt: skip
                continue
            d, vol, up, down, units = quantities
            rated = kernel.rate(
                compiled,
                start_us[rows],
                group,
                (d[rows], vol[rows], up[rows], down[rows], units[rows]),
            )
            out.add(rows, compiled, rated, group, matched)
        result = table
        for f, array in zip(self.rated_fields(), out.arrays(), strict=True):
            result = result.append_column(f, array)
        return result

    def rate_batches(
        self, batches: Iterable[pa.RecordBatch], workers: int = 1
    ) -> Iterator[pa.RecordBatch]:
        """Rate a stream of batches in order. With ``workers`` > 1, that many batches are rated
        at once on threads (NumPy and Arrow release the interpreter's lock for the work on
        whole columns), and one more is held at a time: memory does not grow with the
        stream either way."""

        def one(batch: pa.RecordBatch) -> list[pa.RecordBatch]:
            out: list[pa.RecordBatch] = self.rate_table(pa.Table.from_batches([batch])).to_batches()
            return out

        if workers <= 1:
            for batch in batches:
                yield from one(batch)
            return
        with ThreadPoolExecutor(max_workers=workers) as pool:
            pending: deque[Future[list[pa.RecordBatch]]] = deque()
            for batch in batches:
                pending.append(pool.submit(one, batch))
                if len(pending) > workers:
                    yield from pending.popleft().result()
            while pending:
                yield from pending.popleft().result()


def _declared_means(table: pa.Table, rows: I64) -> list[Decimal | None]:
    """The ``declared_mean`` (bit/s) of some rows, when the table has the column."""
    if "declared_mean" not in table.column_names:
        return [None] * len(rows)
    values = table.column("declared_mean").take(pa.array(rows)).to_pylist()
    return [None if v is None else Decimal(str(v)) for v in values]


def _us(moment: datetime) -> int:
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _quantities(table: pa.Table) -> tuple[I64, I64, I64, I64, I64]:
    n = table.num_rows

    def ints(name: str) -> I64:
        if name not in table.column_names:
            return np.zeros(n, dtype=np.int64)
        return np.asarray(table.column(name).cast(pa.int64()).fill_null(0), dtype=np.int64)

    if "duration" in table.column_names:
        seconds = table.column("duration")
        if pa.types.is_integer(seconds.type):
            duration = np.asarray(seconds.fill_null(0), dtype=np.int64) * 1000
        else:
            exact = seconds.cast(pa.decimal128(18, 3)).fill_null(0)
            duration = np.asarray(pc.multiply(exact, 1000).cast(pa.int64()), dtype=np.int64)
    else:
        duration = np.zeros(n, dtype=np.int64)
    up, down = ints("volume_up"), ints("volume_down")
    return duration, up + down, up, down, ints("units")


def decimals(values: I64, scale: int, valid: npt.NDArray[np.bool_] | None = None) -> pa.Array:
    """int64 values counted in 10^−scale as an Arrow decimal128 column, without a copy per
    value (nulls where ``valid`` is False)."""
    n = values.shape[0]
    words = np.empty((n, 2), dtype="<i8")
    words[:, 0] = values
    words[:, 1] = np.where(values < 0, -1, 0)
    validity = None
    nulls = 0
    if valid is not None and not valid.all():
        validity = pa.py_buffer(np.packbits(valid, bitorder="little"))
        nulls = int(n - valid.sum())
    return pa.Array.from_buffers(
        pa.decimal128(MONEY_DIGITS, scale), n, [validity, pa.py_buffer(words)], null_count=nulls
    )


def _text(codes: I32, values: list[str]) -> pa.DictionaryArray:
    """Dictionary-encoded text: ``codes`` into ``values``, null where −1."""
    indices = pa.array(codes, pa.int32(), mask=codes < 0)
    return pa.DictionaryArray.from_arrays(indices, pa.array(values, pa.string()))


class _Dictionary:
    """Strings seen so far, each with a code."""

    def __init__(self) -> None:
        self.values: list[str] = []
        self._codes: dict[str, int] = {}

    def code(self, value: str) -> int:
        if value not in self._codes:
            self._codes[value] = len(self.values)
            self.values.append(value)
        return self._codes[value]

    def codes(self, values: Sequence[str]) -> I32:
        return np.array([self.code(v) for v in values], dtype=np.int32)


class _Output:
    """The rating columns of a table, filled version by version, vectorised."""

    def __init__(self, rater: Rater, n: int) -> None:
        self.rater = rater
        self.n = n
        self.names = _Dictionary()
        minus = np.full(n, -1, dtype=np.int32)
        self.tariff, self.group, self.prefix, self.band = (minus.copy() for _ in range(4))
        self.currency = minus.copy()
        self.reason = minus.copy()
        self.reason[:] = self.names.code(_NO_PROFILE)
        self.version = np.zeros(n, dtype=np.int64)
        self.has_version = np.zeros(n, dtype=np.bool_)
        self.cost = np.zeros(n, dtype=np.int64)
        self.rated = np.zeros(n, dtype=np.bool_)
        self.disconnected = np.zeros(n, dtype=np.bool_)
        self.fee = np.zeros(n, dtype=np.int64)
        self.adjustment = np.zeros(n, dtype=np.int64)
        self.rounding = np.zeros(n, dtype=np.int64)
        self.parts: list[dict[str, npt.NDArray[np.int64]]] = []

    def add(self, rows: I64, t: CompiledTariff, r: kernel.Rated, group: I32, matched: I32) -> None:
        names = self.names
        ok = r.not_rated == 0
        self.tariff[rows] = names.code(t.tariff.id)
        self.version[rows] = _us(t.tariff.active_from)
        self.has_version[rows] = True
        self.currency[rows] = names.code(t.tariff.currency)
        band_codes = names.codes([b.id for b in t.tariff.bands])
        group_codes = names.codes(list(t.groups))
        prefix_codes = names.codes(list(t.prefixes))
        self.band[rows] = np.where(r.band >= 0, band_codes[np.maximum(r.band, 0)], -1)
        self.group[rows] = np.where(ok, group_codes[group], -1)
        if prefix_codes.size:
            self.prefix[rows] = np.where(
                ok & (matched >= 0), prefix_codes[np.maximum(matched, 0)], -1
            )
        self.reason[rows] = -1
        if not ok.all():
            bad = np.flatnonzero(~ok)
            key = r.not_rated[bad].astype(np.int64) * 1_000_000 + group[bad] * 1000 + r.band[bad]
            for k in np.unique(key).tolist():
                first = int(bad[np.flatnonzero(key == k)[0]])
                reason = _reason(t, int(r.not_rated[first]), int(group[first]), r, first)
                self.reason[rows[bad[key == k]]] = names.code(reason)
        up = 10 ** (self.rater.cost_scale - t.decimals)
        self.cost[rows] = r.cost * up
        self.rated[rows] = ok
        self.disconnected[rows] = r.disconnected
        self.parts.append(self._parts(rows, t, r, band_codes, ok))

    def add_effective(
        self,
        rows: I64,
        t: CompiledTariff,
        duration_ms: I64,
        octets: I64,
        means: list[Decimal | None],
    ) -> None:
        """Rows priced by the tariff's effective-bandwidth formula: the fixed charge as the
        connect fee, a ``time`` part (a(m)·T) and a ``volume`` part (b(m)·V), the rounding."""
        eb = t.tariff.effective_bandwidth
        assert eb is not None
        names = self.names
        self.tariff[rows] = names.code(t.tariff.id)
        self.version[rows] = _us(t.tariff.active_from)
        self.has_version[rows] = True
        self.currency[rows] = names.code(t.tariff.currency)
        self.reason[rows] = -1
        time_band, volume_band = names.codes(["time", "volume"])
        cost_up = 10 ** (self.rater.cost_scale - t.decimals)
        part = Decimal(1).scaleb(-self.rater.part_scale)
        record_rows: list[int] = []
        bands: list[int] = []
        quantity: list[int] = []
        amounts: list[int] = []
        for k, row in enumerate(rows.tolist()):
            declared = means[k]
            mean = declared if declared is not None else eb.peak_rate
            found = charge_connection(
                eb,
                mean=min(max(mean, Decimal("1e-9")), eb.peak_rate),
                duration=Decimal(int(duration_ms[k])) / 1000,
                volume=int(octets[k]) * 8,
            )
            cost = found.rounded(t.tariff.rounding).amount
            self.cost[row] = int(cost.scaleb(t.decimals)) * cost_up
            fixed, time_, volume = (
                x.quantize(part, rounding=ROUND_HALF_EVEN)
                for x in (found.fixed_part, found.time_part, found.volume_part)
            )
            scale = self.rater.part_scale
            self.fee[row] = int(fixed.scaleb(scale))
            self.rounding[row] = int((cost - fixed - time_ - volume).scaleb(scale))
            self.rated[row] = True
            record_rows += [row, row]
            bands += [int(time_band), int(volume_band)]
            quantity += [int(duration_ms[k]), int(octets[k])]
            amounts += [int(time_.scaleb(scale)), int(volume.scaleb(scale))]
        self.parts.append(
            {
                "row": np.array(record_rows, dtype=np.int64),
                "band": np.array(bands, dtype=np.int64),
                "slot": np.zeros(len(bands), dtype=np.int64),
                "quantity": np.array(quantity, dtype=np.int64),
                "increments": np.zeros(len(bands), dtype=np.int64),
                "amount": np.array(amounts, dtype=np.int64),
            }
        )

    def _parts(
        self,
        rows: I64,
        t: CompiledTariff,
        r: kernel.Rated,
        band_codes: I32,
        ok: npt.NDArray[np.bool_],
    ) -> dict[str, npt.NDArray[np.int64]]:
        """The usage parts of one version's records as columns (amounts at the part scale),
        and each record's connect fee, adjustment and rounding, which with the parts add up
        to its cost exactly."""
        up = 10 ** (self.rater.part_scale - t.scale)
        p = r.parts
        amount = kernel.round_ratio(p.cost * up, t.lcm)
        fee = r.connect_fee // t.lcm * up
        adjustment = kernel.round_ratio(r.adjustment * up, t.lcm)
        summed = fee + adjustment
        if p.record.size:
            heads = np.flatnonzero(np.r_[True, p.record[1:] != p.record[:-1]])
            summed[p.record[heads]] += np.add.reduceat(amount, heads)
        cost = r.cost * 10 ** (self.rater.part_scale - t.decimals)
        self.fee[rows] = fee
        self.adjustment[rows] = adjustment
        self.rounding[rows] = np.where(ok, cost - summed, 0)
        return {
            "row": rows[p.record],
            "band": np.where(p.band >= 0, band_codes[np.maximum(p.band, 0)], -1).astype(np.int64),
            "slot": p.slot.astype(np.int64),
            "quantity": p.quantity,
            "increments": p.increments,
            "amount": amount,
        }

    def arrays(self) -> list[pa.Array]:
        names = self.names.values
        rater = self.rater
        scale = rater.part_scale
        rated = self.rated
        return [
            _text(self.tariff, names),
            pa.array(self.version, pa.int64(), mask=~self.has_version).cast(
                pa.timestamp("us", tz="UTC")
            ),
            _text(self.group, names),
            _text(self.prefix, names),
            _text(self.band, names),
            decimals(self.cost, rater.cost_scale, rated),
            _text(self.currency, names),
            pa.array(self.disconnected, pa.bool_()),
            _text(self.reason, names),
            decimals(self.fee, scale, rated),
            self._parts_column(),
            decimals(self.adjustment, scale, rated),
            decimals(self.rounding, scale, rated),
        ]

    def _parts_column(self) -> pa.Array:
        part_type = self.rater.part_type()
        keys = ("row", "band", "slot", "quantity", "increments", "amount")
        if len(self.parts) == 1:
            cols = self.parts[0]  # one version: the kernel's parts are in record order
        else:
            cols = {
                k: np.concatenate([p[k] for p in self.parts])
                if self.parts
                else np.zeros(0, np.int64)
                for k in keys
            }
            order = np.argsort(cols["row"], kind="stable")
            cols = {k: v[order] for k, v in cols.items()}
        counts = np.bincount(cols["row"], minlength=self.n)
        offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
        scale = self.rater.part_scale
        struct = pa.StructArray.from_arrays(
            [
                _text(cols["band"].astype(np.int32), self.names.values),
                pa.array(cols["slot"].astype(np.int8), pa.int8()),
                pa.array(cols["quantity"], pa.int64()),
                pa.array(cols["increments"], pa.int64()),
                decimals(cols["amount"], scale),
            ],
            fields=list(part_type),
        )
        return pa.ListArray.from_arrays(
            pa.array(offsets, pa.int32()), struct, type=pa.list_(part_type),
            mask=pa.array(~self.rated),
        )  # fmt: skip


def _reason(t: CompiledTariff, code: int, group: int, r: kernel.Rated, k: int) -> str:
    if code == kernel.NOT_RATED_TOO_LARGE:
        return f"its quantity is beyond what tariff {t.tariff.id} rates exactly"
    band = t.tariff.bands[r.band[k]].id if r.band[k] >= 0 else "none"
    what = (
        f"destination group {t.groups[group]!r}"
        if group < len(t.groups) - 1
        else "its destination (no prefix matches)"
    )
    return f"tariff {t.tariff.id} has no rate for {what} in band {band!r}"
