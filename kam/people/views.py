"""The People pages (an Administrator's: users, roles, capacity, deactivation, temporary
passwords) and the password pages every user has (change, and reset by email)."""

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from kam.audit import queries as audit_queries
from kam.people import queries, services
from kam.people.access import KamRequest, requires
from kam.people.forms import AuditFilterForm, NewUserForm, TemporaryPasswordForm, UserForm
from kam.people.models import User
from kam.people.roles import ROLE_PERMISSIONS, Permission, Role


def user_in_url(request: KamRequest, user_id: int) -> User:
    """The user a People page acts on (404 when there is none)."""
    return get_object_or_404(User, pk=user_id)


def _changes(form: UserForm) -> services.UserChanges:
    data = form.cleaned_data
    return services.UserChanges(
        first_name=data["first_name"],
        last_name=data["last_name"],
        title=data["title"],
        email=data["email"],
        roles=form.chosen_roles(),
        is_active=data["is_active"],
        min_key_accounts=data["min_key_accounts"],
        max_key_accounts=data["max_key_accounts"],
    )


def _role_matrix() -> list[tuple[Role, list[bool]]]:
    return [(role, [p in ROLE_PERMISSIONS[role] for p in Permission]) for role in Role]


TRAIL_PAGE = 100


@require_GET
@requires(Permission.VIEW_AUDIT_TRAIL)
def audit_trail(request: KamRequest) -> HttpResponse:
    """The whole audit trail, newest first, filtered by user, interface, action, object,
    account and dates, a hundred entries a page."""
    form = AuditFilterForm(request.GET or None, object_types=audit_queries.object_types())
    entries = audit_queries.trail(form.chosen())
    page = Paginator(entries, TRAIL_PAGE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "entries": audit_queries.shown(page.object_list),
        "show_type": True,
        "query": params.urlencode(),
    }
    return render(request, "audit/trail.html", context)


@require_GET
@requires(Permission.MANAGE_USERS)
def user_list(request: KamRequest) -> HttpResponse:
    """Every user with their roles, capacity and whether they may sign in."""
    context: dict[str, Any] = {
        "users": queries.users_with_roles(),
        "permissions": [p.value.replace("_", " ").capitalize() for p in Permission],
        "matrix": _role_matrix(),
    }
    return render(request, "people/users.html", context)


@require_http_methods(["GET", "POST"])
@requires(Permission.MANAGE_USERS)
def user_add(request: KamRequest) -> HttpResponse:
    """A new user, with a first password they change at their first sign-in."""
    form = NewUserForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.do_add_user(
                request.user,
                form.cleaned_data["username"],
                password=form.cleaned_data["password"],
                changes=_changes(form),
            )
        except ValidationError as refused:
            form.add_error(
                None if getattr(refused, "code", "") == "capacity" else "password", refused
            )
        else:
            messages.success(
                request, f"{user.username} added; they choose a new password at first sign-in."
            )
            return redirect("people:users")
    status = 400 if form.errors else 200
    return render(request, "people/user_form.html", {"form": form, "new": True}, status=status)


@require_http_methods(["GET", "POST"])
@requires(Permission.MANAGE_USERS, on=user_in_url)
def user_edit(request: KamRequest, user_id: int) -> HttpResponse:
    """Change a user's names, roles and capacity, or deactivate them."""
    person = user_in_url(request, user_id)
    form = UserForm.for_user(person, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.do_update_user(request.user, person, _changes(form))
        except ValidationError as refused:
            form.add_error(None, refused)
        else:
            messages.success(request, f"{person.username} saved.")
            return redirect("people:users")
    status = 400 if form.errors else 200
    context = {"form": form, "person": person, "new": False}
    return render(request, "people/user_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
@requires(Permission.MANAGE_USERS, on=user_in_url)
def user_password(request: KamRequest, user_id: int) -> HttpResponse:
    """Give a user a temporary password; they must choose their own at the next sign-in."""
    person = user_in_url(request, user_id)
    form = TemporaryPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.do_reset_password(request.user, person, password=form.cleaned_data["password"])
        except ValidationError as refused:
            form.add_error("password", refused)
        else:
            messages.success(
                request,
                f"{person.username} has a temporary password and chooses a new one at the "
                "next sign-in.",
            )
            return redirect("people:users")
    status = 400 if form.errors else 200
    context = {"form": form, "person": person}
    return render(request, "people/user_password.html", context, status=status)


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change, which also lifts the must-change-password flag."""

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        services.do_mark_password_chosen(form.user)
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["required"] = bool(getattr(self.request.user, "must_change_password", False))
        return context


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's emailed reset link, which also lifts the must-change-password flag."""

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        services.do_mark_password_chosen(form.user)
        return response
