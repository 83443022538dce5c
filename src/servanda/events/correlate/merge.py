"""Merging: the work of one incident taken over by another, written once.

Work moves from one incident to another in four cases, each of which says when it applies and
why: two live roots become one fault (:meth:`_Merging._merge`: the hold-down, a lost spare, a
joint failure), a reopen turns out to belong to a new root (:meth:`_Merging._withdraw_reopen`),
a root turns out to have had down a node whose incident has resolved since
(:meth:`_Merging._take_over_resolved`), and a node's incident of alerts below the down severity
is taken over when the node goes down (:meth:`_Merging._merge_below`). What moves, and how, is
:meth:`_Merging._hand_over`; closing the incident taken over is :meth:`_Merging._close_into`.
"""

from __future__ import annotations

from datetime import datetime

from servanda.catalog.graph import Impact
from servanda.events.correlate.core import _EPOCH, _RANK
from servanda.events.correlate.intervals import _Intervals
from servanda.events.incidents import IncidentState
from servanda.events.working import AlertState, IncidentWork, Interval, SymptomInfo, when


class _Merging(_Intervals):
    """Incidents taken over by others (on top of the intervals)."""

    def _mergeable(self, node: str, into: str) -> bool:
        """Nobody acted on the incident of root ``node``, and it was detected (or reopened,
        when that reopen can be withdrawn) at most the hold-down before ``into`` failed."""
        w = self._incidents[self._roots[node]]
        target = self._incidents[self._roots[into]]
        if w.state is not IncidentState.DETECTED:
            return False
        since = target.root_since - self.settings.hold_down
        if w.reopen_count:
            return w.reopened_from is not None and w.floor >= since
        return w.detected_at >= since

    def _below_mergeable(self, w: IncidentWork, into: str) -> bool:
        target = self._incidents[into]
        return (
            w.state is IncidentState.DETECTED
            and w.detected_at >= target.root_since - self.settings.hold_down
        )

    def _merge(
        self,
        node: str,
        into: str,
        at: datetime,
        impact: Impact | None,
        why: str | None = None,
    ) -> None:
        """The incident of root ``node`` joins that of root ``into``: its alerts become
        symptoms there and it is closed ``merged_into`` it (both trails say why). This is
        the one way incidents of two live roots become one: the hold-down (``node`` is down
        because of ``into``: ``impact``), a node that lost its redundancy because of
        ``into``, and a co-cause of a joint failure (``why`` says which). An incident that
        reopened for this fault is not taken over: its reopen is withdrawn (see
        :meth:`_withdraw_reopen`)."""
        src = self._incidents[self._roots.pop(node)]
        dst = self._incidents[self._roots[into]]
        for n, (root, because) in list(self._co.items()):
            if root == node:  # its co-causes follow it (re-evaluated after this evaluation)
                self._co[n] = (into, because)
                self._joints.append((n, into, ""))
        if src.reopen_count and src.reopened_from is not None:
            self._withdraw_reopen(node, src, dst, at, impact, why)
            return
        self._close_into(
            src,
            dst,
            at,
            why or f"{node} depends on {into}, down since {when(dst.root_since)}",
            why or f"{node} is a symptom of {into}",
        )
        dst.detected_at = min(dst.detected_at, src.detected_at)
        dst.unplanned = dst.unplanned or src.unplanned
        self._hand_over(src, dst, at, impact, node=node, why=why)
        # The node is down because of the root since the root took it down, if that is
        # earlier than its own failure (as when the events come in order).
        mine = dst.impacts.get(node)
        since = max(at, self._earliest(dst))
        if impact is not None and mine and mine[-1].until is None and since < mine[-1].since:
            own = mine[-1]
            if impact.fraction >= own.fraction:
                self._pull_back(dst, node, own.since, since)
            else:
                mine.insert(
                    len(mine) - 1,
                    Interval(node, own.kind, since, impact.fraction, own.reason, own.since),
                )
        self._touch(src)
        self._touch(dst)

    def _withdraw_reopen(
        self,
        node: str,
        src: IncidentWork,
        dst: IncidentWork,
        at: datetime,
        impact: Impact | None,
        why: str | None,
    ) -> None:
        """``node``'s alerts reopened its resolved incident ``src`` at most the hold-down
        before the root of ``dst`` failed, nobody acting on it since: they are symptoms of
        that new root, which never reopen an incident of another fault. What came with the
        reopen (intervals, alerts since then) moves to ``dst``; ``src`` is put back as it was
        before, resolved, its earlier history left where it is."""
        prior = src.reopened_from
        assert prior is not None
        floor = src.floor
        self._hand_over(src, dst, at, impact, node=node, since=floor, why=why)
        batch = self._batch
        for fp in sorted({*src.root_fps, *src.symptoms}):
            a = self._alerts.get(fp)
            if a is None or a.incident != src.id or a.episode_start() < floor:
                continue
            # Still firing since the reopen: re-attached to ``dst`` as their nodes are
            # re-evaluated; an alert first seen with the reopen was never ``src``'s.
            _release(src, a, floor)
            a.incident, a.grace_until, a.rec = None, None, None
            batch.alerts[fp] = None
        src.reopened_from = None
        src.resolved_at, src.degraded = prior.resolved_at, prior.degraded
        src.corrected_at, src.validated_at = prior.corrected_at, prior.validated_at
        src.closed_at, src.floor, src.root_since = prior.closed_at, prior.floor, prior.root_since
        src.reopen_count -= 1
        reason = why or f"{node} depends on {dst.root}, down since {when(dst.root_since)}"
        src.note(at, f"reopen withdrawn, its alerts since {when(floor)} went to {dst.id}: {reason}")
        src.state = prior.state
        dst.note(at, f"took over what reopened {src.id} since {when(floor)}: {reason}")
        dst.detected_at = min(dst.detected_at, max(floor, self._earliest(dst)))
        if src.id in batch.reopened:
            batch.reopened.remove(src.id)
        else:
            batch.resolved.append(src.id)
        self._touch(src)
        self._touch(dst)

    def _take_over_resolved(self, node: str, inc_id: str, at: datetime) -> None:
        """A root now owns ``node``: an incident of the node that resolved after the root
        failed, and was detected within the hold-down before, is taken over as if the root's
        alerts had come first (its alerts become symptoms)."""
        dst = self._incidents[inc_id]
        for by_root in (self._last_by_root, self._last_below):
            src_id = by_root.get(node)
            src = self._incidents.get(src_id) if src_id else None
            if (
                src is None
                or src is dst
                or src.resolved_at is None
                or src.merged_into is not None
                or src.reopen_count
                or src.state is not IncidentState.DETECTED
                or src.resolved_at <= dst.root_since
                or src.detected_at < dst.root_since - self.settings.hold_down
            ):
                continue
            self._close_into(
                src,
                dst,
                at,
                f"{node} depends on {dst.root}, down since {when(dst.root_since)}",
                f"{node} is a symptom of {dst.root}",
            )
            st = self._status.get(node)
            impact = st.impact if st is not None and node != dst.root else None
            self._hand_over(src, dst, at, impact, copy=True)
            self._touch(src)
            self._touch(dst)

    def _merge_below(self, node: str, src: IncidentWork, into: str, at: datetime) -> None:
        """The node went down within the hold-down: its low-severity incident is taken over."""
        dst = self._incidents[into]
        del self._below[node]
        self._close_into(
            src,
            dst,
            at,
            f"{node} is down because of {dst.root}, since {when(dst.root_since)}",
            f"its alerts on {node} are symptoms of {dst.root}",
        )
        st = self._status.get(node)
        self._hand_over(src, dst, at, st.impact if st is not None and node != dst.root else None)
        self._touch(src)
        self._touch(dst)

    # -- the mechanism --------------------------------------------------------------------------

    def _close_into(
        self, src: IncidentWork, dst: IncidentWork, at: datetime, gone: str, took: str
    ) -> None:
        """``src`` is taken over by ``dst``: closed ``merged_into`` it, ``gone`` saying why in
        its trail and ``took`` in that of ``dst``, whose severity is at least its own."""
        src.degraded = self._degraded(src)  # as it stopped: what it lists does not move
        self._detect(src)
        src.merged_into = dst.id
        src.note(at, f"merged into {dst.id}: {gone}", IncidentState.CLOSED)
        dst.merged_from.append(src.id)
        dst.note(at, f"took over {src.id}: {took}")
        dst.severity = min(dst.severity, src.severity)
        self._batch.merged.append((src.id, dst.id))

    def _hand_over(
        self,
        src: IncidentWork,
        dst: IncidentWork,
        at: datetime,
        impact: Impact | None,
        *,
        node: str | None = None,
        since: datetime = _EPOCH,
        why: str | None = None,
        copy: bool = False,
    ) -> None:
        """Move what ``src`` holds to ``dst``, which takes it over: all of it, or with
        ``since``, what started then or later.

        * Intervals. Closed ones are folded into those of ``dst`` (joined with one they
          overlap; one that never lasted is left out). An open one carries on in ``dst``,
          its node's status following it; that of ``node``, down because of the root of
          ``dst``, takes the reason ``impact`` gives. With ``copy`` (``src`` has resolved:
          nothing of it carries on), every interval is folded. ``dst`` is remembered as
          having had their nodes down (see :meth:`_cover`).
        * Alerts of ``src`` that no longer fire become ended symptoms of ``dst`` (``impact``
          and ``why`` say why); those still firing are re-attached as their nodes are
          re-evaluated.
        * Without ``since``, ``src`` keeps what moved as its history, its open intervals
          ending at ``at``; with it, what came since no longer belongs to ``src`` (a
          withdrawn reopen).
        """
        cut = since > _EPOCH
        # Intervals.
        for n in list(src.impacts):
            ivs = src.impacts[n]
            moving = [iv for iv in ivs if iv.since >= since] if cut else ivs
            if not moving:
                continue
            held = cut  # a withdrawn reopen: its nodes were down in ``dst`` since then
            for iv in moving:
                # What it had down before (intervals already closed, as when a node's own
                # alert came in an earlier batch and ended its partial interval) goes with it:
                # the merged record yields nothing (see :mod:`~servanda.events.outages`).
                if copy or (iv.until is not None and iv.until > iv.since):
                    _fold(dst.impacts.setdefault(n, []), iv)
                    held = True
            for i, iv in enumerate(moving):
                if copy or iv.until is not None:
                    continue
                st = self._status.get(n)
                if st is not None and st.incident == src.id:
                    st.incident = dst.id
                if n == node and impact is not None:
                    iv.reason = impact.explain()
                iv.rec = None
                dst.impacts.setdefault(n, []).append(iv)
                held = True
                if not cut:  # it ends here, where ``src`` stands
                    ivs[i] = Interval(
                        n, iv.kind, iv.since, iv.fraction, iv.reason, max(at, iv.since)
                    )
            if held:
                self._cover(n, dst.id)
            if cut:
                kept = [iv for iv in ivs if iv.since < since]
                if kept:
                    src.impacts[n] = kept
                else:
                    del src.impacts[n]
        src.intervals_changed()
        dst.intervals_changed()
        # Alerts that no longer fire.
        moved = [
            SymptomInfo(fp, a.key, a.episode_start(), impact, dst.root, dst.root_since, why)
            for fp in sorted(src.root_fps)
            if (a := self._alerts.get(fp)) is not None
            and a.incident == src.id
            and not a.firing
            and a.episode_start() >= since
        ]
        moved += [  # a reason given (a co-cause, a lost spare) still holds in dst's fault
            SymptomInfo(
                s.fp,
                s.node,
                s.since,
                s.impact,
                dst.root,
                dst.root_since,
                s.reason if s.given else None,
            )
            for s in src.symptoms.values()
            if (a := self._alerts.get(s.fp)) is not None
            and a.incident == src.id
            and not a.firing
            and s.since >= since
        ]
        if cut:
            for info in moved:
                _release(src, self._alerts[info.fp], since)
        for info in moved:
            a = self._alerts[info.fp]
            if a.ends:
                info.until = a.ends[-1]
            dst.put_symptom(info)
            dst.severity = min(dst.severity, _RANK[a.severity])
            a.incident, a.rec = dst.id, None
            self._batch.alerts[a.fp] = None


def _release(src: IncidentWork, a: AlertState, since: datetime) -> None:
    """``a`` no longer belongs to ``src`` from ``since``: it is no symptom of it, nor a root
    alert if it was first seen since then."""
    src.drop_symptom(a.fp)
    if a.first_seen >= since:
        src.root_fps.discard(a.fp)


def _fold(ivs: list[Interval], iv: Interval) -> None:
    """Add a copy of ``iv`` to a node's intervals, joined with one it overlaps (same
    fraction), keeping them in order."""
    for d in ivs:
        if (
            d.fraction == iv.fraction
            and (d.until is None or iv.since <= d.until)
            and (iv.until is None or d.since <= iv.until)
        ):
            d.since = min(d.since, iv.since)
            d.until = None if d.until is None or iv.until is None else max(d.until, iv.until)
            d.rec = None
            return
    ivs.append(Interval(iv.node, iv.kind, iv.since, iv.fraction, iv.reason, iv.until))
    ivs.sort(key=lambda x: (x.until is None, x.since))
