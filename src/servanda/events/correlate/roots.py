"""Roots and their incidents: opening, reopening, ids and records.

A node that fails on its own opens an incident (or reopens its last one, or carries on one
whose recovery turns out to be false); an earlier root alert, come late, moves the incident's
root time back, and with it its id (:meth:`_Roots._reidentify`). Records and summaries of
incidents are written here too.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from servanda.events.correlate.core import _EPOCH
from servanda.events.correlate.merge import _Merging
from servanda.events.incidents import Incident, IncidentState, Transition, incident_id
from servanda.events.working import UNMAPPED, IncidentWork, Reopening, when


class _Roots(_Merging):
    """Incidents of roots, their ids and their records (on top of merging)."""

    def _make_root(self, node: str, at: datetime, split: bool = False) -> None:
        self._pending.pop(node, None)
        self._co.pop(node, None)
        w = self._reopenable(node, at)
        if w is not None and w.resolved_at is not None and at <= w.resolved_at:
            # An alert that started before the recovery arrived late: the root never recovered.
            self._unresolve(w, at)
        elif w is not None:
            self._detect(w)  # as it was before the reopen
            w.reopened_from = Reopening(w)
            w.resolved_at = None
            w.corrected_at = w.validated_at = w.closed_at = None
            w.reopen_count += 1
            w.note(at, f"{_name(w)} failed again at {when(at)}", IncidentState.DETECTED)
            w.root_since = at
            self._batch.reopened.append(w.id)
            w.floor = at
        else:
            w = IncidentWork("", node, at)
            w.id = new_id = self._new_id(w)
            self._incidents[new_id] = w
            w.transitions.append(_opening(w, at))
            self._batch.opened.append(new_id)
            w.floor = at if split else _EPOCH
        self._roots[node] = w.id
        self._last_by_root[node] = w.id
        self._touch(w)
        self._refresh([node], at)

    def _unresolve(self, w: IncidentWork, at: datetime) -> None:
        """The incident's root turns out to have been failing without a break: undo its
        recovery (its intervals carry on, see :meth:`_open_interval`)."""
        w.note(at, f"{_name(w)} did not recover: an alert that started at {when(at)} came late")
        w.resolved_at = None
        batch = self._batch
        if w.id in batch.resolved:
            batch.resolved.remove(w.id)

    def _reopenable(self, node: str, at: datetime) -> IncidentWork | None:
        last = self._last_by_root.get(node)
        w = self._incidents.get(last) if last else None
        if w is None or w.resolved_at is None or w.merged_into is not None:
            return None
        ref = max(w.resolved_at, w.closed_at or w.resolved_at)
        return w if at - ref <= self.settings.reopen_window else None

    def _earlier_root(self, w: IncidentWork, start: datetime) -> None:
        """A root alert that started before the incident's root time moves it back, and with
        it the id (see :meth:`_reidentify`) unless the incident reopened since."""
        start = max(start, w.floor)
        if start >= w.root_since:
            return
        old = w.root_since
        w.root_since = start
        w.detected_at = min(w.detected_at, start)
        for ivs in w.impacts.values():
            iv = ivs[-1] if ivs else None
            if iv is not None and iv.until is None and iv.since == old:
                iv.since, iv.rec = start, None
        w.intervals_changed()
        self._left_earlier(w, old, start)
        if w.reopen_count == 0 and w.merged_into is None:
            self._reidentify(w, old)
        if w.live and not w.below:
            # Incidents of nodes it holds that ended after its new root time are its own.
            for n in sorted(w.open_nodes()):
                if n != w.root:
                    self._take_over_resolved(n, w.id, start)
        if self._roots.get(w.root) == w.id:
            # The root now counts as failing earlier: nodes below may change owner.
            self._refresh(self._dependents.get(w.root, ()), start)

    def _left_earlier(self, w: IncidentWork, old: datetime, start: datetime) -> None:
        """The root of ``w`` failed at ``start``, not ``old``: its symptoms that left another
        incident when it failed (alerts held for the grace after their root recovered, say)
        left it at ``start``, as if the events had come in order (not before that incident
        stopped holding their node)."""
        for s in w.symptoms.values():
            if s.until is not None:
                continue
            for other in self._covered.get(s.node, ()):
                o = self._incidents.get(other)
                prev = o.symptoms.get(s.fp) if o is not None and o is not w else None
                if o is None or prev is None or prev.until != old:
                    continue
                held = (iv.until for iv in o.impacts.get(s.node, ()) if iv.until is not None)
                until = max(start, prev.since, *(t for t in held if t <= old))
                if until < old:
                    o.symptom_ended(prev, until)
                    self._touch(o)

    def _new_id(self, w: IncidentWork) -> str:
        """The id of ``w`` from its root's key and root time (suffixed if already taken)."""
        if w.below:
            key = "below:" + w.root
        elif w.root.startswith(UNMAPPED):
            key = "unmapped:" + w.root[len(UNMAPPED) :]
        else:
            key = w.root
        base = new_id = incident_id(key, w.root_since)
        n = 2
        while new_id in self._incidents and self._incidents[new_id] is not w:
            new_id, n = f"{base}-{n}", n + 1
        return new_id

    def _reidentify(self, w: IncidentWork, was: datetime) -> None:
        """Keep the id a function of the earliest root alert, whatever order alerts came in.

        The old id stays as a closed record taken over by the new id, as a merged incident
        is: whether or not it was announced yet (opened in an earlier batch), so that what is
        kept does not depend on how the events were cut into batches.
        """
        new_id = self._new_id(w)
        old_id = w.id
        if new_id == old_id:
            return
        batch = self._batch
        del self._incidents[old_id]
        w.id, w.rec = new_id, None
        self._incidents[new_id] = w
        for by_root in (self._roots, self._below, self._last_by_root, self._last_below):
            if by_root.get(w.root) == old_id:
                by_root[w.root] = new_id
        for n in (w.root, *w.impacts):  # an unmapped root has a status but no interval
            st = self._status.get(n)
            if st is not None and st.incident == old_id:
                st.incident = new_id
        for fp in (*w.root_fps, *w.symptoms):
            a = self._alerts.get(fp)
            if a is not None and a.incident == old_id:
                a.incident, a.rec = new_id, None
                batch.alerts[fp] = None
        for src_id in w.merged_from:
            src = self._incidents.get(src_id)
            if src is not None and src.merged_into == old_id:
                src.merged_into = new_id
                self._touch(src)
        for ids in (batch.opened, batch.resolved, batch.reopened):
            ids[:] = [new_id if i == old_id else i for i in ids]
        batch.merged = [
            (new_id if a == old_id else a, new_id if b == old_id else b) for a, b in batch.merged
        ]
        batch.touched.pop(old_id, None)
        gone = IncidentWork(old_id, w.root, was)
        gone.below, gone.root_since, gone.floor = w.below, was, w.floor
        gone.transitions, gone.state = list(w.transitions), w.state
        gone.merged_into = new_id
        gone.note(
            was,
            f"re-identified as {new_id}: an alert of {_name(w)} that started earlier, "
            f"at {when(w.root_since)}, came late",
            IncidentState.CLOSED,
        )
        self._incidents[old_id] = gone
        w.merged_from.append(old_id)
        w.note(was, f"was {old_id} until an earlier alert of its root came")
        batch.merged.append((old_id, new_id))
        self._touch(gone)
        self._touch(w)

    def _record(self, w: IncidentWork) -> Incident:
        if w.rec is None:
            self._detect(w)
            w.degraded = self._degraded(w) if w.live else w.degraded
            planned = not w.unplanned and bool(w.root_fps) and w.node is not None
            w.to_record(planned, _summary(w, planned, self._kind))
        assert w.rec is not None
        return w.rec


def _name(w: IncidentWork) -> str:
    return w.node if w.node is not None else "unmapped alert " + ",".join(sorted(w.root_fps))


def _opening(w: IncidentWork, at: datetime) -> Transition:
    if w.below:
        what = f"{w.node}: an alert below the down severity fired"
    elif w.node is not None:
        what = f"{w.node} failed"
    else:
        what = "an alert no mapping rule matched fired"
    return Transition(None, IncidentState.DETECTED, at, "servanda", what)


def _summary(w: IncidentWork, planned: bool, kinds: Mapping[str, str]) -> str:
    if w.below:
        text = (
            f"{len(w.root_fps)} alert(s) on {w.node} below the down severity since "
            f"{when(w.root_since)}: recorded, nothing is taken down."
        )
    elif w.node is None:
        fps = ", ".join(sorted(w.root_fps))
        text = f"Unmapped alert {fps}: no mapping rule matched its labels, so it is not correlated."
    else:
        text = f"{w.node} failed at {when(w.root_since)}."
    if w.merged_into is not None:
        return text + f" Taken over by {w.merged_into}."
    firing_symptoms = len(w.symptoms)
    if firing_symptoms:
        nodes = len(w.sym_nodes)
        text += f" {firing_symptoms} symptom alert(s) on {nodes} node(s) attached."
    services = sorted({n for n in w.impacts if kinds.get(n) == "service"})
    others = sorted({n for n in w.impacts if kinds.get(n) != "service" and n != w.root})
    if services:
        shown = ", ".join(services[:5]) + (" …" if len(services) > 5 else "")
        text += f" Impacts {len(services)} service(s): {shown}."
    elif w.node is not None and not w.below:
        text += " No service is impacted."
    if others:
        text += f" {len(others)} other node(s) down."
    if w.degraded:
        lost = "; ".join(f"{d.node} ({', '.join(d.lost)} down)" for d in w.degraded[:5])
        text += f" Lost redundancy but still up: {lost}."
    if planned:
        text += " Planned: inside a maintenance window."
    if w.resolved_at is not None:
        text += f" Recovered at {when(w.resolved_at)}."
    return text
