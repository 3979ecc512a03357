"""What the selection app announces to the apps above it, which it never imports.

``managers_changed`` is sent, inside the writing transaction, when a published cycle or an
applied assignment gives current key accounts a new manager: ``handed_over`` maps each
customer id to its new manager and ``user`` is who acted. The plans app listens and hands
the accounts' plans to the new manager (the plan follows the manager).
"""

from django.dispatch import Signal

managers_changed = Signal()
