"""The audit trail: who changed what, when, through which interface, with the values before
and after. Append-only: no interface edits or deletes an entry (docs/security.md)."""
