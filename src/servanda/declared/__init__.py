"""What a provider declares: the registry of declared kinds (:mod:`.kinds`) and the bundle
holding one tuple of records per kind (:mod:`.bundle`).

This package sits above the record packages (catalog, calendars, agreements, events, measure,
accounting): it imports their records, they never import it. Code inside those packages that
reads a whole declaration asks for the narrow view it needs (a protocol of its own, such as
:class:`servanda.measure.declarations.Declarations`), which the bundle satisfies.
"""
