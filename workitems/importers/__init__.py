"""Work-item history importers: one module per format, each `parse(opener) -> Iterator[Row]`.
See `rows` for the canonical rows and docs/flow-metrics.md for the formats."""
