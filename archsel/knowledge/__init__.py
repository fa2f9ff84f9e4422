"""The knowledge base: rules (rules/*.yaml) validated with a schema, and the engine that evaluates them.

Import the submodules directly: loader (load_rules, check_rules), engine (evaluate), references, schema.
"""
