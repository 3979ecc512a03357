"""Forms of the plan pages. They validate input (all 400s happen here); services decide."""

from typing import Any

from django import forms

from kam.people.models import User
from kam.plans.models import (
    ActionStatus,
    PlanObjective,
    ReviewKind,
    RiskStatus,
)
from kam.plans.sections import SECTIONS, SectionKind, SectionSpec
from kam.revisions import RevisionField, RevisionsField

SCALE = [(n, str(n)) for n in range(1, 6)]


def _people() -> Any:
    return User.objects.filter(is_active=True).order_by("first_name", "last_name", "username")


def share_people(*pickers: forms.Form) -> None:
    """Give the person fields of ``pickers`` the choices of one read of the people.

    A page that shows several such forms would otherwise read the people once per field.
    The choices are what ``ModelChoiceIterator`` yields, in its order; a submitted form
    still validates against the field's queryset.
    """
    people = list(_people())
    for form in pickers:
        for field in form.fields.values():
            if isinstance(field, PersonChoiceField | PeopleChoiceField):
                blank = [] if field.empty_label is None else [("", field.empty_label)]
                chosen = field.iterator(field)
                field.choices = blank + [chosen.choice(person) for person in people]


class PersonChoiceField(forms.ModelChoiceField):
    """A supplier-side person, shown by name."""

    def label_from_instance(self, obj: Any) -> str:
        return obj.display_name


class PeopleChoiceField(forms.ModelMultipleChoiceField):
    """Several supplier-side people, shown by name."""

    def label_from_instance(self, obj: Any) -> str:
        return obj.display_name


class PlanCreateForm(forms.Form):
    title = forms.CharField(max_length=200, required=False)
    horizon_months = forms.IntegerField(min_value=12, max_value=36, initial=24)


class PlanSettingsForm(forms.Form):
    title = forms.CharField(max_length=200)
    horizon_months = forms.IntegerField(min_value=12, max_value=36)
    owner = PersonChoiceField(queryset=User.objects.none(), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _people()  # type: ignore[attr-defined]


class SectionForm(forms.Form):
    """A text section (one field, ``text``) or a list section (one textarea per list).

    ``revision`` is the section's revision when the editor opened it: the optimistic lock.
    """

    revision = RevisionField(required=True)

    def __init__(self, spec: SectionSpec, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.spec = spec
        if spec.kind is SectionKind.LISTS:
            for name, label in spec.parts:
                self.fields[name] = forms.CharField(
                    label=label,
                    required=False,
                    widget=forms.Textarea(attrs={"rows": 5}),
                    help_text="One point per line.",
                )
        else:
            self.fields["text"] = forms.CharField(
                label=spec.title, required=False, widget=forms.Textarea(attrs={"rows": 8})
            )

    @staticmethod
    def initial_for(spec: SectionSpec, content: dict[str, Any], revision: int) -> dict[str, Any]:
        """Form values showing ``content`` (lists as one item per line)."""
        initial: dict[str, Any] = {"revision": revision}
        if spec.kind is SectionKind.LISTS:
            for name, _ in spec.parts:
                initial[name] = "\n".join(content.get(name, []))
        else:
            initial["text"] = content.get("text", "")
        return initial

    def content(self) -> dict[str, Any]:
        """The submitted content in the shape the service stores."""
        data = self.cleaned_data
        if self.spec.kind is SectionKind.LISTS:
            return {name: data.get(name, "").splitlines() for name, _ in self.spec.parts}
        return {"text": data.get("text", "")}

    def part_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name != "revision"]


class ObjectiveForm(forms.Form):
    title = forms.CharField(max_length=200, label="Objective")
    measure = forms.CharField(max_length=200, required=False, label="Measured by")


class TargetForm(forms.Form):
    year = forms.IntegerField(min_value=2000, max_value=2100)
    revenue = forms.DecimalField(min_value=0, max_digits=16, decimal_places=2)
    growth_percent = forms.DecimalField(
        max_digits=7,
        decimal_places=2,
        required=False,
        label="Growth %",
        help_text="Left empty: derived from the year before.",
    )
    note = forms.CharField(max_length=200, required=False)
    seen = RevisionsField()


class RiskForm(forms.Form):
    risk = forms.CharField(max_length=300)
    likelihood = forms.TypedChoiceField(choices=SCALE, coerce=int, initial=3)
    impact = forms.TypedChoiceField(choices=SCALE, coerce=int, initial=3)
    mitigation = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    owner = PersonChoiceField(queryset=User.objects.none(), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _people()  # type: ignore[attr-defined]


class RiskStatusForm(forms.Form):
    status = forms.ChoiceField(choices=RiskStatus.choices)
    revision = RevisionField()


class ActionForm(forms.Form):
    action = forms.CharField(max_length=300)
    owner = PersonChoiceField(queryset=User.objects.none())
    due_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="Due")
    objective = forms.ModelChoiceField(
        queryset=PlanObjective.objects.none(), required=False, label="For objective"
    )

    def __init__(self, plan: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _people()  # type: ignore[attr-defined]
        self.fields["objective"].queryset = plan.objectives.all()  # type: ignore[attr-defined]


class ActionStatusForm(forms.Form):
    status = forms.ChoiceField(choices=ActionStatus.choices)
    revision = RevisionField()


class ReviewForm(forms.Form):
    held_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="Held on")
    kind = forms.ChoiceField(choices=ReviewKind.choices)
    reviewers = PeopleChoiceField(
        queryset=User.objects.none(), widget=forms.SelectMultiple(attrs={"size": 4})
    )
    customer_participants = forms.CharField(
        max_length=300,
        required=False,
        label="Customer participants",
        help_text="Needed for external and co-created reviews.",
    )
    outcome = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reviewers"].queryset = _people()  # type: ignore[attr-defined]


class VersionForm(forms.Form):
    note = forms.CharField(max_length=300, required=False, label="What this version is")


class TemplateForm(forms.Form):
    """Required sections and a prompt per section for one alignment level."""

    required_sections = forms.MultipleChoiceField(
        choices=[(spec.key.value, spec.title) for spec in SECTIONS],
        widget=forms.CheckboxSelectMultiple,
    )
    revision = RevisionField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for spec in SECTIONS:
            self.fields[f"prompt_{spec.key.value}"] = forms.CharField(
                label=spec.title, required=False, widget=forms.Textarea(attrs={"rows": 2})
            )

    def prompts(self) -> dict[str, str]:
        return {spec.key.value: self.cleaned_data[f"prompt_{spec.key.value}"] for spec in SECTIONS}

    def prompt_fields(self) -> list[tuple[forms.BoundField, bool]]:
        required = set(self["required_sections"].value() or [])
        return [(self[f"prompt_{spec.key.value}"], spec.key.value in required) for spec in SECTIONS]
