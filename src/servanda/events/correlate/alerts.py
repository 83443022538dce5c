"""Applying observations: alerts in, nodes that start or stop failing out.

An observation adds its times to its alert (de-duplication, severity, flapping); the alert's
*lane* (quiet, taking its node down, or firing below the down severity) decides what follows:
:meth:`_Alerts._reconcile` hands the nodes that started or stopped failing, and the alerts
to place, to the layers below, one instant at a time. Keeps ``_alerts`` (the clock forgets
them), ``_firing``, ``_soft`` and ``_ended``.
"""

from __future__ import annotations

from bisect import insort
from datetime import datetime

from servanda.events.correlate.core import _BELOW, _DOWN, _QUIET, _RANK
from servanda.events.correlate.roots import _name
from servanda.events.correlate.status import _Evaluation
from servanda.events.model import Event, Status
from servanda.events.working import AlertState, Lane, SymptomInfo


class _Alerts(_Evaluation):
    """Observations applied to alerts and nodes (on top of the node status)."""

    def _apply(self, ev: Event, now: datetime) -> None:
        batch = self._batch
        end = None
        if ev.status is Status.RESOLVED:
            end = ev.ends_at if ev.ends_at is not None else now
        a = self._alerts.get(ev.fingerprint)
        if ev.node is None:
            batch.unmapped.append(ev.fingerprint)
        if a is None:
            name = ev.label("alertname") or ev.summary or ev.fingerprint
            a = AlertState(ev.fingerprint, ev.source, ev.node, name, ev.starts_at)
            self._alerts[ev.fingerprint] = a
            a.count = a.add(ev.starts_at, end)
            a.planned = self._maintenance.is_planned(a.node, a.episode_start())
            batch.new.append(a.fp)
            before, is_new = _QUIET, True
            episode = a.episode_start()
        else:
            before, is_new = self._lane(a), False
            episode = a.episode_start()
            added = a.add(ev.starts_at, end)
            if not added:
                batch.duplicates += 1
                return
            a.count += added
            batch.repeats.append(a.fp)
            if a.episode_start() != episode:
                a.planned = self._maintenance.is_planned(a.node, a.episode_start())
        latest = a.latest
        a.first_seen = min(a.first_seen, ev.starts_at)
        # The observation with the latest time decides severity and summary, whatever order
        # they arrive in; at one instant, the most severe wins.
        told = ev.starts_at if end is None else end
        if (
            is_new
            or told > a.last_seen
            or (told == a.last_seen and _RANK[ev.severity] < _RANK[a.severity])
        ):
            a.severity, a.summary = ev.severity, ev.summary or a.summary
        if latest > a.last_seen:
            a.last_seen = latest
        if a.incident is not None and (w := self._incidents.get(a.incident)) is not None:
            rank = _RANK[a.severity]
            if rank < w.severity:
                w.severity = rank
                self._touch(w)
        if (
            not a.flapping
            and len(a.starts) + len(a.ends) > self._rule.changes
            and self._rule.is_flapping(a.starts, a.ends)
        ):
            a.flapping, a.flapping_since = True, latest
            batch.flapping.append(a.fp)
        if a.flapping:
            self._schedule(latest + self._rule.quiet, "f", a.fp)
        a.prune(self._rule)
        a.rec = None
        batch.alerts[a.fp] = None
        if before == _QUIET and a.incident is None and not a.firing and end is not None:
            before = self._transient(a, end)
        self._firing_changed(a, before)
        if (
            before is not Lane.QUIET
            and a.firing
            and a.incident is not None
            and a.episode_start() != episode
        ):
            self._episode_moved(a)

    def _transient(self, a: AlertState, end: datetime) -> Lane:
        """An alert never seen firing arrives resolved: it fired from its start to ``end``.

        It is correlated as if its firing had come first, so that its outcome does not depend
        on whether the firing observation arrived before, after, or never. Returns the lane
        it fired in (the caller then resolves it).
        """
        if end <= a.starts[-1]:
            return _QUIET
        a.ends.remove(end)
        try:
            lane = self._lane(a)
            self._firing_changed(a, _QUIET)
            self._reconcile()
        finally:
            insort(a.ends, end)
        return lane

    def _episode_moved(self, a: AlertState) -> None:
        """A late observation moved the start of a firing alert's episode."""
        w = self._incidents.get(a.incident or "")
        if w is None:
            return
        if a.fp in w.root_fps:
            self._earlier_root(w, a.episode_start())
        elif (s := w.symptoms.get(a.fp)) is not None and s.until is None:
            w.put_symptom(
                SymptomInfo(
                    a.fp, s.node, a.episode_start(), s.impact, s.root, s.root_since, s.reason
                )
            )
        self._touch(w)

    def _firing_changed(self, a: AlertState, before: Lane) -> None:
        after = self._lane(a)
        batch = self._batch
        if after == before:
            if after == _DOWN:
                if a.incident is None and a.key not in batch.nodes:
                    batch.attach.append(a)
            elif after == _BELOW and a.key not in batch.soft:
                batch.soft[a.key] = a.episode_start()
            return
        end = a.ends[-1] if after == _QUIET and a.ends else a.latest
        if after == _QUIET:
            self._resolve_alert(a, end)
        if before == _BELOW:
            soft = self._soft[a.key]
            soft.discard(a.fp)
            if not soft:
                del self._soft[a.key]
            batch.soft.setdefault(a.key, end)
        elif before == _DOWN:
            self._stopped(a, end)
        if after == _BELOW:
            self._soft.setdefault(a.key, set()).add(a.fp)
            batch.soft.setdefault(a.key, a.episode_start())
        elif after == _DOWN:
            fps = self._firing.get(a.key)
            if fps is None:
                self._firing[a.key] = {a.fp}
                start = a.episode_start()
                ended = self._ended.get(a.key)
                if ended is not None and start > ended:
                    del self._ended[a.key]  # a new episode, not a late part of the last one
                batch.nodes.setdefault(a.key, start)
            else:
                fps.add(a.fp)
                batch.attach.append(a)

    def _stopped(self, a: AlertState, end: datetime) -> None:
        """An alert stopped taking its node down at ``end``.

        The node stops failing when its last such alert does, at the latest end among them
        (``_ended`` remembers the ends of the others), whatever order the ends arrived in.
        """
        key = a.key
        ended = self._ended.get(key)
        if ended is None or end > ended:
            self._ended[key] = ended = end
        fps = self._firing.get(key)
        if fps is not None:
            fps.discard(a.fp)
            if not fps:
                del self._firing[key]
                batch = self._batch
                prior = batch.nodes.get(key)
                batch.nodes[key] = ended if prior is None else max(prior, ended)
            elif key not in self._batch.nodes:
                again = min(self._alerts[fp].episode_start() for fp in fps)
                if again > ended:
                    # A late alert shows the node recovered at ``ended`` and failed again when
                    # the alerts still firing started: as if the events had come in order.
                    del self._firing[key]
                    self._node_left(key, ended)
                    self._firing[key] = fps
                    del self._ended[key]
                    self._node_joined(key, again)

    def _resolve_alert(self, a: AlertState, end: datetime) -> None:
        a.grace_until = None
        w = self._incidents.get(a.incident) if a.incident else None
        if w is not None:
            s = w.symptoms.get(a.fp)
            if s is not None and s.until is None:
                w.symptom_ended(s, end)
                self._touch(w)

    def _reconcile(self) -> None:
        batch = self._batch
        if batch.nodes:
            changed, batch.nodes = batch.nodes, {}
            order = self._order
            if len(changed) == 1:
                (n,) = changed
                left, joined = ([], [n]) if n in self._firing else ([n], [])
            else:
                left = sorted((n for n in changed if n not in self._firing), key=order.get_key)
                joined = sorted((n for n in changed if n in self._firing), key=order.get_key)
            for n in left:
                self._node_left(n, changed[n])
            for n in joined:
                self._node_joined(n, changed[n])
        if batch.attach:
            todo, batch.attach = batch.attach, []
            for a in todo:
                st = self._status.get(a.key)
                if a.firing and st is not None and st.owner is not None:
                    self._attach(a, a.episode_start())
                elif a.firing and a.incident is None and a.key in self._pending:
                    self._late_symptom(a.key, [a.fp])
        if batch.soft:
            soft, batch.soft = batch.soft, {}
            for node in sorted(soft):
                self._soft_follow(node, soft[node])

    def _node_joined(self, node: str, at: datetime) -> None:
        self._refresh([node], at)
        st = self._status.get(node)
        if (
            st is not None
            and st.owner is None
            and node not in self._roots
            and node in self._firing
            and not self._held(node)
        ):
            # Down already, below a node whose alerts wait for the grace (no owner): its
            # status did not change, so nothing else would make it the root it now is.
            self._orphans.append(node)
            self._refresh((), at)
            st = self._status.get(node)
        if st is not None and st.incident is not None:
            ivs = self._incidents[st.incident].impacts.get(node)
            since = max(self._firing_since(node), self._earliest(self._incidents[st.incident]))
            if ivs and ivs[-1].until is None and ivs[-1].since > since:
                self._pull_back(self._incidents[st.incident], node, ivs[-1].since, since)
        if st is not None and st.owner is not None and node in self._firing:
            for fp in sorted(self._firing[node]):
                self._attach(self._alerts[fp], at)

    def _node_left(self, node: str, at: datetime) -> None:
        if node not in self._soft:  # alerts below the down severity may still wait
            self._pending.pop(node, None)
        self._co.pop(node, None)
        co = [n for n, (root, _) in self._co.items() if root == node] if self._co else []
        for n in co:
            del self._co[n]  # co-causes still firing wait the grace, as symptoms do
        inc_id = self._roots.pop(node, None)
        if inc_id is not None:
            w = self._incidents[inc_id]
            w.degraded = self._degraded(w)  # as it recovered: what it lists does not move
            w.resolved_at = at
            w.note(at, f"{_name(w)} recovered")
            self._batch.resolved.append(w.id)
            self._touch(w)
            grace = self._detach_after(w, at)
            for s in w.symptoms.values():
                held = self._alerts.get(s.fp)
                if held is not None and held.firing and held.incident == w.id:
                    self._pending[held.key] = at
                    held.grace_until, held.rec = at + grace, None
                    self._batch.alerts[held.fp] = None
                    self._schedule(at + grace, "g", held.key)
        self._refresh([node, *co], at)
