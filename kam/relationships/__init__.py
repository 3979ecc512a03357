"""Relationships: the customer's people, who on our side knows them, the org chart, the
relationship model and the alignment level."""
