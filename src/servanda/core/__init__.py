"""Value types shared by every other package: records, problems, durations, intervals.

Nothing here does I/O or reads the clock; ``core`` imports nothing from the rest of Servanda.
"""
