"""Objects with no Servanda equivalent: data sources, alerting, unknown kinds; and metadata.

They are read, summarised and reported as not imported, each at its place in its file.
"""

from __future__ import annotations

from typing import Any

from servanda.ingest.openslo.objects import Findings, OsloObject


def report_metadata(obj: OsloObject, found: Findings) -> None:
    """Report the labels and annotations of ``obj``, which Servanda does not keep."""
    for key in ("labels", "annotations"):
        value = obj.metadata.get(key)
        if value:
            keys = ", ".join(str(k) for k in value) if isinstance(value, dict) else str(value)
            found.unmap(
                obj, ("metadata", key), f"metadata.{key} of {obj.label} ({keys}) not imported"
            )


def _describe_condition(value: Any) -> str:
    raw = value.get("spec") if isinstance(value, dict) else None
    spec: dict[str, Any] = raw if isinstance(raw, dict) else {}
    raw = spec.get("condition")
    cond: dict[str, Any] = raw if isinstance(raw, dict) else {}
    parts = [str(cond[k]) for k in ("kind", "op", "threshold") if k in cond]
    text = " ".join(parts)
    if "lookbackWindow" in cond:
        text += f" over {cond['lookbackWindow']}"
    if "alertAfter" in cond:
        text += f", after {cond['alertAfter']}"
    if "severity" in spec:
        text += f", severity {spec['severity']}"
    return text.strip(", ")


def report_other(obj: OsloObject, found: Findings) -> None:
    """Report an object of a kind that has no Servanda equivalent, and what it holds inline."""
    spec = obj.spec
    if obj.kind == "DataSource":
        kind = f" (type {spec['type']})" if "type" in spec else ""
        found.unmap(
            obj,
            (),
            f"{obj.label}{kind} not imported: Servanda is sent measurements, "
            "it does not query metric sources",
        )
    elif obj.kind == "AlertCondition":
        found.unmap(
            obj,
            (),
            f"{obj.label} ({_describe_condition(obj.data)}) not imported: "
            "alerting is not part of an agreement",
        )
    elif obj.kind == "AlertNotificationTarget":
        found.unmap(obj, (), f"{obj.label} (target {spec.get('target')}) not imported")
    elif obj.kind == "AlertPolicy":
        found.unmap(obj, (), f"{obj.label} not imported: alerting is not part of an agreement")
        for key in ("conditions", "notificationTargets"):
            items = spec.get(key)
            for i, item in enumerate(items if isinstance(items, list) else []):
                if not isinstance(item, dict) or "kind" not in item:
                    continue
                raw = item.get("metadata")
                meta: dict[str, Any] = raw if isinstance(raw, dict) else {}
                what = f"inline {item['kind']} {meta.get('name', '')!r}"
                detail = (
                    _describe_condition(item)
                    if key == "conditions"
                    else f"target {(item.get('spec') or {}).get('target')}"
                )
                found.unmap(obj, ("spec", key, i), f"{what} ({detail}) of {obj.label} not imported")
    else:
        found.unmap(
            obj,
            ("kind",),
            f"kind {obj.kind!r} is not an OpenSLO v1 kind Servanda knows; object skipped",
        )
