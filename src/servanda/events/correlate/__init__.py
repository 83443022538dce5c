"""Correlation on the dependency map: alerts in, incidents out, incrementally and in memory.

:class:`Correlator` keeps, per catalog node, whether it fires (has an alert that counts as
firing), whether it is down or partly down because of its requirements, and which root owns it.
It reacts to changes only: a repeat or a symptom of a known root is a few dictionary look-ups;
a node that starts or stops failing re-evaluates the nodes below it, in dependency order, and
stops where nothing changes. The whole graph is never recomputed per event.

Rules (defaults in :class:`CorrelationSettings`):

* **De-duplication.** An alert is its fingerprint. An observation adds its start time (and, when
  resolved, its end time) to the alert; one that adds no new time is an exact duplicate and
  changes nothing (the same batch sent twice is a no-op). Otherwise ``count`` and ``last_seen``
  move. The latest time decides the status, whatever order observations arrive in.
* **Severity.** Only an alert at or above ``down_severity`` (default ``minor``: critical,
  major and minor) makes its node fail. One below it (``warning``, ``info``: disk 80 %, a
  certificate expiring) is recorded and de-duplicated like any other, and correlated: on a
  node down (or partly down) because of a root, the root's node included, it is a symptom of
  that root's incident; otherwise the alerts below the threshold on a node make that node's
  own incident (``below_down_severity``, state ``detected``, the severity of its alerts), which
  takes nothing down (``impacted`` stays empty, so no outage) and resolves at the latest end of
  its alerts. Such an incident is taken over like a provisional root when its node goes down
  within the hold-down, and an alert of it still firing when its root recovers waits the
  symptom grace, as symptoms do. Unmapped alerts count as failing whatever their severity.
  Alerts from :data:`OBSERVING_SOURCES` (burn-rate warnings) count as below the threshold,
  whatever their severity.
* **Order.** A batch is applied in event-time order (firing: ``starts_at``; resolved:
  ``ends_at``), one instant at a time; within an instant nodes that stop failing are handled
  first, then nodes that start, upstream before downstream. Time-based decisions (flapping
  quiet, symptom grace) are taken when the event clock or ``now`` passes their deadline, so
  replaying a history gives what live processing gave.
* **Batches.** How the same events are cut into batches does not change the outcome, nor
  does the order across batches of the ends (or starts) of one node's alerts within the
  hold-down: a node stops failing at the latest end among its alerts, whichever came last;
  an alert that started before its node's recovery, come late, continues the incident instead
  of reopening it; an alert first seen resolved is correlated as the episode it reports; a
  late symptom of a root that has recovered since joins that root's incident; a late root
  takes over incidents (resolved ones too) of nodes it had down. Decisions already taken when
  ``now`` passed a deadline are not revisited, and an alert whose start falls between other
  nodes' events already applied is judged against the state they left.
* **Ids.** An incident's id follows its root and the earliest start of its root alerts (see
  :func:`~servanda.events.incidents.incident_id`), whatever order they came in: when an
  earlier root alert arrives later (an episode first seen resolved, or a late one), the
  incident takes the new id and the old one stays as a closed record ``merged_into`` it,
  whether or not the old id was told yet (so what is kept does not depend on how the events
  were cut into batches). A reopened incident keeps its id.
* **Roots and symptoms.** A node that starts firing while it would be down anyway because of
  its requirements (fully, or partly through a requirement with a ``share``) is a *symptom*: its
  alerts join the incident of the root that takes it down (when several roots do, the one that
  failed first, then by node id). Otherwise it is a *root* and opens an incident.
* **Hold-down.** When a root starts failing, incidents of nodes below it that nobody has acted
  on (state ``detected``) and that were detected at most ``hold_down`` before the root failed
  are merged into the root's incident: their alerts become its symptoms; the taken-over
  incident is closed with ``merged_into`` set, and both trails say so. Older or acknowledged
  incidents stay on their own.
* **Redundancy.** Requirements decide: one of two ``any_of`` uplinks down takes nothing down, so
  the incident impacts only the uplink and lists the nodes that lost their spare (``degraded``).
  An alert (of any severity: "RedundancyLost" and the like) on a node that lost its spare to
  a live root, and is still up, is a symptom of that root's incident ("dns-resolver-1 lost its
  redundancy because core-router-1 is down: …") and takes nothing down (no interval, no
  outage); the node's own incident opened within the hold-down before the root failed is
  taken over (merged), down on its own until the root failed. Still firing when the root
  recovers, such an alert waits the symptom grace, as symptoms do.
* **Joint failures.** When roots fail together, so that a node is down only because all of
  them are (the last members of a redundant requirement: both routers of a pair), the fault
  is one incident: its root is the root that failed first (then by node id), and the
  incident of each other one (nobody having acted on it, as for the hold-down) is merged
  into it; their alerts are symptoms, *co-causes* ("core-router-2 failed too: with
  core-router-1 down, any of core-router-1, core-router-2 is unmet"), their nodes stay down
  in it. One node is never down in two incidents at once, so no service and customer is
  counted twice. Recovery: when a co-cause recovers first, the incident goes on (its root
  still fails); when the root recovers, the incident resolves (the dependents are back),
  and the co-causes' alerts still firing wait the symptom grace: resolved within it they
  stay co-causes, otherwise their node becomes the root of its own incident from the root's
  recovery (one router down: it takes nothing down, it lists the nodes without a spare).
* **Recovery.** When the root's alerts all resolve, the incident is resolved at the latest end
  among them.
  Symptom alerts that still fire are held for ``symptom_grace``; if they still fire then, their
  node becomes a root of its own incident, detected at the root's recovery time. The symptom
  alerts of a node that stops being down because of a root that still fails (a node it was
  down through recovered) are held the same way from that time: resolved within the grace
  (even in a later batch, at that very instant), they stay symptoms; otherwise their node
  becomes a root of its own incident from that time, and they were symptoms until then.
* **Flapping.** See :mod:`servanda.events.flapping`: a flapping alert is held firing and stays
  with its incident until quiet.
* **Reopen.** A root that fails again within ``reopen_window`` of its incident's resolution (or
  closing, whichever is later) reopens that incident instead of opening a new one. Only its
  own root's alerts reopen an incident: symptoms of another root never reopen or take over a
  resolved incident of another fault. When a node's alert reopened its incident and, within
  the hold-down, a root it depends on (or lost its spare to) fails, nobody having acted on
  the reopened incident, the reopen is withdrawn: what came with it (intervals and alerts
  since the reopen) moves to the new root's incident, as if the alert had come after the
  root, and the old incident is put back as it was, resolved, its history left alone (both
  trails say so). A correlator restored from :class:`CorrelatorState` (not from a pickled
  instance) no longer knows what a reopened incident was before, and keeps the reopen.
* **Maintenance.** See :mod:`servanda.events.planned`.
* **Unmapped.** An alert with no node is kept and correlated with nothing: each such
  fingerprint is its own incident with ``root = None`` (so it is seen and runs the lifecycle),
  and is listed in :attr:`Changes.unmapped`.
* **Cycles.** Evaluation goes in a dependency order that tolerates cycles (nodes on a cycle are
  ordered by id), and no node is re-evaluated more than a few times per change, so a cyclic
  graph cannot loop.

The code: :class:`Correlator` is made of layers, one module of this package each, listed in
:mod:`servanda.events.correlate.correlator` with what each of them owns.
"""

from servanda.events.correlate.correlator import Correlator
from servanda.events.correlate.settings import (
    OBSERVING_SOURCES,
    Changes,
    CorrelationSettings,
    CorrelatorState,
)

__all__ = [
    "OBSERVING_SOURCES",
    "Changes",
    "CorrelationSettings",
    "Correlator",
    "CorrelatorState",
]
