"""The individual level of the impact chain: each learner's growth per competency.

``services`` rolls the facts up into ``LearnerCompetencyRollup`` (learner × competency ×
period); ``queries`` reads it for "My growth", the coach's view of a coachee and the coach's
patterns across coachees; ``views``, ``charts`` and ``urls`` are the pages; ``demo`` the demo.
"""
