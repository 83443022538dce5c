"""SLA measurement: outages, measurement series, incidents, attestations and feedback turned into
per-objective results, breaches, error budgets, burn-rate warnings and service credits.

Pure domain code: no I/O and no clock (the period and "now" are arguments). Bulk paths work on
NumPy columns (int64 microseconds since the Unix epoch, UTC), never one object per interval.
The definitions, formulas and conventions are in ``docs/metrics.md``.

* :mod:`~servanda.measure.inputs` — the records measured: series declarations, measurements,
  control attestations;
* :mod:`~servanda.measure.results` — what evaluation produces (results, budgets, breaches,
  credits);
* :mod:`~servanda.measure.periods` — reporting periods in a calendar's timezone;
* :mod:`~servanda.measure.availability` — plain and experience-weighted availability, in bulk;
* :mod:`~servanda.measure.compose` — a service's availability from its dependency graph;
* :mod:`~servanda.measure.series`, :mod:`~servanda.measure.jitter`, :mod:`~servanda.measure.mef`
  — latency, throughput, loss, good/total, jitter (RFC 3550, IPDV, PDV), MEF 10.3;
* :mod:`~servanda.measure.reliability` — MTBF, MTRS, MTTA, MTBSI, response and resolution times;
* :mod:`~servanda.measure.timeslices` — time-sliced objectives (OpenSLO Timeslices);
* :mod:`~servanda.measure.budget`, :mod:`~servanda.measure.burn` — error budgets and multiwindow,
  multi-burn-rate warnings;
* :mod:`~servanda.measure.credits` — service credits from a credit schedule;
* :mod:`~servanda.measure.objectives`, :mod:`~servanda.measure.evaluate`,
  :mod:`~servanda.measure.rollup` — one customer's objectives over a period, and roll-ups.
"""
