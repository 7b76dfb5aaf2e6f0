"""Demo coaching: engagements, past sessions with notes and summaries, upcoming 1:1 and group
sessions, goals, experiments in every state, journal entries, observations, peer feedback and
a three-way note, written as a coach would write them. Idempotent: does nothing once the demo
coach has engagements."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from coaching.models import (
    CoachingEngagement,
    CoachingSession,
    ConversationTemplate,
    EngagementFocus,
    Experiment,
    Goal,
    JournalEntry,
    Observation,
    ObservationInvite,
    PeerFeedback,
    Rehearsal,
    SessionCompetency,
    SessionParticipant,
    ThreeWayNote,
)
from competencies.models import Competency, ProficiencyLevel
from organizations.demo import DemoPeople
from organizations.models import Membership
from pathways.models import CohortCoach, Enrollment, Scenario, VersionCompetency
from projects.queries import projects_of_learners

PAST_1_TO_1 = [
    (
        "Contracting and first goals",
        "Leo is keen but over-committed; talks fast when anxious about the ops review. Check "
        "whether the 'always available' pattern comes from his previous manager.",
        "We agreed what coaching is for: leading the shift-planning change without doing it "
        "all yourself. Goals: delegate the rota to two shift leads; run one planning meeting "
        "where you speak last.",
    ),
    (
        "Delegation: what gets in the way",
        "Real fear of the rota going wrong in front of Sam. Reframed: a wrong rota the team "
        "fixes is progress. He smiled at that. Watch for rescue behaviour next week.",
        "You noticed you take work back when a deadline gets close. Experiment agreed: hand "
        "the weekend rota to Priya and only review it on Thursday, not before.",
    ),
    (
        "Mid-point review",
        "Big shift: he let the rota go and it held. Energy much better. Next edge: giving "
        "direct feedback to a peer lead without softening it to nothing.",
        "The rota experiment worked: two small errors, fixed by the team. Next: practise a "
        "direct feedback conversation; rehearse the 'Late delivery' scenario before we meet.",
    ),
]


def _competencies(people: DemoPeople, version_id: int) -> list[Competency]:
    ids = VersionCompetency.objects.filter(version_id=version_id).values_list(
        "competency_id", flat=True
    )
    found = list(Competency.objects.filter(pk__in=ids).order_by("position", "name")[:3])
    return found or list(Competency.objects.order_by("position", "name")[:3])


def seed_coaching(people: DemoPeople) -> None:
    """Must run inside ``tenant_context(people.org)`` after the pathways and learning seeds."""
    if CoachingEngagement.objects.filter(coach=people.coach).exists():
        return
    enrollment = Enrollment.objects.filter(learner=people.learner).select_related("cohort").first()
    if enrollment is None:
        return
    cohort = enrollment.cohort
    org_id = people.org.pk
    CohortCoach.objects.get_or_create(cohort=cohort, membership=people.coach)
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    today = timezone.localdate()
    focus = _competencies(people, enrollment.version_id)
    peers = list(
        Membership.objects.filter(enrollments__cohort=cohort, is_learner=True)
        .exclude(pk=people.learner.pk)
        .order_by("user__email")[:5]
    )
    coachees = [people.learner, *peers]
    engagements = []
    for i, coachee in enumerate(coachees):
        coach = people.consultant if (people.consultant and i >= 4) else people.coach
        engagement = CoachingEngagement.objects.create(
            coach=coach,
            coachee=coachee,
            cohort=cohort,
            sponsor=people.sponsor,
            sessions_contracted=6,
            starts_on=today - dt.timedelta(days=56),
            ends_on=today + dt.timedelta(days=120),
        )
        EngagementFocus.objects.bulk_create(
            [
                EngagementFocus(organization_id=org_id, engagement=engagement, competency=c)
                for c in focus[:2]
            ]
        )
        engagements.append(engagement)
    leo_engagement = engagements[0]
    template = ConversationTemplate.objects.order_by("title").first()

    def session(
        coach: Membership,
        title: str,
        starts_at: dt.datetime,
        learners: list[Membership],
        *,
        engagement: CoachingEngagement | None = None,
        notes: str = "",
        summary: str = "",
        held: bool = True,
        ratings: tuple[int, ...] = (),
    ) -> CoachingSession:
        s = CoachingSession.objects.create(
            coach=coach,
            kind=CoachingSession.Kind.ONE_TO_ONE if engagement else CoachingSession.Kind.GROUP,
            engagement=engagement,
            cohort=cohort,
            title=title,
            starts_at=starts_at,
            minutes=60 if engagement else 90,
            mode=CoachingSession.Mode.VIDEO,
            location="https://meet.example.com/coaching",
            conversation_template=template if title == "Mid-point review" else None,
            capacity=max(1, len(learners)),
            status=CoachingSession.Status.HELD if held else CoachingSession.Status.SCHEDULED,
            actual_minutes=(55 if engagement else 85) if held else None,
            private_notes=notes,
            shared_summary=summary,
            logged_at=starts_at + dt.timedelta(hours=2) if held else None,
        )
        SessionParticipant.objects.bulk_create(
            [
                SessionParticipant(
                    organization_id=org_id,
                    session=s,
                    learner=m,
                    attendance=(
                        SessionParticipant.Attendance.NO_SHOW
                        if held and j == 3
                        else SessionParticipant.Attendance.ATTENDED
                    )
                    if held
                    else "",
                    rating=(ratings[j] if held and j < len(ratings) else None),
                    rated_at=starts_at + dt.timedelta(days=1)
                    if held and j < len(ratings)
                    else None,
                )
                for j, m in enumerate(learners)
            ]
        )
        if held:
            SessionCompetency.objects.bulk_create(
                [
                    SessionCompetency(organization_id=org_id, session=s, competency=c)
                    for c in focus[:1]
                ]
            )
        return s

    # Leo's three past 1:1s, fortnightly, then the next one.
    past = []
    for k, (title, notes, summary) in enumerate(PAST_1_TO_1):
        past.append(
            session(
                people.coach,
                title,
                now - dt.timedelta(days=42 - 14 * k, hours=2),
                [people.learner],
                engagement=leo_engagement,
                notes=notes,
                summary=summary,
                ratings=(5, 5, 4)[k : k + 1],
            )
        )
    upcoming = session(
        people.coach,
        "Feedback conversations",
        now + dt.timedelta(days=3, hours=1),
        [people.learner],
        engagement=leo_engagement,
        held=False,
    )
    # The last 1:1 and the next one work on Leo's running project: its page lists their dates.
    leo_projects = projects_of_learners([people.learner.pk]).get(people.learner.pk, [])
    if leo_projects:
        CoachingSession.objects.filter(pk__in=[past[-1].pk, upcoming.pk]).update(
            project_id=leo_projects[0][0]
        )
    for j, (coachee, engagement) in enumerate(zip(coachees[1:], engagements[1:], strict=True)):
        coach = engagement.coach
        session(
            coach,
            "First session",
            now - dt.timedelta(days=20 + j, hours=3),
            [coachee],
            engagement=engagement,
            notes="Quiet start; trust needs time. Ask about the team move next time.",
            summary="We set out what you want from coaching and picked one goal to start.",
            ratings=(4,),
        )
        session(
            coach,
            "Follow-up",
            now + dt.timedelta(days=1 + j, hours=4),
            [coachee],
            engagement=engagement,
            held=False,
        )
    group = session(
        people.coach,
        "Group clinic: leading through change",
        now - dt.timedelta(days=10, hours=5),
        coachees[:4],
        notes="Group energy good; two of them dominate. Seat them apart next time.",
        summary="Each of you brought one change you are leading. Common thread: saying no "
        "to new work while the change lands. Try one explicit 'not now' this week.",
        ratings=(5, 4, 4),
    )
    session(
        people.coach,
        "Group clinic: feedback that lands",
        now + dt.timedelta(days=8, hours=2),
        coachees[:4],
        held=False,
    )
    if len(coachees) > 1:
        PeerFeedback.objects.create(
            session=group,
            giver=coachees[1],
            recipient=people.learner,
            what_worked="Your example of handing over the rota was concrete and honest.",
            what_to_try="Say what you need from us before you describe the problem.",
        )

    # Goals and experiments (every state).
    Goal.objects.create(
        engagement=leo_engagement,
        learner=people.learner,
        competency=focus[0] if focus else None,
        title="Delegate the weekly rota to two shift leads",
        success_measure="Rota published on time for 4 weeks without my edits",
        target_date=today + dt.timedelta(days=21),
        progress=60,
    )
    Goal.objects.create(
        engagement=leo_engagement,
        learner=people.learner,
        competency=focus[1] if len(focus) > 1 else None,
        title="Speak last in planning meetings",
        success_measure="Two team proposals adopted in a month",
        target_date=today - dt.timedelta(days=5),
        progress=100,
        status=Goal.Status.ACHIEVED,
        reflection="The team had better ideas than mine once I stopped opening with mine.",
        closed_at=timezone.now() - dt.timedelta(days=6),
    )
    for kind, status, hypothesis, action, where, due, happened, learned in [
        (
            Experiment.Kind.EXPERIMENT,
            Experiment.Status.DONE,
            "If I wait until Thursday, Priya will own the rota",
            "Hand the weekend rota to Priya; review only on Thursday",
            "Weekend shift planning",
            -20,
            "Two small errors, both caught by the team before Friday.",
            "Stepping back earlier gives them room to fix things themselves.",
        ),
        (
            Experiment.Kind.EXPERIMENT,
            Experiment.Status.OPEN,
            "Naming the impact first will keep the conversation short",
            "Give Marco direct feedback on late handovers using situation–behaviour–impact",
            "Tuesday one-to-one",
            9,
            "",
            "",
        ),
        (
            Experiment.Kind.ACTION,
            Experiment.Status.OPEN,
            "",
            "Block 30 minutes on Friday to read the team's improvement ideas",
            "",
            12,
            "",
            "",
        ),
        (
            Experiment.Kind.EXPERIMENT,
            Experiment.Status.DROPPED,
            "Skipping the daily stand-up once a week will free time",
            "Cancel Wednesday stand-up",
            "Operations floor",
            -10,
            "The site manager asked us to keep it during the peak.",
            "Check constraints with the site manager before experimenting with rituals.",
        ),
    ]:
        Experiment.objects.create(
            learner=people.learner,
            engagement=leo_engagement,
            session=past[1] if status != Experiment.Status.DROPPED else None,
            kind=kind,
            hypothesis=hypothesis,
            action=action,
            where=where,
            due_on=today + dt.timedelta(days=due),
            status=status,
            what_happened=happened,
            learned=learned,
            closed_at=timezone.now() if status != Experiment.Status.OPEN else None,
        )

    # Another coachee is behind on an experiment: the coach's home names them. (The demo
    # learner's own experiments are not yet due, so their home leads with their pathway.)
    if len(coachees) > 1:
        Experiment.objects.create(
            learner=coachees[1],
            engagement=engagements[1],
            kind=Experiment.Kind.EXPERIMENT,
            hypothesis="Asking for input first will surface the real blockers",
            action="Open the weekly meeting by asking what is stuck",
            where="Weekly team meeting",
            due_on=today - dt.timedelta(days=4),
        )

    # Journal (one entry shared with the coach).
    for days, prompt, text, shared in [
        (
            12,
            "What got in the way of delegation recently?",
            "I re-did Priya's draft rota at 10pm. Nobody asked me to. I think I was afraid Sam "
            "would see a gap and think I had lost control.",
            False,
        ),
        (
            6,
            "When did you practise delegation this week, and what happened?",
            "Left the rota alone until Thursday. Two mistakes, both fixed by the team. Felt "
            "uncomfortable on Tuesday and oddly proud on Friday.",
            True,
        ),
        (
            1,
            "",
            "Nervous about the feedback conversation with Marco. Writing the SBI version down "
            "helped: it is about handovers, not about him.",
            False,
        ),
    ]:
        JournalEntry.objects.create(
            learner=people.learner,
            prompt=prompt,
            text=text,
            competency=focus[0] if focus else None,
            shared_at=timezone.now() - dt.timedelta(days=days - 1) if shared else None,
            created_at=timezone.now() - dt.timedelta(days=days),
        )

    # Observations: the coach and an invited peer.
    if focus:
        levels = list(ProficiencyLevel.objects.filter(framework_id=focus[0].framework_id))
        indicator = focus[0].indicators.order_by("position").first()
        by_value = {lv.value: lv for lv in levels}
        if by_value:
            Observation.objects.create(
                learner=people.learner,
                observer=people.coach,
                observer_kind=Observation.ObserverKind.COACH,
                competency=focus[0],
                indicator=indicator,
                level=by_value.get(3, levels[0]),
                situation="Group clinic, describing the rota hand-over to peers",
                behaviour="Explained what he let go of and why, and asked the group what "
                "they would have done differently.",
                observed_on=today - dt.timedelta(days=10),
            )
            if peers:
                ObservationInvite.objects.get_or_create(learner=people.learner, peer=peers[0])
                Observation.objects.create(
                    learner=people.learner,
                    observer=peers[0],
                    observer_kind=Observation.ObserverKind.PEER,
                    competency=focus[0],
                    indicator=indicator,
                    level=by_value.get(4, levels[-1]),
                    situation="Weekly planning meeting",
                    behaviour="Asked each shift lead for their plan before giving his own, "
                    "then adopted Priya's proposal.",
                    observed_on=today - dt.timedelta(days=4),
                )

    ThreeWayNote.objects.create(
        engagement=leo_engagement,
        author=people.coach,
        text="Expectations for the next six weeks: Leo leads the shift-planning change with "
        "two shift leads owning the rota; Sam to check in on progress at the monthly review.",
    )
    ThreeWayNote.objects.create(
        engagement=leo_engagement,
        author=people.sponsor,
        text="Agreed. I see the rota landing on time; keen to see the team's ideas at the "
        "next ops review.",
    )
    scenario = Scenario.objects.filter(status=Scenario.Status.PUBLISHED).order_by("title").first()
    if scenario is not None:
        Rehearsal.objects.create(
            engagement=leo_engagement,
            scenario=scenario,
            note="Rehearse before our feedback session; share the debrief if you are happy to.",
        )
