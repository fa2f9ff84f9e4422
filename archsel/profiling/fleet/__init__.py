"""Profiling on a fleet of real devices joined in a Ray cluster (issue 20; docs/fleet.md).

cluster: connecting, and what each node serves; node: what runs on a device node (its facts, one
measurement); dispatch: fanning a profile run out over the nodes serving a target, with the cache.
Nothing here imports Ray at module level: commands that do not use the fleet never load it.
"""
