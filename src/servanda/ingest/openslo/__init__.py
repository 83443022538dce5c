"""OpenSLO v1 files → Servanda service level objectives (``servanda import openslo``).

:func:`import_openslo` reads ``SLO`` objects with the ``SLI`` and ``Service`` objects of the
same files and returns an :class:`OpenSloImport`: the objectives per service, optionally
wrapped in service-level agreements, the measurement series they read, YAML-ready
configuration, and three lists of located problems — ``warnings`` (liberties taken),
``unmapped`` (read, but with no Servanda equivalent) and ``errors`` (malformed input).
Nothing is dropped silently.

The mapping:

======================================  =========================================================
OpenSLO                                 Servanda objective
======================================  =========================================================
``target`` 0–1 / ``targetPercent``      ``target`` in percent (``0.995`` → ``99.5%``)
ratioMetric good/total                  ``good_ratio`` (``availability`` when the SLO's or SLI's
                                        names or descriptions say availability/uptime; warned)
ratioMetric bad/total, raw              the same, warned: series must carry good and total
thresholdMetric, latency name, op       ``latency``, ``percentile`` = target, ``comparator``
lt/lte, Occurrences                     from op, ``target`` = value in ms (unit assumed; warned)
other thresholdMetric                   ``good_ratio``; "good" = value op threshold, in the
                                        description (warned)
budgetingMethod Occurrences             ``budgeting: events``
Timeslices                              ``timeslices``, ``timeslice`` = timeSliceWindow,
                                        ``timeslice_target`` = timeSliceTarget in percent
RatioTimeslices                         ``ratio_timeslices``, ``timeslice`` = timeSliceWindow
                                        (the mean of the slices' own ratios)
timeWindow rolling ``Nm|h|d|w``         ``period: rolling N…``; M/Q/Y as 30/90/365 days (warned)
timeWindow calendar 1d/1w/1M/1Q/1Y      ``period: day|week|month|quarter|year``; other
                                        lengths become rolling windows (warned); startTime
                                        and timeZone give way to the agreement's calendar
                                        (warned)
timeWindow ``Nm`` (minutes, < 1 day)    N months — "1m" is taken for a typo of "1M" (warned)
SLI name                                ``series``, declared in the ``series`` section:
                                        ``good_total`` for a ratio (or a threshold imported as
                                        good_ratio), ``latency`` for a latency threshold; on
                                        the service, for the customer (see
                                        :mod:`servanda.ingest.openslo.series`)
SLO displayName, objective displayName, ``description``
description
SLO name (+ objective displayName)      ``id``
spec.service                            the service (one agreement per service)
======================================  =========================================================

Not imported (listed in ``unmapped``): DataSource, AlertPolicy, AlertCondition and
AlertNotificationTarget objects (and inline ones), alert policies of SLOs, composite SLOs'
weighting, metric sources and queries, ``op`` on ratio SLIs, labels and annotations, unknown
kinds and fields, SLIs and Services no SLO uses.
"""

from servanda.ingest.openslo.emit import FRAGMENT_KEY, render_yaml
from servanda.ingest.openslo.importer import OpenSloImport, import_openslo

__all__ = ["FRAGMENT_KEY", "OpenSloImport", "import_openslo", "render_yaml"]
