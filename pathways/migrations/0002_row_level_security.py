"""Row-level security on every tenant table of this app (no-op on SQLite)."""

from django.db import migrations

from organizations.tenancy import EnableRowLevelSecurity


class Migration(migrations.Migration):
    dependencies = [("pathways", "0001_initial")]

    operations = [
        EnableRowLevelSecurity("Cohort"),
        EnableRowLevelSecurity("CohortCoach"),
        EnableRowLevelSecurity("CohortSponsor"),
        EnableRowLevelSecurity("Enrollment"),
        EnableRowLevelSecurity("Module"),
        EnableRowLevelSecurity("ModuleCompetency"),
        EnableRowLevelSecurity("Pathway"),
        EnableRowLevelSecurity("PathwayVersion"),
        EnableRowLevelSecurity("Stage"),
        EnableRowLevelSecurity("Step"),
        EnableRowLevelSecurity("StepCompletion"),
        EnableRowLevelSecurity("VersionCompetency"),
    ]
