"""The refusal an account-bound app's rules raise: a reason per field, shown on the form's
field in the web app and named in the API's 400 answer."""

from collections.abc import Mapping
from typing import Any


class FieldErrors(ValueError):
    """A change the rules refuse; ``errors`` holds the reason per field."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = dict(errors)

    def onto(self, form: Any) -> None:
        """Each reason on its field of ``form``, or on the form when it has no such field."""
        for name, reason in self.errors.items():
            form.add_error(name if name in form.fields else None, reason)

    def first(self) -> tuple[str, str]:
        """The first field refused and its reason."""
        return next(iter(self.errors.items()))
