"""pilot package."""
