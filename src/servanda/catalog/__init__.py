"""The service catalog: parties and their roles, services, the components they are built from,
the dependency graph between them (with redundancy), and subscriptions.
"""
