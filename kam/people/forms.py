"""Forms of the People pages: a user's details, roles and capacity; a temporary password;
the audit trail's filter."""

from collections.abc import Mapping, Sequence
from typing import Any

from django import forms

from kam.audit.choices import Action, Interface
from kam.audit.queries import TrailFilter
from kam.people.models import User
from kam.people.roles import Role

ROLE_CHOICES = [(role.value, role.value) for role in Role]


class UserForm(forms.Form):
    """Who a user is, which roles they hold, how many key accounts they may keep."""

    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    title = forms.CharField(max_length=120, required=False)
    email = forms.EmailField(required=False, help_text="Where a password-reset link is sent.")
    roles = forms.MultipleChoiceField(
        choices=ROLE_CHOICES, widget=forms.CheckboxSelectMultiple, required=False
    )
    min_key_accounts = forms.IntegerField(min_value=0, max_value=500, initial=5, label="Fewest")
    max_key_accounts = forms.IntegerField(min_value=0, max_value=500, initial=10, label="Most")
    is_active = forms.BooleanField(
        required=False, initial=True, label="May sign in", help_text="Untick to deactivate."
    )

    def clean(self) -> dict:
        data = super().clean() or {}
        fewest, most = data.get("min_key_accounts"), data.get("max_key_accounts")
        if fewest is not None and most is not None and fewest > most:
            self.add_error("max_key_accounts", f"Below the fewest ({fewest}).")
        return data

    def chosen_roles(self) -> frozenset[Role]:
        return frozenset(Role(name) for name in self.cleaned_data["roles"])

    @classmethod
    def for_user(cls, user: User, data: Mapping[str, Any] | None = None) -> "UserForm":
        return cls(
            data,
            initial={
                "first_name": user.first_name,
                "last_name": user.last_name,
                "title": user.title,
                "email": user.email,
                "roles": [role.value for role in user.roles()],
                "min_key_accounts": user.min_key_accounts,
                "max_key_accounts": user.max_key_accounts,
                "is_active": user.is_active,
            },
        )


class NewUserForm(UserForm):
    """A new user: a user name and a first password, which they change at their first sign-in."""

    username = forms.RegexField(
        regex=r"^[\w.@+-]+\Z",
        max_length=150,
        error_messages={"invalid": "Letters, digits and @ . + - _ only."},
    )
    password = forms.CharField(
        widget=forms.PasswordInput(render_value=False),
        strip=False,
        label="First password",
        help_text="They choose their own at their first sign-in.",
    )
    field_order = ["username", "first_name", "last_name", "title", "email", "password"]

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(f"There is already a user {username!r}.")
        return username


class TemporaryPasswordForm(forms.Form):
    """A password the Administrator gives a user who lost theirs; the user changes it."""

    password = forms.CharField(
        widget=forms.PasswordInput(render_value=False), strip=False, label="Temporary password"
    )


class AuditFilterForm(forms.Form):
    """The administrators' narrowing of the audit trail; every part optional."""

    actor = forms.CharField(required=False, label="User", max_length=150)
    interface = forms.ChoiceField(
        required=False, choices=[("", "Any interface"), *Interface.choices]
    )
    action = forms.ChoiceField(required=False, choices=[("", "Any action"), *Action.choices])
    object_type = forms.ChoiceField(required=False, label="Object", choices=[("", "Any object")])
    account_id = forms.CharField(required=False, label="Account id", max_length=64)
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, object_types: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        chooser = self.fields["object_type"]
        assert isinstance(chooser, forms.ChoiceField)
        chooser.choices = [("", "Any object"), *((t, t) for t in object_types)]

    def chosen(self) -> TrailFilter:
        if not self.is_valid():
            return TrailFilter()
        return TrailFilter(**self.cleaned_data)
