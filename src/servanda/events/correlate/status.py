"""How each node stands, and what follows when that changes.

A node is down (fully or partly) because it fires or because of its requirements, and is
owned by the root whose incident holds it (:meth:`_Evaluation._evaluate`): the failing root
itself, the root that takes it down (the one that failed first), the root it lost a spare to
(:meth:`_Evaluation._spare_lost`), or the first root of a joint failure it is a co-cause of
(:meth:`_Evaluation._joint`). :meth:`_Evaluation._refresh` re-evaluates nodes in dependency
order and stops where nothing changes; :meth:`_Evaluation._follow` moves intervals and
alerts after a node's status changed. Keeps ``_status`` and ``_down``, and finds co-causes
(``_co``, ``_joints``) and nodes left without an owner (``_orphans``).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from datetime import datetime

from servanda.catalog.graph import Impact
from servanda.catalog.model import RequirementMode
from servanda.events.correlate.below import _Below
from servanda.events.correlate.core import _Status

_MAX_VISITS = 4
"""How often one node may be re-evaluated per change (guards against cycles)."""


class _Evaluation(_Below):
    """Node status and its propagation (on top of the alerts below the down severity)."""

    def _refresh(self, start: Iterable[str], at: datetime) -> None:
        """Re-evaluate ``start`` and, where something changed, the nodes below, in order."""
        order = self._order
        heap = [(order.get_key(n), n) for n in set(start)]
        heapq.heapify(heap)
        queued = {n for _, n in heap}
        visits: dict[str, int] = {}
        while heap:
            _, node = heapq.heappop(heap)
            queued.discard(node)
            v = visits[node] = visits.get(node, 0) + 1
            if v > _MAX_VISITS:
                continue
            old = self._status.get(node)
            new = self._evaluate(node, at)
            if new is None:
                if old is None:
                    continue
                del self._status[node]
                self._down.discard(node)
            else:
                if (
                    old is not None
                    and old.down == new.down
                    and old.owner == new.owner
                    and old.fraction == new.fraction
                ):
                    old.reason = new.reason
                    self._reexplain(node, old, new.impact)
                    continue
                self._status[node] = new
                if new.down:
                    self._down.add(node)
                else:
                    self._down.discard(node)
            if not self._restoring:
                self._follow(node, old, new, at)
            if (
                old is None
                or new is None
                or old.down != new.down
                or old.owner != new.owner
                or old.fraction != new.fraction
            ):
                for d in self._dependents.get(node, ()):
                    if d not in queued:
                        queued.add(d)
                        heapq.heappush(heap, (order.get_key(d), d))
        if self._joints and not self._restoring:
            joints, self._joints = self._joints, []
            for other, owner, why in joints:
                if not why:  # a co-cause whose root's incident was merged: it follows
                    self._refresh([other], at)
                elif (
                    other in self._roots
                    and owner in self._roots
                    and other not in self._co
                    and self._mergeable(other, owner)
                ):
                    self._merge(other, owner, at, None, why)
                    self._co[other] = (owner, why)
                    self._refresh([other], at)
        if self._orphans and not self._restoring:
            orphans, self._orphans = self._orphans, []
            for node in sorted(set(orphans), key=order.get_key):
                st = self._status.get(node)
                if (
                    node in self._firing
                    and node not in self._roots
                    and not self._held(node)
                    and (st is None or st.owner is None)
                    and not self._late_symptom(node, sorted(self._firing[node]))
                ):
                    self._make_root(node, max(at, self._firing_since(node)))

    def _reexplain(self, node: str, st: _Status, impact: Impact | None) -> None:
        """Keep the reason of a node's open interval true when its causes change."""
        before = st.impact
        st.impact = impact
        if st.incident is None or node in self._roots or impact is None:
            return
        if before is not None and before.causes == impact.causes:
            return
        w = self._incidents[st.incident]
        ivs = w.impacts.get(node)
        if ivs and ivs[-1].until is None:
            ivs[-1].reason, ivs[-1].rec = impact.explain(), None
            w.intervals_changed()
            self._touch(w)

    def _evaluate(self, node: str, at: datetime) -> _Status | None:
        firing = node in self._firing
        imp = self._graph.assess(node, self._down) if node in self._has_requirements else None
        frac = imp.fraction if imp is not None else 0.0
        owner: str | None
        if node in self._roots:
            owner = node
            if imp is not None and not self._restoring:
                y = self._best_owner(imp, node)
                if y is not None and self._mergeable(node, y):
                    self._merge(node, y, at, imp)
                    owner = y
            elif node in self._has_requirements and not self._restoring:
                spare = self._spare_lost(node)
                if spare is not None and self._mergeable(node, spare[0]):
                    self._merge(node, spare[0], at, None, spare[1])
                    return _Status(False, 0.0, spare[0], None, spare[1])
        elif imp is not None:
            owner = self._best_owner(imp, node)
            co = self._co.get(node)
            if owner is None and firing and co is not None and co[0] in self._roots:
                # Down below a node that has no owner yet (its alerts wait for the grace), and
                # a co-cause of a live root's joint failure: that root holds it, as it would
                # without the requirement (else it would become a root, rejoin as a co-cause
                # and be left without an owner again, for ever).
                return _Status(True, 1.0, co[0], None, co[1])
            if owner is not None and not self._restoring:
                self._joint(node, imp, owner)
        elif firing or node in self._soft:
            co = self._co.get(node)
            if co is not None and co[0] in self._roots:
                return _Status(True, 1.0, co[0], None, co[1])
            spare = self._spare_lost(node) if node in self._has_requirements else None
            if spare is not None:
                return _Status(False, 0.0, spare[0], None, spare[1])
            if not firing:
                return None
            owner = None
        else:
            return None
        return _Status(firing or frac >= 1.0, 1.0 if firing else frac, owner, imp)

    def _spare_lost(self, node: str) -> tuple[str, str] | None:
        """The live root (the one that failed first, then by node id) whose failure took a
        spare of ``node``, which is still up, and why; None when it lost no spare so."""
        best: tuple[datetime, str, str] | None = None
        for req in self._graph.requirements(node):
            met, lost = req.is_met(self._down)
            if not met or not lost:
                continue
            for m in lost:
                st = self._status.get(m)
                if st is None or st.owner is None or st.owner == node:
                    continue
                inc = self._roots.get(st.owner)
                if inc is None:
                    continue
                up = len(req.nodes) - len(lost)
                why = (
                    f"{node} lost its redundancy because {st.owner} is down: needs "
                    f"{req.describe()}; {', '.join(lost)} down, {up} up of {req.needed()} needed"
                )
                key = (self._incidents[inc].root_since, st.owner, why)
                if best is None or key < best:
                    best = key
        return None if best is None else (best[1], best[2])

    def _joint(self, node: str, imp: Impact, owner: str) -> None:
        """``node`` is down because roots failed together: the members of its redundant
        requirement that are down belong to several live roots, and no one of them alone
        would leave the requirement unmet. The roots other than ``owner`` (the one that
        failed first) are remembered, to join its incident as co-causes once the
        evaluation is over (see :meth:`_refresh`)."""
        req = imp.requirement
        if req is None or req.share is not None or req.mode is RequirementMode.ALL_OF:
            return
        groups: dict[str, list[str]] = {}
        for m in imp.down_members:
            st = self._status.get(m)
            if st is None or st.owner is None or st.owner not in self._roots:
                return
            groups.setdefault(st.owner, []).append(m)
        if len(groups) < 2 or owner not in groups:
            return
        if any(not req.is_met(members)[0] for members in groups.values()):
            return  # one root alone takes it down: independent faults, the first owns it
        first = ", ".join(groups[owner])
        for other in sorted(groups):
            if other != owner:
                why = f"{other} failed too: with {first} down, {req.describe()} is unmet"
                self._joints.append((other, owner, why))

    def _best_owner(self, imp: Impact, exclude: str) -> str | None:
        best: tuple[datetime, str] | None = None
        for m in imp.causes:
            st = self._status.get(m)
            if st is None or st.owner is None or st.owner == exclude:
                continue
            inc = self._roots.get(st.owner)
            if inc is None:
                continue
            key = (self._incidents[inc].root_since, st.owner)
            if best is None or key < best:
                best = key
        return None if best is None else best[1]

    def _follow(self, node: str, old: _Status | None, new: _Status | None, at: datetime) -> None:
        """Move intervals and alerts after ``node``'s status changed."""
        old_inc = old.incident if old is not None else None
        new_inc = self._roots.get(new.owner) if new is not None and new.owner else None
        if (old is not None and old.down) != (new is not None and new.down):
            # What counts as degraded changed for the incidents above this node and for
            # those of the other members its dependents need.
            self._touch_above(node)
            for d in self._dependents.get(node, ()):
                self._touch_above(d)
        if new is not None:
            # A node that only lost its spare has no interval: no incident holds it.
            new.incident = new_inc if new.fraction > 0 else None
            if new_inc is not None and new_inc != old_inc:
                self._take_over_resolved(node, new_inc, at)
        same_interval = old is not None and new is not None and old.fraction == new.fraction
        if old_inc != new_inc or not same_interval:
            if old_inc is not None:
                self._close_interval(old_inc, node, at)
            if new_inc is not None and new is not None and new.fraction > 0:
                self._open_interval(new_inc, node, new, at)
        if (
            (new is None or new.owner is None)
            and old is not None
            and old.owner not in (None, node)
            and old_inc is not None
            and (was := self._incidents.get(old_inc)) is not None
            and was.live
            and node not in self._pending
        ):
            self._hold(node, old_inc, at)
        if new is not None and node in self._firing:
            if new.owner is None:
                if not self._held(node):
                    self._orphans.append(node)
            else:
                self._pending.pop(node, None)
                for fp in sorted(self._firing[node]):
                    self._attach(self._alerts[fp], at)
        if node in self._soft:
            self._soft_follow(node, at)
