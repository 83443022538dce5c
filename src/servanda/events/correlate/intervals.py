"""Impact intervals: which incident has which node down (or partly down), from when to when.

Opens and closes a node's interval as its status moves between incidents, pulls an interval
back when a node turns out to have been down earlier, and remembers which incidents had a
node down (``_covered``), for the late symptoms of :mod:`~servanda.events.correlate.symptoms`.
"""

from __future__ import annotations

from datetime import datetime

from servanda.catalog.graph import Impact
from servanda.events.correlate.core import _FOREVER, _Core, _Status
from servanda.events.working import UNMAPPED, IncidentWork, Interval


class _Intervals(_Core):
    """Impact intervals of incidents (the layer above the state)."""

    def _firing_since(self, node: str) -> datetime:
        """Earliest start of the node's firing alerts (far future when none fire)."""
        fps = self._firing.get(node)
        if not fps:
            return _FOREVER
        return min(self._alerts[fp].episode_start() for fp in fps)

    def _partly(self, node: str) -> bool:
        st = self._status.get(node)
        return st is not None and st.fraction > 0

    def _pull_back(self, w: IncidentWork, node: str, old: datetime, new: datetime) -> None:
        """A node of ``w`` turns out to be down since ``new``, before ``old``: so are the nodes
        below it that went down with it."""
        todo = [node]
        seen = {node}
        while todo:
            n = todo.pop()
            ivs = w.impacts.get(n)
            if not ivs or ivs[-1].until is not None or ivs[-1].since != old:
                continue
            ivs[-1].since, ivs[-1].rec = new, None
            # Earlier intervals of the node (partly down before) give way to this one.
            for iv in ivs[:-1]:
                if iv.until is not None and iv.until > new:
                    iv.until, iv.rec = max(new, iv.since), None
            ivs[:-1] = [iv for iv in ivs[:-1] if iv.until is None or iv.until > iv.since]
            for d in self._dependents.get(n, ()):
                if d not in seen and (d in self._down or self._partly(d)):
                    seen.add(d)
                    todo.append(d)
        w.intervals_changed()
        self._touch(w)

    def _cover(self, node: str, inc_id: str) -> None:
        """Remember that incident ``inc_id`` had ``node`` down (see :meth:`_late_symptom`)."""
        covered = self._covered.get(node)
        if covered is None:
            self._covered[node] = [inc_id]
        elif covered[-1] != inc_id and inc_id not in covered:
            covered.append(inc_id)

    def _close_interval(self, inc_id: str, node: str, at: datetime) -> None:
        w = self._incidents.get(inc_id)
        if w is None:
            return
        ivs = w.impacts.get(node)
        if ivs and ivs[-1].until is None:
            iv = ivs[-1]
            if at <= iv.since:
                ivs.pop()  # opened and closed at one instant: it never lasted
                prev = ivs[-1] if ivs else None
                if prev is not None and prev.until is not None and prev.until > at:
                    # Late news: it was no longer down because of this incident from ``at``.
                    prev.until, prev.rec = max(at, prev.since), None
                if not ivs:
                    del w.impacts[node]
            else:
                iv.until, iv.rec = at, None
            w.intervals_changed()
            self._touch(w)

    def _open_interval(self, inc_id: str, node: str, st: _Status, at: datetime) -> None:
        if node.startswith(UNMAPPED):
            return
        w = self._incidents[inc_id]
        ivs = w.impacts.setdefault(node, [])
        if ivs and ivs[-1].until is None:
            return
        own = node in self._roots or st.impact is None
        reason = f"{node} failed" if own else _explain(st.impact, node)
        kind = self._kind.get(node, "node")
        since = max(min(at, self._firing_since(node)), self._earliest(w))
        last = ivs[-1] if ivs else None
        if last is not None and last.until is not None and last.until >= since:
            # It went down again before (or when) the last interval ended, as late events
            # show: one interval carries on, whatever order the events arrived in.
            if last.fraction == st.fraction:
                if since < last.since:
                    before = ivs[-2].until if len(ivs) > 1 else None
                    last.since = since if before is None else max(since, min(before, last.since))
                last.until, last.rec = None, None
                w.intervals_changed()
                self._touch(w)
                return
            since = last.until
        ivs.append(Interval(node, kind, since, st.fraction, reason))
        self._cover(node, w.id)
        w.intervals_changed()
        self._touch(w)

    def _touch_above(self, node: str) -> None:
        for m in self._needs.get(node, ()):
            above = self._status.get(m)
            if above is not None and above.incident is not None:
                self._touch(self._incidents[above.incident])


def _explain(impact: Impact | None, node: str) -> str:
    return impact.explain() if impact is not None else f"{node} failed"
