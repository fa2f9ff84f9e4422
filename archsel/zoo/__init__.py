"""The model zoo: a registry of architectures the advice can name, each a real PyTorch model."""

from archsel.zoo.registry import all_entries, get_model, get_model_entry, list_models, register_model

__all__ = ["all_entries", "get_model", "get_model_entry", "list_models", "register_model"]
