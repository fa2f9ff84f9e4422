"""Zoo entries. Every module here is imported (sorted by name) and registers its entries at import."""
