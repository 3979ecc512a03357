"""Accounts: the customer master, its hierarchy, and bringing customer and transaction data in."""
