"""Row-level security on new tenant tables of this app (no-op on SQLite)."""

from django.db import migrations

from organizations.tenancy import EnableRowLevelSecurity


class Migration(migrations.Migration):
    dependencies = [("coaching", "0006_engagements_sessions")]

    operations = [
        EnableRowLevelSecurity("CalendarFeed"),
        EnableRowLevelSecurity("CoachingEngagement"),
        EnableRowLevelSecurity("CoachingSession"),
        EnableRowLevelSecurity("EngagementFocus"),
        EnableRowLevelSecurity("Experiment"),
        EnableRowLevelSecurity("Goal"),
        EnableRowLevelSecurity("JournalEntry"),
        EnableRowLevelSecurity("Observation"),
        EnableRowLevelSecurity("ObservationInvite"),
        EnableRowLevelSecurity("PeerFeedback"),
        EnableRowLevelSecurity("Rehearsal"),
        EnableRowLevelSecurity("SessionCompetency"),
        EnableRowLevelSecurity("SessionParticipant"),
        EnableRowLevelSecurity("ThreeWayNote"),
    ]
