"""Pages for the plan templates: one per alignment level, edited by the Head of KAM."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from kam.people.roles import Permission
from kam.people.services import check_permission, has_permission
from kam.plans import queries, services
from kam.plans.forms import TemplateForm
from kam.plans.models import AlignmentLevel
from kam.plans.sections import SECTION_BY_KEY
from kam.plans.services import PlanError
from kam.plans.views import AuthedRequest, _context
from kam.relationships.models import AlignmentLevel as Level


@require_GET
def template_list(request: AuthedRequest) -> HttpResponse:
    """Every alignment level's template: which sections it requires."""
    rows = [
        (
            template,
            AlignmentLevel(template.alignment_level).label,
            [SECTION_BY_KEY[key].title for key in template.required_sections],
        )
        for template in queries.templates(request.user)
    ]
    context = _context(
        request,
        rows=rows,
        can_manage=has_permission(request.user, Permission.MANAGE_PLAN_TEMPLATES),
    )
    return render(request, "plans/templates.html", context)


@require_http_methods(["GET", "POST"])
def template_edit(request: AuthedRequest, level: str) -> HttpResponse:
    """Edit the required sections and prompts of one level's template."""
    if level not in Level.values:
        raise Http404(f"No alignment level {level!r}.")
    check_permission(request.user, Permission.MANAGE_PLAN_TEMPLATES)
    template = services.template_for(level)
    initial = {"required_sections": template.required_sections}
    initial.update({f"prompt_{key}": text for key, text in template.prompts.items()})
    form = TemplateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.do_save_template(
                request.user,
                level,
                required_sections=form.cleaned_data["required_sections"],
                prompts=form.prompts(),
            )
        except PlanError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Template for {Level(level).label} saved.")
            return redirect("plans:templates")
    context = _context(request, form=form, level=Level(level), template=template)
    return render(request, "plans/template_edit.html", context, status=400 if form.errors else 200)
