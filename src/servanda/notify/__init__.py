"""Notifications, as the domain sees them: which events a provider declares rules for
(:mod:`~servanda.notify.rules`), the notices that describe one occurrence and whom each reaches
(:mod:`~servanda.notify.notices`), how a webhook body is signed
(:mod:`~servanda.notify.signing`) and when a failed delivery is tried again
(:mod:`~servanda.notify.backoff`). Pure: nothing here sends, stores or reads the clock."""
