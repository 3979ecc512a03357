"""What the plans app announces to the apps above it, which it never imports.

``plan_changed`` is sent, inside the writing transaction, whenever an edit moves what a
plan says or how fresh it is — a section, an objective, a target, a risk, an action, a
review, its settings or its status: ``instance`` is the plan, ``user`` who edited it. A
refused edit (someone saved first) rolls back and sends nothing that lasts. The health
app listens and scores the account again once the edit is committed.
"""

from django.dispatch import Signal

plan_changed = Signal()
