"""Text the CLI prints: the config summary with cost estimates, and probe results."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from monitor.clock import utc_iso
from monitor.config import ModelSettings, Settings, missing_key
from monitor.results import FORM_CHECKS, ProbeResult
from monitor.text import for_terminal

# What one probe costs, in tokens: the question plus the API's framing, and a
# short answer. Reasoning models may think up to max_output_tokens, so the
# estimate shows both the typical and the worst case.
PROMPT_TOKENS = 30
TYPICAL_OUTPUT_TOKENS = 8
# What a snapshot of the status engine weighs per model-region after a day of 1-minute
# probes (python -m bench.engine_memory --only rebuild): pickled, and as written.
SNAPSHOT_RAW_BYTES = 73_000
SNAPSHOT_STORED_BYTES = 43_000
# The probe table's error column quotes at most this much of an excerpt.
EXCERPT_CHARS = 60
_TAG = re.compile(r"<[^>]*>")


def config_summary(
    settings: Settings, environ: Mapping[str, str] | None = None, hung_slots: float | None = None
) -> str:
    lines = [f"config OK: {len(settings.providers)} providers, {len(settings.models)} models"]
    lines.append(
        f"{'model':<42} {'every':>6} {'probes/day':>10} {'tokens/day in/out':>20} "
        f"{'$/day typical..max':>20}  status"
    )
    for model in settings.models:
        provider = settings.provider(model.provider)
        interval = settings.interval_for(model)
        per_day = 86400 / interval
        tokens_in = per_day * PROMPT_TOKENS
        out_typical = per_day * TYPICAL_OUTPUT_TOKENS
        out_max = per_day * settings.probe.max_output_tokens
        typical = _daily_cost(model, tokens_in, out_typical)
        worst = _daily_cost(model, tokens_in, out_max)
        key = missing_key(provider, environ)
        if not model.enabled:
            state = "disabled"
        elif key:
            state = f"not configured: set {key}"
        else:
            state = "simulated" if provider.simulated else "will be probed"
        lines.append(
            f"{model.id:<42} {interval:>5g}s {per_day:>10.0f} "
            f"{tokens_in:>9.0f}/{out_typical:<10.0f} "
            f"{typical:>9.2f}..{worst:<9.2f}  {state}"
        )
    lines.append(confirmation_cost(settings))
    lines.append(snapshot_cost(settings))
    missing = sorted({k for p in settings.providers if (k := missing_key(p, environ))})
    if missing:
        lines.append(
            "missing keys (those providers are listed but not probed): " + ", ".join(missing)
        )
    if hung_slots is not None:
        lines.append(
            f"probe slots: {settings.probe.concurrency}; if every model hung until "
            f"first_token_timeout, {hung_slots:.1f} would be busy on average"
        )
    return "\n".join(lines)


def snapshot_cost(settings: Settings) -> str:
    """What saving the status engine's state (monitor/worker/snapshots.py) costs."""
    every = settings.storage.engine_snapshot_interval
    if every <= 0:
        return (
            "status engine snapshots: off (storage.engine_snapshot_interval = 0): "
            "every start re-judges 25 h of stored results"
        )
    # A day of records is most of it: it grows with how often each model is probed.
    per_minute = sum(60 / settings.interval_for(m) for m in settings.models if m.enabled)
    stored, raw = per_minute * SNAPSHOT_STORED_BYTES / 1e6, per_minute * SNAPSHOT_RAW_BYTES / 1e6
    return (
        f"status engine snapshots: every {every / 60:g} min and at a clean stop, "
        f"~{stored:.1f} MB written to the database each time per region probing "
        f"(~{raw:.1f} MB held while it is written); the two newest are kept"
    )


def confirmation_cost(settings: Settings) -> str:
    """What confirmation probing (monitor/judging/confirm.py) costs when a model looks odd."""
    status = settings.status
    if status.confirm_for <= 0:
        return "confirmation probing: off (status.confirm_for = 0)"
    models = [m for m in settings.models if m.enabled]
    # The worst case: a look at confirm_interval, then as long again at the faster pace.
    asked = status.confirm_for / status.confirm_interval
    asked += status.confirm_for / status.confirm_fast_interval
    extra = [max(0.0, asked - 2 * status.confirm_for / settings.interval_for(m)) for m in models]
    per_suspicion = max(extra, default=0.0)
    dollars = max(
        (
            _daily_cost(m, e * PROMPT_TOKENS, e * TYPICAL_OUTPUT_TOKENS)
            for m, e in zip(models, extra, strict=True)
        ),
        default=0.0,
    )
    return (
        f"confirmation probing: a model that looks odd is probed every "
        f"{status.confirm_interval:g}s for {status.confirm_for:g}s from each region, then every "
        f"{status.confirm_fast_interval:g}s for {status.confirm_for:g}s more if they make it "
        f"odder: up to {per_suspicion:.0f} extra probes (${dollars:.4f} typical) per "
        "suspicion and region; it asks again only after that ends and its probes still "
        "look odd"
    )


def _daily_cost(model: ModelSettings, tokens_in: float, tokens_out: float) -> float:
    return (tokens_in * model.price_input_per_mtok + tokens_out * model.price_output_per_mtok) / 1e6


def results_json(results: Sequence[ProbeResult]) -> str:
    def plain(result: ProbeResult) -> dict[str, object]:
        data = asdict(result)
        data["started_at"] = utc_iso(result.started_at)
        return data

    return json.dumps([plain(r) for r in results], indent=2, default=str)


def results_table(results: Sequence[ProbeResult]) -> str:
    header = (
        f"{'model':<40} {'class':<15} {'outcome':<13} {'http':>4} {'ttft ms':>8} "
        f"{'total ms':>9} {'answer':<7} error"
    )
    lines = [header]
    for r in results:
        answer = {True: "correct", False: "wrong", None: "-"}[r.answer_correct]
        if r.check in FORM_CHECKS and r.answer_correct is False and r.ok:
            answer = "form"  # the right value in another form: not a wrong answer
        # error_type is the provider's word: shown, never obeyed by the terminal.
        served = r.served_model and f"served by {r.served_model}"
        error = for_terminal(
            " ".join(x for x in (r.error_type, r.timeout and f"timeout:{r.timeout}") if x)
            or _excerpt(r)
            or served
            or ""
        )
        lines.append(
            f"{r.target:<40} {r.failure_class:<15} {r.outcome:<13} {r.http_status or '-':>4} "
            f"{_ms(r.ttft_ms):>8} {_ms(r.total_ms):>9} {answer:<7} {error}"
        )
    return "\n".join(lines)


def _excerpt(result: ProbeResult) -> str:
    """A failure with no provider word (a refused connection, a proxy's HTML error page)
    would leave the column blank and send the reader to `--json`: the start of what came
    back instead, on one line."""
    text = result.error_excerpt
    if result.ok or not text:
        return ""
    if text.lstrip().startswith("<"):  # a proxy's page: its words, not its markup
        text = _TAG.sub(" ", text)
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def incidents_text(incidents: Sequence[Mapping[str, Any]]) -> str:
    if not incidents:
        return "no incidents"
    lines = []
    for incident in incidents:
        visibility = "public" if incident["public"] else "operator-only"
        # Titles hold model names and operators' overrides: escapes visible, never obeyed.
        lines.append(
            f"  #{incident['id']} {for_terminal(incident['title'])} [{incident['cause']}, "
            f"{incident['impact']}, {visibility}] started {incident['started_at']}, "
            f"detected {incident['detected_at']}, resolved {incident['resolved_at'] or 'open'}"
        )
    return "\n".join(lines)


def replay_summary(document: Mapping[str, Any]) -> str:
    lines = [
        f"scenario {document['scenario']}: {document['start']} .. {document['end']}, "
        f"{document['probes']} probes, {len(document['incidents'])} incident(s)"
    ]
    if document["incidents"]:
        lines.append(incidents_text(document["incidents"]))
    for model, changes in document["statuses"].items():
        if len(changes) > 1:
            steps = ", ".join(f"{c['from']} {c['status']}" for c in changes[1:])
            lines.append(f"  {model}: {steps}")
    return "\n".join(lines)
