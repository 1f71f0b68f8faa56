"""The 90-day bar's days as HTML, written in Python: 9,000 of them on a 100-model overview,
too many for a template loop. The `uptime_days` filter; templates/_uptime_bar.html wraps
them in the list and adds the legend.

Each day is one list item (on one line in the page):

    <li class="uptime__day">
      <span class="uptime__seg tone-ok" role="img" tabindex="0"
            aria-label="12 May 2026: Operational, 99.93% uptime" aria-describedby="u1-2-64"></span>
      <span class="uptime__tip"><b>12 May 2026</b> · Operational<br>
        <span id="u1-2-64">99.93% uptime · 4,320 probes
          <br><span class="swatch fc-ambiguous"></span>Ambiguous (timeouts, resets): 3 failures
          <br><a href="/incidents/7">Elevated errors</a>          (a day inside an incident)
        </span></span></li>

The segment is named by its date, status and uptime, and described by the rest of
the tip, so a screen reader says each once. site.css shows the tip while the day is
hovered or focused (or a link in it is). Every value from the data is escaped.

A finished day never changes, and `UptimeBars` (web/queries/uptime.py) hands back the same
`UptimeDay` objects for it request after request. So each bar's items are kept by
id prefix and position, and an item is written again only when its day is not the
same object as last time: normally just today's.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import lru_cache
from itertools import compress
from operator import is_not

from markupsafe import Markup, escape

from monitor.text import for_markup
from web.queries.viewmodels import UptimeDay
from web.render.formatting import label, percent, plural, tone

# Bars kept (one per model on the overview, one for the model page); past this many
# (models renamed or removed over a long run) they are all dropped and rebuilt.
KEPT_BARS = 2048
_kept: dict[str, tuple[tuple[UptimeDay, ...], tuple[str, ...]]] = {}


def uptime_days(days: Sequence[UptimeDay], id_prefix: str) -> Markup:
    """One `<li>` per day; the tips' ids are `{id_prefix}-1`, `-2`, ... oldest first."""
    days = tuple(days)
    seen, kept = _kept.get(id_prefix, ((), ()))
    if len(seen) == len(days):
        items = list(kept)
        for n in compress(range(len(days)), map(is_not, seen, days)):  # the changed days
            items[n] = _item(days[n], f"{id_prefix}-{n + 1}")
    else:
        items = [_item(day, f"{id_prefix}-{n}") for n, day in enumerate(days, 1)]
    if len(_kept) >= KEPT_BARS:
        _kept.clear()
    _kept[id_prefix] = (days, tuple(items))
    return Markup("".join(items))


def _item(day: UptimeDay, tip_id: str) -> str:
    when, status = _day_label(day.day), escape(label(day.status))
    uptime = None if day.uptime_percent is None else f"{percent(day.uptime_percent)} uptime"
    name = f"{when}: {status}, {uptime}" if uptime else f"{when}: {status}"
    tip = escape(tip_id)
    return (
        f'<li class="uptime__day"><span class="uptime__seg tone-{escape(tone(day.status))}"'
        f' role="img" tabindex="0" aria-label="{name}" aria-describedby="{tip}"></span>'
        f'<span class="uptime__tip"><b>{when}</b> &middot; {status}<br>'
        f'<span id="{tip}">{_details(day, uptime)}</span></span></li>'
    )


def _details(day: UptimeDay, uptime: str | None) -> str:
    links = "".join(
        f'<br><a href="{escape(i.url)}">{escape(for_markup(i.name))}</a>' for i in day.incidents
    )
    if day.uptime_percent is None:
        return f"No probes this day.{links}"
    failures = (
        "".join(
            f'<br><span class="swatch fc-{escape(f.failure_class)}"></span>'
            f"{escape(label(f.failure_class))}: {plural(f.count, 'failure')}"
            for f in day.failures
        )
        or "<br>No failed probes."
    )
    return f"{uptime} &middot; {plural(day.probes, 'probe')}{failures}{links}"


@lru_cache(maxsize=512)
def _day_label(day: date) -> str:
    return day.strftime("%-d %b %Y")  # as filters.day_label (not imported: it imports us)
