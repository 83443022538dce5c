"""Service level agreements as code.

Three levels as in ITIL (corporate, customer, service); objectives, responsibilities,
service-credit schedules and policy clauses; versions with effective dates; the effective
agreement of a (customer, service) pair with the level each term came from; plain-language
documents generated from the same records the engine evaluates.
"""
