"""kam: key account management."""
