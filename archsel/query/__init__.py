"""The query stage: what the user asks, in canonical words, from options or query files (no torch).

- vocab: the words a query may use (tasks, data types, tiers, ...) and their aliases (rules/vocabulary.yaml)
- request: AdviceRequest, every option of recommend/compare/explain with its default and validation
- queryfile: `--query FILE|-`, one or many requests from YAML/JSON, every problem with its place
- build: Query, the request's words made canonical (what the rule engine matches on)
"""
