"""Row-level security on new tenant tables of this app (no-op on SQLite)."""

from django.db import migrations

from organizations.tenancy import EnableRowLevelSecurity


class Migration(migrations.Migration):
    dependencies = [("pathways", "0003_learning_schema")]

    operations = [
        EnableRowLevelSecurity("Ability"),
        EnableRowLevelSecurity("ActivityEvent"),
        EnableRowLevelSecurity("ChoiceScore"),
        EnableRowLevelSecurity("Comment"),
        EnableRowLevelSecurity("ElectiveChoice"),
        EnableRowLevelSecurity("ElectiveGroup"),
        EnableRowLevelSecurity("MentoringOffer"),
        EnableRowLevelSecurity("MentoringRequest"),
        EnableRowLevelSecurity("ModuleReaction"),
        EnableRowLevelSecurity("ModuleTag"),
        EnableRowLevelSecurity("PersonalisationRule"),
        EnableRowLevelSecurity("PracticeAnswer"),
        EnableRowLevelSecurity("PracticeTask"),
        EnableRowLevelSecurity("Recommendation"),
        EnableRowLevelSecurity("RetrievalItem"),
        EnableRowLevelSecurity("RetrievalOption"),
        EnableRowLevelSecurity("ReviewCard"),
        EnableRowLevelSecurity("ReviewLog"),
        EnableRowLevelSecurity("SavedModule"),
        EnableRowLevelSecurity("Scenario"),
        EnableRowLevelSecurity("ScenarioChoice"),
        EnableRowLevelSecurity("ScenarioDecision"),
        EnableRowLevelSecurity("ScenarioNode"),
        EnableRowLevelSecurity("ScenarioPlay"),
        EnableRowLevelSecurity("SelfAssessment"),
        EnableRowLevelSecurity("StepPrerequisite"),
    ]
