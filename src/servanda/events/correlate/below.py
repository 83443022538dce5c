"""Alerts below the down severity: symptoms of a root that has their node down, otherwise
their node's own incident, which takes nothing down.

That incident opens, reopens and resolves with its alerts; a root that takes its node down
within the hold-down takes it over (see :mod:`~servanda.events.correlate.merge`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from servanda.events.correlate.core import _EPOCH
from servanda.events.correlate.roots import _opening
from servanda.events.correlate.symptoms import _Symptoms
from servanda.events.incidents import IncidentState
from servanda.events.working import IncidentWork


class _Below(_Symptoms):
    """Incidents of alerts below the down severity (on top of the symptoms)."""

    def _soft_follow(self, node: str, at: datetime, split: bool = False) -> None:
        """Place the alerts below the down severity that fire on ``node``.

        On a node down (or partly down) because of a root they are symptoms of that root's
        incident (on the root's own node too). Otherwise they make the node's own incident,
        which takes nothing down; it is taken over like a provisional root when the node goes
        down within the hold-down, and resolves when its last alert does. While the node's
        root has recovered and the grace runs, they stay where they are.
        """
        fps = sorted(self._soft.get(node, ()))
        st = self._status.get(node)
        if node in self._has_requirements and node not in self._firing and not self._restoring:
            # Whether it lost a spare to a live root depends on whether it has alerts: its
            # status says so, and following it places them (see :meth:`_evaluate`).
            lost = st is not None and st.fraction == 0 and st.owner is not None
            if (fps and st is None and self._spare_lost(node) is not None) or (lost and not fps):
                self._refresh([node], at)
                return
        target = self._roots.get(st.owner) if st is not None and st.owner is not None else None
        own_id = self._below.get(node)
        if own_id is not None:
            own = self._incidents[own_id]
            if target is not None and self._below_mergeable(own, target):
                self._merge_below(node, own, target, at)
            elif fps:
                target = own_id
            else:
                self._resolve_below(node, own, at)
        if not fps:
            return
        reason: str | None = None
        if target is None:
            if node in self._pending:
                late = [fp for fp in fps if self._alerts[fp].incident is None]
                if late:
                    self._late_symptom(node, late, below=True)
                return
            if own_id is None and not split and self._late_symptom(node, fps, below=True):
                return
            target = self._open_below(node, fps, at if split else None)
            as_root, owner, impact = True, node, None
        elif target == own_id:
            as_root, owner, impact = True, node, None
        else:
            assert st is not None
            assert st.owner is not None
            as_root, owner = False, st.owner
            impact = None if st.owner == node else st.impact
            reason = st.reason
            if node not in self._firing:
                self._pending.pop(node, None)
        for fp in fps:
            a = self._alerts[fp]
            self._join(a, target, at, as_root, impact, owner, reason)
            target = a.incident or target  # the id follows the earliest root alert

    def _open_below(self, node: str, fps: Sequence[str], floor: datetime | None) -> str:
        """The node's incident for alerts below the down severity (new, reopened or carried
        on), with its root time at the earliest start among ``fps``."""
        at = min(self._alerts[fp].episode_start() for fp in fps)
        if floor is not None:
            at = max(at, floor)
        last = self._last_below.get(node)
        w = self._incidents.get(last) if last else None
        if w is not None and (w.resolved_at is None or w.merged_into is not None):
            w = None
        if w is not None and w.resolved_at is not None:
            ref = max(w.resolved_at, w.closed_at or w.resolved_at)
            if at - ref > self.settings.reopen_window:
                w = None
        if w is not None and w.resolved_at is not None and at <= w.resolved_at:
            self._unresolve(w, at)
        elif w is not None:
            w.resolved_at = None
            w.corrected_at = w.validated_at = w.closed_at = None
            w.reopen_count += 1
            w.note(at, f"{node}: alert(s) below the down severity again", IncidentState.DETECTED)
            w.root_since = w.floor = at
            self._batch.reopened.append(w.id)
        else:
            w = IncidentWork("", node, at)
            w.below = True
            w.id = new_id = self._new_id(w)
            w.floor = at if floor is not None else _EPOCH
            self._incidents[new_id] = w
            w.transitions.append(_opening(w, at))
            self._batch.opened.append(new_id)
        self._below[node] = self._last_below[node] = w.id
        self._touch(w)
        return w.id

    def _resolve_below(self, node: str, w: IncidentWork, at: datetime) -> None:
        """No alert of the node's low-severity incident fires any more: it resolves at the
        latest end among them."""
        ends = [
            a.ends[-1]
            for fp in w.root_fps
            if (a := self._alerts.get(fp)) is not None and a.ends and not a.firing
        ]
        w.resolved_at = max(ends, default=at)
        w.note(w.resolved_at, f"{node}: alert(s) below the down severity resolved")
        del self._below[node]
        self._batch.resolved.append(w.id)
        self._touch(w)
