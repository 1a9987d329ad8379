from django import template

from metrics.units import humanize_duration

register = template.Library()


@register.filter
def duration(seconds: float | None) -> str:
    """Seconds in human units (see metrics.units for the day convention)."""
    return humanize_duration(seconds)


@register.filter
def percent(fraction: float | None, digits: int = 0) -> str:
    if fraction is None:
        return "—"
    return f"{fraction * 100:.{digits}f}%"
