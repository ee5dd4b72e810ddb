"""drafting package."""
