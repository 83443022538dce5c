"""Accounting (TINA / CA$hMAN lineage): usage records as metered and mediated, then rated,
charged, billed and settled. Domain records and pure functions only: no I/O, no clock."""
