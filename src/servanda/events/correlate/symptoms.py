"""Symptoms: placing alerts in the incident of the root that owns their node.

An alert becomes a root alert or a symptom of an incident (:meth:`_Symptoms._join`), waits
the symptom grace when its root recovers or stops holding its node (:meth:`_Symptoms._hold`,
:meth:`_Symptoms._held`), leaves an incident whose root recovered before it started, and,
come late, joins the recovered root that had its node down (:meth:`_Symptoms._late_symptom`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from servanda.catalog.graph import Impact
from servanda.events.correlate.core import _DOWN, _RANK
from servanda.events.correlate.roots import _Roots
from servanda.events.incidents import IncidentState
from servanda.events.working import AlertState, IncidentWork, Interval, SymptomInfo


class _Symptoms(_Roots):
    """Root and symptom alerts of incidents (on top of the roots)."""

    def _attach(self, a: AlertState, at: datetime) -> None:
        st = self._status[a.key]
        assert st.owner is not None
        self._join(a, self._roots[st.owner], at, st.owner == a.key, st.impact, st.owner, st.reason)

    def _join(
        self,
        a: AlertState,
        inc_id: str,
        at: datetime,
        as_root: bool,
        impact: Impact | None,
        owner: str,
        reason: str | None = None,
    ) -> None:
        """Make ``a`` a root alert or a symptom of incident ``inc_id`` (``reason``: why, when
        no impact says it)."""
        if a.incident == inc_id:
            same = self._incidents[inc_id]
            again = same.symptoms.get(a.fp)
            if (
                again is not None
                and again.until is None
                and not as_root
                and (reason is not None or again.given)
                and again.reason != reason
            ):
                # Why it is a symptom changed (it lost its spare, then went down): say so.
                renewed = SymptomInfo(
                    a.fp, a.key, again.since, impact, owner, again.root_since, reason
                )
                same.put_symptom(renewed)
                self._touch(same)
            elif again is not None and again.until is not None:
                # It fires again: a new episode, for the reason its node is held now (a
                # co-cause, a lost spare), else for the one it had.
                given = reason if reason is not None else (again.reason if again.given else None)
                renewed = SymptomInfo(
                    a.fp,
                    a.key,
                    a.episode_start(),
                    impact if impact is not None else again.impact,
                    again.root,
                    again.root_since,
                    given,
                )
                same.put_symptom(renewed)
                self._touch(same)
            if a.grace_until is not None:
                a.grace_until, a.rec = None, None
                self._batch.alerts[a.fp] = None
            return
        old = self._incidents.get(a.incident) if a.incident else None
        if old is not None and old.merged_into is None:
            s = old.symptoms.get(a.fp)
            if old.resolved_at is not None or a.grace_until is not None:
                # Its root recovered, or it waited the grace there (see :meth:`_hold`): it
                # was a symptom until then.
                if s is not None and s.until is None:
                    old.symptom_ended(s, at)
            else:
                old.drop_symptom(a.fp)
                old.root_fps.discard(a.fp)
            self._touch(old)
        w = self._incidents[inc_id]
        if as_root:
            w.root_fps.add(a.fp)
            w.unplanned = w.unplanned or not a.planned
            self._earlier_root(w, a.episode_start())
        else:
            start = a.episode_start()
            w.put_symptom(SymptomInfo(a.fp, a.key, start, impact, owner, w.root_since, reason))
            w.detected_at = min(w.detected_at, max(start, self._earliest(w)))
            ivs = w.impacts.get(a.key)
            if ivs and start < ivs[-1].since and ivs[-1].until is None:
                # Its node failed on its own before the root took it down: down since then.
                since = max(start, self._earliest(w))
                if since < ivs[-1].since and self._lane(a) == _DOWN:
                    self._pull_back(w, a.key, ivs[-1].since, since)
        w.severity = min(w.severity, _RANK[a.severity])
        a.incident, a.grace_until, a.rec = w.id, None, None
        self._batch.alerts[a.fp] = None
        self._touch(w)

    def _late_symptom(self, node: str, fps: Sequence[str], below: bool = False) -> bool:
        """A node starts firing, late, at a time a root that has recovered since had it down
        (or shortly before, within the hold-down, while nobody acted on the root's incident):
        its alerts are symptoms of that root's incident, held for the grace from the root's
        recovery, as if they had come in order. Alerts ``below`` the down severity are late
        symptoms of the node's own recovered incident too."""
        covered = self._covered.get(node)
        if not covered:
            return False
        start = min(self._alerts[fp].episode_start() for fp in fps)
        hold_down = self.settings.hold_down
        for inc_id in reversed(covered):
            w = self._incidents.get(inc_id)
            if w is None or w.resolved_at is None or w.merged_into is not None:
                continue
            if w.root == node and not below:
                continue
            early = w.root_since - hold_down if w.state is IncidentState.DETECTED else None
            iv = next(
                (
                    iv
                    for iv in w.impacts.get(node, ())
                    if iv.until is not None
                    and start <= iv.until
                    and (iv.since <= start or (early is not None and start >= early))
                ),
                None,
            )
            if iv is None or iv.until is None:
                continue
            end = iv.until
            if start < iv.since and not below:  # it failed on its own first: down since then
                iv.since, iv.rec = max(start, self._earliest(w)), None
                w.intervals_changed()
            if iv.fraction < 1.0 and not below and start < end:
                # Its own alerts make it fully down from their start.
                if start <= iv.since:
                    iv.fraction, iv.rec = 1.0, None
                else:
                    ivs = w.impacts[node]
                    whole = Interval(node, iv.kind, start, 1.0, iv.reason, end)
                    iv.until, iv.rec = start, None
                    ivs.insert(ivs.index(iv) + 1, whole)
                w.intervals_changed()
            grace = end + self.settings.symptom_grace
            for fp in fps:
                a = self._alerts[fp]
                a.rec = None
                a.incident, a.grace_until = w.id, grace
                w.severity = min(w.severity, _RANK[a.severity])
                w.put_symptom(SymptomInfo(fp, node, a.episode_start(), None, w.root, w.root_since))
                self._batch.alerts[fp] = None
            self._pending[node] = end
            self._schedule(grace, "g", node)
            self._touch(w)
            return True
        return False

    def _hold(self, node: str, inc_id: str, at: datetime) -> None:
        """The node stopped being down because of its root at ``at``, the root still failing
        (a node it was down through recovered): its alerts that are symptoms of the root's
        incident wait the symptom grace there, as when the root recovers."""
        held = [
            a
            for fp in sorted((*self._firing.get(node, ()), *self._soft.get(node, ())))
            if (a := self._alerts[fp]).incident == inc_id
            or (
                a.incident is not None
                and (was := self._incidents.get(a.incident)) is not None
                and was.merged_into == inc_id
            )
        ]
        if not held:
            return
        grace = self.settings.symptom_grace
        self._pending[node] = at
        for a in held:
            a.grace_until, a.rec = at + grace, None
            self._batch.alerts[a.fp] = None
        self._schedule(at + grace, "g", node)

    def _held(self, node: str) -> bool:
        """The node's alerts wait for the grace after their root recovered (an alert that
        started before that recovery, come late, does not wait: it belongs to that time)."""
        since = self._pending.get(node)
        if since is None:
            return False
        return not any(
            (a := self._alerts[fp]).incident is None and a.episode_start() <= since
            for fp in self._firing.get(node, ())
        )

    def _detach_after(self, w: IncidentWork, at: datetime) -> timedelta:
        """Symptom alerts that started after their root recovered at ``at`` (they arrived
        before the news of the recovery) were never its symptoms: they leave it. Returns the
        symptom grace."""
        late = [s for s in w.symptoms.values() if s.since > at and s.until is None]
        for s in late:
            a = self._alerts.get(s.fp)
            if a is not None and a.incident == w.id:
                w.drop_symptom(s.fp)
                a.incident, a.grace_until, a.rec = None, None, None
                self._batch.alerts[a.fp] = None
                if a.key in self._firing:
                    self._batch.attach.append(a)
        return self.settings.symptom_grace
