"""Measured flow: the flow of real work items imported from trackers, computed from plain
arrays. Pure: numpy, the standard library and metrics.flow only; no Django, no I/O, no clock.

The selector builds a `History`; `measured_flow` returns the API payload, and
`map_against_measured` holds a value stream map's estimates against it. Definitions, with
worked examples: docs/flow-metrics.md.
"""

from metrics.measured.activities import map_against_measured
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
    "map_against_measured",
    "measured_flow",
]
