"""The synthetic store's parts (``synthetic_store.py`` is their public face)."""
