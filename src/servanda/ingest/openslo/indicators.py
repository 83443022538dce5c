"""Service level indicators: inline in an SLO, inline in an objective, or an ``SLI`` object
named by ``indicatorRef``.

Servanda does not query metric sources: measurements are fed to it. So an indicator is read
for what it *means* (a ratio of good, or bad, events to all events; or a thresholded value)
and for its name, which becomes the measurement series of the objective. How it reads its
data (metric sources, queries, ``counter``) is reported as not imported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from servanda.config.yaml_source import Path
from servanda.ingest.openslo.objects import Findings, OsloObject

IndicatorKind = Literal["ratio", "threshold"]
RatioKind = Literal["good", "bad", "raw-success", "raw-failure"]


@dataclass(frozen=True)
class Indicator:
    """What an SLO measures, as far as Servanda can use it."""

    name: str
    """The SLI's name; the objective's measurement series."""
    display_name: str
    """``displayName``, or the name."""
    description: str | None
    """``spec.description``."""
    kind: IndicatorKind
    """A ratio of event counts, or a value compared with a threshold."""
    ratio: RatioKind | None
    """For a ratio: good/total, bad/total, or a precomputed ratio of successes or failures."""
    owner: OsloObject
    """The object it is written in (an SLI, or the SLO for an inline one)."""
    path: Path
    """Where its ``ratioMetric`` / ``thresholdMetric`` (or v1alpha ``ratioMetrics``) sits in
    ``owner``."""
    origin: str = ""
    """Where it comes from, for people: ``OpenSLO SLI 'http-ok'``, ``OpenSLO SLI 'x' inline in
    SLO 'y'``, ``the ratioMetrics of OpenSLO SLO 'y'``."""

    @property
    def words(self) -> str:
        """Its names and description, for recognising availability and latency."""
        return " ".join(filter(None, (self.name, self.display_name, self.description)))


class Indicators:
    """Resolves indicators, reporting each SLI's unmappable parts once."""

    def __init__(self, slis: dict[str, OsloObject], found: Findings) -> None:
        self._slis = slis
        self._found = found
        self._resolved: dict[str, Indicator | None] = {}
        self.used: set[str] = set()
        """Names of the SLI objects some SLO referenced."""

    def by_ref(self, owner: OsloObject, path: Path, ref: Any) -> Indicator | None:
        """The ``SLI`` object named by ``indicatorRef`` at ``path`` in ``owner``."""
        if not isinstance(ref, str) or not ref.strip():
            self._found.error(owner, path, "indicatorRef must name an SLI")
            return None
        sli = self._slis.get(ref.strip())
        if sli is None:
            known = ", ".join(sorted(self._slis)) or "none in the input"
            self._found.error(
                owner,
                path,
                f"indicatorRef names SLI {ref!r}, which is not in the input (SLIs: {known})",
            )
            return None
        self.used.add(sli.name)
        if sli.name not in self._resolved:
            self._resolved[sli.name] = self._read(sli, (), sli.data, sli.name)
        return self._resolved[sli.name]

    def inline(self, owner: OsloObject, path: Path, value: Any, fallback: str) -> Indicator | None:
        """An indicator written inline at ``path`` in ``owner``; ``fallback`` names it when it
        has no ``metadata.name``."""
        if not isinstance(value, dict):
            self._found.error(owner, path, "indicator must be a mapping with metadata and spec")
            return None
        return self._read(owner, path, value, fallback)

    def v1alpha_ratio(
        self, owner: OsloObject, path: Path, value: Any, name: str
    ) -> Indicator | None:
        """A v1alpha objective's ``ratioMetrics`` (``good``/``total``, ``incremental``)."""
        if (
            not isinstance(value, dict)
            or "total" not in value
            or not ("good" in value or "bad" in value)
        ):
            self._found.error(owner, path, "ratioMetrics needs good (or bad) and total")
            return None
        ratio: RatioKind = "good" if "good" in value else "bad"
        self._found.unmap(
            owner,
            path,
            f"how the ratio is read ({_sources(value)}) is not "
            f"imported; feed its counts to series {name!r}",
        )
        origin = f"the ratioMetrics of OpenSLO {owner.label}"
        return Indicator(name, name, None, "ratio", ratio, owner, path, origin)

    def _read(
        self, owner: OsloObject, path: Path, value: dict[str, Any], fallback: str
    ) -> Indicator | None:
        found = self._found
        metadata = value.get("metadata")
        if metadata is None:
            metadata = {}
        if not isinstance(metadata, dict):
            found.error(owner, (*path, "metadata"), "metadata must be a mapping with a name")
            return None
        raw_name = metadata.get("name")
        inline = "" if owner.kind == "SLI" and not path else f" inline in {owner.label}"
        if isinstance(raw_name, str) and raw_name.strip():
            name = raw_name.strip()
            origin = f"OpenSLO SLI {name!r}{inline}"
        else:
            name = fallback
            origin = f"the unnamed OpenSLO SLI{inline}"
            found.warn(
                owner,
                (*path, "metadata"),
                f"the indicator has no metadata.name; its "
                f"measurement series is named {name!r} after the SLO",
            )
        shown = metadata.get("displayName")
        display = shown.strip() if isinstance(shown, str) and shown.strip() else name
        spec_path: Path = (*path, "spec")
        spec = value.get("spec")
        if spec is None and ("ratioMetric" in value or "thresholdMetric" in value):
            found.warn(
                owner,
                path,
                "ratioMetric/thresholdMetric written directly under the "
                "indicator, not under its spec; read as if under spec",
            )
            spec, spec_path = value, path
        if not isinstance(spec, dict):
            found.error(
                owner, spec_path, "the indicator needs a spec with ratioMetric or thresholdMetric"
            )
            return None
        text = spec.get("description")
        description = text.strip() if isinstance(text, str) and text.strip() else None
        has_ratio, has_threshold = "ratioMetric" in spec, "thresholdMetric" in spec
        if has_ratio == has_threshold:
            found.error(
                owner, spec_path, "an SLI has exactly one of ratioMetric and thresholdMetric"
            )
            return None
        if has_threshold:
            metric_path: Path = (*spec_path, "thresholdMetric")
            threshold = spec["thresholdMetric"]
            if not isinstance(threshold, dict):
                found.error(
                    owner, metric_path, "thresholdMetric must be a mapping with a metricSource"
                )
                return None
            found.unmap(
                owner,
                metric_path,
                f"how SLI {name!r} reads its values "
                f"({_sources(threshold)}) is not imported; feed them to series {name!r}",
            )
            return Indicator(
                name, display, description, "threshold", None, owner, metric_path, origin
            )
        metric_path = (*spec_path, "ratioMetric")
        ratio_kind = self._ratio(owner, metric_path, spec["ratioMetric"], name)
        if ratio_kind is None:
            return None
        return Indicator(
            name, display, description, "ratio", ratio_kind, owner, metric_path, origin
        )

    def _ratio(self, owner: OsloObject, path: Path, ratio: Any, name: str) -> RatioKind | None:
        found = self._found
        if not isinstance(ratio, dict):
            found.error(
                owner,
                path,
                "ratioMetric must be a mapping (good or bad, and total; or raw with rawType)",
            )
            return None
        good, bad, total, raw = ("good" in ratio, "bad" in ratio, "total" in ratio, "raw" in ratio)
        kind: RatioKind
        if raw:
            if good or bad or total:
                found.error(owner, path, "ratioMetric takes raw, or good/bad with total, not both")
                return None
            raw_type = ratio.get("rawType")
            if raw_type not in ("success", "failure"):
                found.error(owner, (*path, "rawType"), "raw needs rawType: success or failure")
                return None
            kind = "raw-success" if raw_type == "success" else "raw-failure"
            found.warn(
                owner,
                (*path, "raw"),
                f"SLI {name!r} is a precomputed ratio of "
                f"{'successes' if kind == 'raw-success' else 'failures'}; Servanda "
                f"expects good and total counts in series {name!r}"
                + ("" if kind == "raw-success" else " (good = total − failures)"),
            )
        elif good and bad:
            found.error(owner, path, "ratioMetric takes good or bad, not both")
            return None
        elif not total or not (good or bad):
            found.error(owner, path, "ratioMetric needs total with good (or bad)")
            return None
        elif bad:
            kind = "bad"
            found.warn(
                owner,
                (*path, "bad"),
                f"SLI {name!r} counts bad events; the objective "
                f"is on good = total − bad, so series {name!r} must carry good and "
                "total counts",
            )
        else:
            kind = "good"
        found.unmap(
            owner,
            path,
            f"how SLI {name!r} reads its counts ({_sources(ratio)}) is "
            f"not imported; feed good and total counts to series {name!r}",
        )
        return kind


def _sources(metric: dict[str, Any]) -> str:
    """``good, total from Prometheus; counter: true``: a short account of a metric's sources."""
    parts = [key for key in ("good", "bad", "total", "raw") if key in metric]
    types: list[str] = []
    refs: list[str] = []
    sources = [metric.get(key) for key in parts] or [metric]
    for source in sources:
        ms = source.get("metricSource") if isinstance(source, dict) else None
        if isinstance(ms, dict):
            if isinstance(ms.get("type"), str) and ms["type"] not in types:
                types.append(ms["type"])
            if isinstance(ms.get("metricSourceRef"), str) and ms["metricSourceRef"] not in refs:
                refs.append(ms["metricSourceRef"])
        elif isinstance(source, dict) and isinstance(source.get("source"), str):
            types.append(source["source"])
    text = ", ".join(parts) if parts else "metric source"
    if types:
        text += " from " + ", ".join(types)
    if refs:
        text += " via DataSource " + ", ".join(refs)
    for flag in ("counter", "incremental"):
        if flag in metric:
            text += f"; {flag}: {str(metric[flag]).lower()}"
    return text
