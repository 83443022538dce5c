"""RADIUS accounting (RFC 2866, with the RFC 2869 gigawords and interim updates) received from
NASes and handed to a sink as the events of :mod:`servanda.accounting.sessions`.

* :mod:`.secrets` reads the clients' shared secrets (``address secret`` a line);
* :mod:`.packets` reads an Accounting-Request (decoded by pyrad with the RFC dictionary shipped
  beside it, ``dictionary``) as a :class:`~servanda.accounting.sessions.SessionEvent` (Start,
  Interim-Update, Stop) or :class:`~servanda.accounting.sessions.NasEvent` (Accounting-On/Off);
* :mod:`.server` is the UDP server: it authenticates each request with its client's secret
  (unknown clients and bad authenticators are dropped silently, counted and logged), hands its
  event to the sink, and answers once the sink has returned;
* :mod:`.memory` is a sink mediating in memory, for tests.

Plugging a sink in::

    secrets, problems = read_secrets("/etc/servanda/radius-clients")
    server = AccountingServer(secrets, sink, source="radius-1")
    await server.start("0.0.0.0", 1813)
    ...
    await server.close()

The sink is a callable taking one ``AccountingEvent``, plain (run in a worker thread) or
``async`` (awaited on the loop); it is never called concurrently. What it must guarantee:

* **Durable before it returns.** The Accounting-Response is sent only after the sink returns;
  the NAS then forgets the request. So the sink returns only once the event (or what it
  produced: the usage records and the session's new state) is committed. If it raises, nothing
  is answered and the NAS retransmits later.
* **Idempotent.** A crash after storing and before answering makes the NAS send the request
  again (as does a retransmission older than the server's duplicate window), so the sink sees
  the same event twice. Mediating on the stored state makes that harmless: the second time is a
  duplicate and charges nothing, and usage records are keyed ``(source, record_id)`` with
  deterministic ids. A stored sink runs :func:`~servanda.accounting.sessions.mediate` (or
  :func:`~servanda.accounting.sessions.close_nas` for a NAS event) on the session's stored
  state and stores the new state and the usage records in one transaction.
* **Stale sessions** are not the server's business: whoever holds the states runs
  :func:`~servanda.accounting.sessions.close_stale` now and then.
"""
