"""Longest-prefix matching of destinations, for whole columns at once.

A tariff's destination groups hold prefixes (``+33``, ``+336``); a record belongs to the group
of the longest prefix its destination starts with. For each prefix length, longest first, the
destinations still unmatched are cut to that length and looked up in the prefixes of that
length with Arrow's hash lookup: a pass per distinct length, whatever the number of prefixes.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from servanda.accounting.rating.compiled import I32


def longest_prefix(
    destinations: pa.Array, prefixes: Mapping[str, int], default: int
) -> tuple[I32, I32]:
    """For each destination, the group of its longest matching prefix (``default`` when none
    matches, or the destination is null) and the index of that prefix in ``prefixes``' order
    (−1: none)."""
    n = len(destinations)
    group = np.full(n, default, dtype=np.int32)
    matched = np.full(n, -1, dtype=np.int32)
    if not prefixes or n == 0:
        return group, matched
    text = destinations.cast(pa.string())
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    lengths = np.asarray(pc.utf8_length(text).fill_null(0), dtype=np.int32)
    by_length: dict[int, tuple[list[str], list[int], list[int]]] = {}
    for position, (prefix, g) in enumerate(prefixes.items()):
        keys, groups, positions = by_length.setdefault(len(prefix), ([], [], []))
        keys.append(prefix)
        groups.append(g)
        positions.append(position)
    todo = np.ones(n, dtype=np.bool_)
    for size in sorted(by_length, reverse=True):
        keys, groups, positions = by_length[size]
        candidates = np.flatnonzero(todo & (lengths >= size))
        if candidates.size == 0:
            continue
        cut = pc.utf8_slice_codeunits(text.take(pa.array(candidates)), 0, size)
        found = pc.index_in(cut, value_set=pa.array(keys, pa.string()))
        hit = np.asarray(found.is_valid())
        if not hit.any():
            continue
        rows = candidates[hit]
        index = np.asarray(found.filter(found.is_valid()), dtype=np.int64)
        group[rows] = np.asarray(groups, dtype=np.int32)[index]
        matched[rows] = np.asarray(positions, dtype=np.int32)[index]
        todo[rows] = False
    return group, matched
