"""Use cases: read from storage, run the domain, persist.

The command line and the HTTP API call these functions; neither touches tables nor assembles
domain results itself. Access rules (who may see what) are enforced here, below the routes.
"""
