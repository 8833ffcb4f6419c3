"""The lab: training, rare-event mining, evaluation and benchmarks (never shipped)."""
