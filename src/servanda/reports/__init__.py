"""Reports for people outside the provider: a customer's service level report over one period,
as JSON, as one self-contained HTML page with charts, and as PDF.

The report is a record (:mod:`.sla_model`) filled from the evaluation of a customer's
agreements; this package only lays it out and never computes a metric. Every renderer is
deterministic: the only dates in the output are the ones the report carries.

* :mod:`~servanda.reports.sla_model` — the report's records;
* :mod:`~servanda.reports.sla_json` — the report as JSON data and back;
* :mod:`~servanda.reports.charts` — inline SVG charts (availability, error budget, outages);
* :mod:`~servanda.reports.sla_view` — the report turned into the sentences and table rows a
  reader sees;
* :mod:`~servanda.reports.sla_html` — the HTML page (Jinja2 template in ``templates/``);
* :mod:`~servanda.reports.sla_pdf` — the same page as PDF, printed by WeasyPrint.
"""
