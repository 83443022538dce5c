"""The web face: pages for the NOC, service managers, billing staff and customers, served by
the API process (``servanda serve``) from templates and assets shipped in the package (no CDN).

* :mod:`servanda.web.session` — logging in with an API token (kept in an ``HttpOnly`` cookie),
  CSRF tokens for forms, who the page is for;
* :mod:`servanda.web.pages` — the pages: status board, incidents (with their lifecycle
  actions), SLA reports, invoices; what each shows depends on the token's role;
* ``templates/`` and ``static/`` — Jinja templates, the style sheet and a small script that
  refreshes the board in place.

Pages call the same services as the API (:mod:`servanda.services`): a customer sees on the
web exactly what its token reads through the API.
"""
