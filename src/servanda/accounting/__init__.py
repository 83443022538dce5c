"""Accounting (TINA / CA$hMAN lineage): usage records as metered and mediated, then rated,
charged, billed and settled. Domain records and pure functions only: no I/O, no clock.

* :mod:`~servanda.accounting.usage` — the usage record.
* :mod:`~servanda.accounting.charge_models` — standard, graduated, volume, package and
  percentage charge models for usage-billed services, priced exactly part by part.
* :mod:`~servanda.accounting.effective_bandwidth` — the CA$hMAN effective-bandwidth tariff of
  connections with a guaranteed quality.
"""
