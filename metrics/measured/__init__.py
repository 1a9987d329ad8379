"""Measured flow: the flow of real work items imported from trackers, computed from plain
arrays. Pure: numpy and the standard library only, no Django, no I/O, no clock.

The selector builds a `History`; `measured_flow` returns the API payload. Definitions, with
worked examples: docs/flow-metrics.md.
"""

from metrics.measured.forecast import HORIZON_DAYS, TRIALS
from metrics.measured.history import FLOW_STATES, FLOW_TYPES, History, StateFacts
from metrics.measured.summary import INTERVALS, measured_flow

__all__ = [
    "FLOW_STATES",
    "FLOW_TYPES",
    "HORIZON_DAYS",
    "INTERVALS",
    "TRIALS",
    "History",
    "StateFacts",
    "measured_flow",
]
