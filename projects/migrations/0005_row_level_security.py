"""Row-level security on new tenant tables of this app (no-op on SQLite)."""

from django.db import migrations

from organizations.tenancy import EnableRowLevelSecurity


class Migration(migrations.Migration):
    dependencies = [("projects", "0004_projects")]

    operations = [
        EnableRowLevelSecurity("BenefitClaim"),
        EnableRowLevelSecurity("Milestone"),
        EnableRowLevelSecurity("MilestoneDateChange"),
        EnableRowLevelSecurity("OutcomeResult"),
        EnableRowLevelSecurity("Project"),
        EnableRowLevelSecurity("ProjectDecision"),
        EnableRowLevelSecurity("ProjectLearner"),
        EnableRowLevelSecurity("RatingRequest"),
        EnableRowLevelSecurity("Stakeholder"),
        EnableRowLevelSecurity("StakeholderRating"),
        EnableRowLevelSecurity("StatusUpdate"),
    ]
