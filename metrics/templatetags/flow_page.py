"""Filters of the Flow page (measured flow): calendar days, shares and dates, as the charts
print them (metrics.flow_charts)."""

from datetime import date, datetime

from django import template

from metrics.flow_charts import day_text, days_text, percent_text

register = template.Library()


@register.filter
def days(value: float | None) -> str:
    """Calendar days: '4.5 days', '12 days', '—'."""
    return days_text(value)


@register.filter
def share(fraction: float | None) -> str:
    """A fraction 0..1 as a whole percentage, '—' for none."""
    return percent_text(fraction)


@register.filter
def day(value: object) -> str:
    """A date, a datetime or an ISO string as '3 Mar 2025' (UTC for datetimes in ISO)."""
    if isinstance(value, datetime):
        return day_text(value.date())
    if isinstance(value, date):
        return day_text(value)
    if isinstance(value, str) and value:
        return day_text(datetime.fromisoformat(value).date())
    return "—"
