"""End-to-end advice: rule candidates → counted and timed costs → constraints → score → Pareto → rank.

One module per job: request (the options), costing (count cache, estimate or measure), constraints,
scoring, pareto, pipeline (the run), payload/schema (JSON), render (tables, terminal chart), queryfile
(--query files), plot (matplotlib). Nothing here imports torch at module level. See docs/advice.md.
"""
