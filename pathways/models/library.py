"""The micro-module library: modules, practice tasks, retrieval items, scenarios."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from organizations.tenancy import TenantModel


class Module(TenantModel):
    class Format(models.TextChoices):
        READ = "read", _("Read")
        WATCH = "watch", _("Watch")
        LISTEN = "listen", _("Listen")
        EXERCISE = "exercise", _("Exercise")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        RETIRED = "retired", _("Retired")

    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    body = models.TextField(_("body (Markdown)"), blank=True)
    format = models.CharField(max_length=10, choices=Format.choices, default=Format.READ)
    minutes = models.PositiveSmallIntegerField(
        _("estimated minutes"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(15)],
        help_text=_("Micro-learning: at most 15 minutes."),
    )
    difficulty = models.PositiveSmallIntegerField(
        default=2, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    competencies = models.ManyToManyField(
        "competencies.Competency", through="ModuleCompetency", blank=True, related_name="modules"
    )
    is_core = models.BooleanField(_("core (not elective)"), default=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["title"]
        indexes = [models.Index(fields=["organization", "status"], name="module_org_status")]
        constraints = [
            # One module per title in the library, whatever its case: a double submit of the
            # create form (or two admins at once) makes one module, the second is refused.
            models.UniqueConstraint(
                F("organization"), Lower("title"), name="module_unique_title_ci"
            )
        ]

    def __str__(self) -> str:
        return self.title


class ModuleCompetency(TenantModel):
    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="+")
    competency = models.ForeignKey(
        "competencies.Competency", on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "module", "competency"], name="modulecompetency_unique"
            )
        ]


class ModuleTag(TenantModel):
    """Who and what a module is for: target roles, functions and impact areas."""

    class Kind(models.TextChoices):
        ROLE = "role", _("Role")
        FUNCTION = "function", _("Function")
        IMPACT = "impact", _("Impact area")

    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="tags")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    value = models.CharField(max_length=100)

    class Meta:
        ordering = ["kind", "value"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "module", "kind", "value"], name="moduletag_unique"
            )
        ]
        indexes = [models.Index(fields=["organization", "kind", "value"], name="moduletag_lookup")]


class PracticeTask(TenantModel):
    """The quick practice after a module: answer in writing or plan an action at work."""

    class Kind(models.TextChoices):
        REFLECT = "reflect", _("Write a short answer")
        ACTION = "action", _("Plan an action at work")

    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="practice_tasks")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.REFLECT)
    prompt = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "module"], name="practicetask_one")
        ]

    def __str__(self) -> str:
        return self.prompt[:60]


class RetrievalItem(TenantModel):
    """A retrieval-practice question; scheduled per learner with FSRS, difficulty by Elo."""

    class Kind(models.TextChoices):
        MULTIPLE_CHOICE = "mc", _("Multiple choice")
        FREE_RECALL = "free", _("Free recall")

    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="retrieval_items")
    competency = models.ForeignKey(
        "competencies.Competency",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    kind = models.CharField(max_length=4, choices=Kind.choices, default=Kind.MULTIPLE_CHOICE)
    prompt = models.TextField()
    model_answer = models.TextField(blank=True, help_text=_("Shown after free recall."))
    # Elo difficulty b (logit scale); starts from the author's estimate, then learns.
    difficulty = models.FloatField(default=0.0)
    difficulty_updates = models.PositiveIntegerField(default=0)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.prompt[:60]


class RetrievalOption(TenantModel):
    item = models.ForeignKey(RetrievalItem, on_delete=models.CASCADE, related_name="options")
    text = models.CharField(max_length=300)
    is_correct = models.BooleanField(default=False)
    feedback = models.CharField(max_length=500, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]


class Scenario(TenantModel):
    """A micro-simulation: a branching tree of situations and choices ending in a debrief."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        RETIRED = "retired", _("Retired")

    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=300, blank=True)
    module = models.ForeignKey(
        Module, null=True, blank=True, on_delete=models.SET_NULL, related_name="scenarios"
    )
    start_node = models.ForeignKey(
        "ScenarioNode", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    difficulty = models.FloatField(default=0.0)
    difficulty_updates = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(
                F("organization"), Lower("title"), name="scenario_unique_title_ci"
            )
        ]

    def __str__(self) -> str:
        return self.title


class ScenarioNode(TenantModel):
    """A situation, or an ending (no choices) with its debrief."""

    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="nodes")
    key = models.SlugField(max_length=60, help_text=_("Short name, unique in the scenario."))
    text = models.TextField()
    is_ending = models.BooleanField(default=False)
    debrief = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "scenario", "key"], name="scenarionode_unique_key"
            )
        ]

    def __str__(self) -> str:
        return self.key


class ScenarioChoice(TenantModel):
    node = models.ForeignKey(ScenarioNode, on_delete=models.CASCADE, related_name="choices")
    text = models.CharField(max_length=300)
    next_node = models.ForeignKey(
        ScenarioNode, null=True, blank=True, on_delete=models.SET_NULL, related_name="incoming"
    )
    feedback = models.TextField(blank=True)
    # Whether this is the behaviour the scenario teaches (drives Elo correctness).
    is_effective = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]


class ChoiceScore(TenantModel):
    """How a choice scores behaviour on a competency (-2 … +2)."""

    choice = models.ForeignKey(ScenarioChoice, on_delete=models.CASCADE, related_name="scores")
    competency = models.ForeignKey(
        "competencies.Competency", on_delete=models.CASCADE, related_name="+"
    )
    score = models.SmallIntegerField(validators=[MinValueValidator(-2), MaxValueValidator(2)])

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "choice", "competency"], name="choicescore_unique"
            )
        ]
