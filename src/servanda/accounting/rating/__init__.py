"""Rating: usage priced by tariffs, whole columns at once.

:mod:`.compiled` turns a tariff version into arrays; :mod:`.prefixes` finds each record's
destination group by its longest prefix; :mod:`.kernel` cuts records at band, slot and clock
boundaries and prices every part exactly in integers; :mod:`.rater` chooses the tariff version
of each record and lays the result out as Arrow columns with the detail of every part. The
command line's stateless ``servanda rate`` and the stored path both go through :class:`Rater`.
"""
