"""Row-level security on new tenant tables of this app (no-op on SQLite)."""

from django.db import migrations

from organizations.tenancy import EnableRowLevelSecurity


class Migration(migrations.Migration):
    dependencies = [("measurement", "0005_impact_plan_metrics_costs")]

    operations = [
        EnableRowLevelSecurity("CostLine"),
        EnableRowLevelSecurity("ImpactRollup"),
        EnableRowLevelSecurity("MeasurementPlan"),
        EnableRowLevelSecurity("Metric"),
        EnableRowLevelSecurity("MetricGroupRollup"),
        EnableRowLevelSecurity("MetricImport"),
        EnableRowLevelSecurity("MetricValue"),
        EnableRowLevelSecurity("PlanChange"),
        EnableRowLevelSecurity("PlanMetric"),
        EnableRowLevelSecurity("PlanTeam"),
    ]
