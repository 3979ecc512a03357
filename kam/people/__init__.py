"""People: the supplier's users, their roles, and what each role may do."""
