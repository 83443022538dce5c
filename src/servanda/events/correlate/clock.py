"""Time: decisions taken when the event clock or ``now`` passes their deadline.

A flapping alert that has been quiet long enough stops flapping (:meth:`_Clock._quiet`); a
symptom still firing when its grace is over makes its node a root (:meth:`_Clock._grace_over`);
what is past keeping is forgotten (:meth:`_Clock._forget`). Deadlines are set with
:meth:`~servanda.events.correlate.core._Core._schedule` (and the nodes whose alerts wait the
symptom grace noted in ``_pending``) by whichever layer decides to wait.
"""

from __future__ import annotations

import heapq
from datetime import datetime, timedelta

from servanda.events.correlate.alerts import _Alerts
from servanda.events.working import IncidentWork

_FORGET_EVERY = timedelta(minutes=15)
"""How far the event clock moves between two clean-ups of what is past keeping."""


class _Clock(_Alerts):
    """Deadlines and forgetting (on top of the observations)."""

    def _advance(self, now: datetime) -> None:
        """Take decisions whose deadline is at or before ``now``, one at a time in deadline
        order, each with what follows from it (which may set deadlines already due: a
        flapping alert that stops holding its node up lets its symptoms' grace start when
        the node recovered). So where the clock stopped on the way does not matter."""
        heap = self._deadlines
        self._reconcile()
        while heap and heap[0][0] <= now:
            due, kind, key = heapq.heappop(heap)
            if kind == 0:
                self._quiet(key, due, now)
            else:
                self._grace_over(key, due)
            self._reconcile()

    def _quiet(self, fp: str, due: datetime, now: datetime) -> None:
        a = self._alerts.get(fp)
        if a is None or not a.flapping or a.latest + self._rule.quiet > due:
            return
        before = self._lane(a)  # held firing while flapping
        a.flapping, a.flapping_since, a.rec = False, None, None
        self._batch.stable.append(fp)
        self._batch.alerts[fp] = None
        self._firing_changed(a, before)

    def _grace_over(self, key: str, due: datetime) -> None:
        since = self._pending.get(key)
        if since is None or since + self.settings.symptom_grace > due:
            return
        del self._pending[key]
        st = self._status.get(key)
        if key in self._firing and (st is None or st.owner is None) and key not in self._roots:
            self._make_root(key, since, split=True)
        if key in self._soft:
            self._soft_follow(key, since, split=True)

    def _forget(self, now: datetime) -> None:
        keep_incident = self.settings.reopen_window
        gone: set[str] = set()
        for w in list(self._incidents.values()):
            if w.live:
                continue
            merged_at = w.transitions[-1].at if w.merged_into and w.transitions else None
            ref = w.resolved_at or merged_at or now
            ref = max(ref, w.closed_at or ref)
            if now - ref <= keep_incident:
                continue
            if any(self._holds(w, fp) for fp in (*w.root_fps, *w.symptoms)):
                continue
            gone.add(w.id)
            del self._incidents[w.id]
            by_root = self._last_below if w.below else self._last_by_root
            if by_root.get(w.root) == w.id:
                del by_root[w.root]
        if gone:
            for node in list(self._covered):
                kept = [i for i in self._covered[node] if i not in gone]
                if kept:
                    self._covered[node] = kept
                else:
                    del self._covered[node]
        retention = self.settings.retention
        for fp in [fp for fp, a in self._alerts.items() if not a.firing]:
            a = self._alerts[fp]
            if now - a.last_seen > retention and (
                a.incident is None or a.incident in gone or a.incident not in self._incidents
            ):
                del self._alerts[fp]

    def _holds(self, w: IncidentWork, fp: str) -> bool:
        a = self._alerts.get(fp)
        return a is not None and a.firing and a.incident == w.id
