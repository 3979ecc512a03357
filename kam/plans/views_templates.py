"""Pages for the plan templates: one per alignment level, edited by the Head of KAM."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from kam.people.access import KamRequest, requires
from kam.people.roles import Permission
from kam.plans import queries, services
from kam.plans.forms import TemplateForm
from kam.plans.models import AlignmentLevel
from kam.plans.sections import SECTION_BY_KEY
from kam.plans.services import PlanError
from kam.relationships.models import AlignmentLevel as Level
from kam.revisions import EditConflict, rebase


@require_GET
@requires(Permission.VIEW_ACCOUNTS)
def template_list(request: KamRequest) -> HttpResponse:
    """Every alignment level's template: which sections it requires."""
    rows = [
        (
            template,
            AlignmentLevel(template.alignment_level).label,
            [SECTION_BY_KEY[key].title for key in template.required_sections],
        )
        for template in queries.templates(request.user)
    ]
    context = {"rows": rows}
    return render(request, "plans/templates.html", context)


@require_http_methods(["GET", "POST"])
@requires(Permission.MANAGE_PLAN_TEMPLATES)
def template_edit(request: KamRequest, level: str) -> HttpResponse:
    """Edit the required sections and prompts of one level's template."""
    if level not in Level.values:
        raise Http404(f"No alignment level {level!r}.")
    template = services.template_for(level)
    conflict: EditConflict | None = None
    initial = {
        "required_sections": template.required_sections,
        "revision": template.revision if template.pk else None,
    }
    initial.update({f"prompt_{key}": text for key, text in template.prompts.items()})
    form = TemplateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.do_save_template(
                request.user,
                level,
                required_sections=form.cleaned_data["required_sections"],
                prompts=form.prompts(),
                expected_revision=form.cleaned_data["revision"],
            )
        except EditConflict as refused:
            conflict = refused
            rebase(form, revision=refused.current)
            template = services.template_for(level)
        except PlanError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Template for {Level(level).label} saved.")
            return redirect("plans:templates")
    context = {"form": form, "level": Level(level), "template": template, "conflict": conflict}
    status = 409 if conflict else 400 if form.errors else 200
    return render(request, "plans/template_edit.html", context, status=status)
