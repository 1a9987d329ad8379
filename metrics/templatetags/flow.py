from django import template

from vsm_site.units import human_datetime, humanize_duration, whole_percent

register = template.Library()


@register.filter
def duration(seconds: float | None) -> str:
    """Seconds in human units (see vsm_site.units for the day convention)."""
    return humanize_duration(seconds)


@register.filter
def duration_exact(seconds: float | None) -> str:
    """Seconds in every human unit down to minutes, for headline figures: '1w 2d 4h 30m'."""
    return humanize_duration(seconds, parts=None)


@register.filter
def percent(fraction: float | None, digits: int = 0) -> str:
    if fraction is None:
        return "—"
    return f"{fraction * 100:.{digits}f}%"


@register.filter
def rolled_pca(value: float | None) -> str:
    """Rolled %C&A (0..100) as the board shows it: a whole percent, halves up."""
    return whole_percent(value)


@register.filter
def when(value: object) -> str:
    """A datetime (or its ISO text) in human form: '30 Nov 2026, 12:41 UTC'."""
    return human_datetime(value)  # type: ignore[arg-type]
