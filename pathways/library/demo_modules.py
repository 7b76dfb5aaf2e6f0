"""The demo module library: real micro-modules on leadership topics (text only, no models).

Each entry: title, summary, minutes, format, difficulty, core, competencies (names from
``competencies.demo.DEMO_COMPETENCIES``), roles, functions, impact areas, Markdown body, practice
task (kind, prompt) and retrieval items. An item is either
``("mc", prompt, competency, level, [(option, is_correct, feedback), ...])`` or
``("free", prompt, competency, level, model_answer)``.
"""

from __future__ import annotations

from typing import Any

SELF = "Emotional self-management"
COACH = "Coaching and developing others"
FEEDBACK = "Giving and receiving feedback"
DECIDE = "Decision making"
CHANGE = "Leading change"
STRATEGY = "Strategic thinking"
COLLAB = "Collaboration across boundaries"
INFLUENCE = "Communicating with influence"

FIRST_LINE = ["Team lead", "First-line manager"]
ALL_MANAGERS = ["Team lead", "First-line manager", "Second-line manager"]
SENIOR = ["Second-line manager", "Senior manager"]

DEMO_MODULES: list[dict[str, Any]] = [
    {
        "title": "Know your leadership defaults",
        "summary": "How your habits under pressure shape your team's day, and how to notice them.",
        "minutes": 8,
        "format": "read",
        "difficulty": 1,
        "competencies": [SELF],
        "roles": FIRST_LINE,
        "functions": [],
        "impacts": ["Engagement"],
        "body": """## Your defaults run the show when you are busy

Every leader has a few moves they make without thinking: jumping in to fix, going quiet,
asking for more data, taking the decision yourself "to save time". On a calm day you choose.
Under pressure your **defaults** choose for you, and your team learns to work around them.

### Three common defaults and what they cost

- **The rescuer** takes over when work wobbles. The work ships; the person learns that you
  will always catch it.
- **The perfectionist** sends work back with one more comment. Quality rises; speed and
  confidence fall.
- **The absent calm** stays out of the way. People feel trusted, until they feel alone.

None of these is wrong. Each is a strength that becomes a habit.

### How to notice yours

1. Think of the last three tense moments at work. What did you actually *do* in the first
   five minutes?
2. Ask one person who works closely with you: "When things get busy, what do I tend to do
   that helps, and what gets in your way?"
3. Name the pattern in a few words, such as "I grab the keyboard".

### Make the default a choice again

Once the habit has a name you can catch it. Agree a pause with yourself ("before I jump in,
I ask one question") and tell your team what you are trying. Saying it out loud makes it
easier for them to help you, and shows them how learning looks in a leader.
""",
        "practice": (
            "reflect",
            "Describe one recent moment when your default took over. What did you do, what did "
            "it cost, and what would you choose next time?",
        ),
        "items": [
            (
                "mc",
                "Why do leadership defaults matter most under pressure?",
                SELF,
                "easy",
                [
                    (
                        "Because under pressure we stop choosing and act on habit",
                        True,
                        "Right: time pressure hands the decision to your habits.",
                    ),
                    (
                        "Because teams only notice behaviour in a crisis",
                        False,
                        "Teams notice every day; pressure just makes habits more frequent.",
                    ),
                    (
                        "Because defaults are always harmful",
                        False,
                        "Defaults are usually strengths overused, not faults.",
                    ),
                ],
            ),
            (
                "free",
                "Name two ways to discover your own leadership default.",
                SELF,
                "easy",
                "Review what you actually did in recent tense moments, and ask someone who "
                "works closely with you what you tend to do when things get busy.",
            ),
        ],
    },
    {
        "title": "Ask before you tell",
        "summary": "Coaching questions that turn status updates into ownership.",
        "minutes": 10,
        "format": "read",
        "difficulty": 2,
        "competencies": [COACH],
        "roles": ALL_MANAGERS,
        "functions": [],
        "impacts": ["Engagement", "Productivity"],
        "body": """## The fastest answer is not always yours

When someone brings you a problem, the quickest route seems to be telling them what to do.
It feels efficient. It also teaches them to bring you the next problem too, and it keeps
you as the bottleneck of your own team.

### Three questions that change the conversation

1. **"What have you tried so far?"** It shows you expect them to have thought about it,
   and it tells you where they are.
2. **"What options do you see?"** Wait for at least two. The second option is usually the
   more thoughtful one.
3. **"What would you recommend?"** This hands the decision back. If their answer is sound,
   say so and let them go.

### When to tell instead

Asking is not a rule for every moment. Tell when there is real danger, when the person is
brand new to the task, or when they have asked you directly for your view after thinking it
through. Then tell clearly, and explain your reasoning so they can reuse it.

### What it sounds like

> "The supplier is late again, what should I do?"
> "Annoying. What have you tried so far?"
> "I chased them twice."
> "What options do you see now?"

Expect it to feel slower for the first few weeks. Count the questions that stop reaching
you a month later: that is the return on the minutes you invest now.
""",
        "practice": (
            "action",
            "In your next three conversations where someone brings you a problem, ask at least "
            "two of the three questions before offering a view. Note what happened.",
        ),
        "items": [
            (
                "mc",
                "Someone brings you a problem. Which question best hands ownership back?",
                COACH,
                "medium",
                [
                    (
                        "What would you recommend?",
                        True,
                        "Yes: it asks for their judgement and lets you endorse it.",
                    ),
                    (
                        "Why didn't you spot this earlier?",
                        False,
                        "This looks backwards and invites defensiveness, not ownership.",
                    ),
                    (
                        "Shall I handle it?",
                        False,
                        "Offering to take it over teaches them to bring you the next one.",
                    ),
                ],
            ),
            (
                "mc",
                "When is telling, rather than asking, the better choice?",
                COACH,
                "medium",
                [
                    (
                        "When there is real risk or the person is new to the task",
                        True,
                        "Right: safety and novices need direction, with your reasoning.",
                    ),
                    (
                        "Whenever you already know the answer",
                        False,
                        "You often will know it; asking builds their judgement anyway.",
                    ),
                    (
                        "When you are short of time",
                        False,
                        "Time pressure is the usual excuse that keeps you the bottleneck.",
                    ),
                ],
            ),
            (
                "free",
                "List the three coaching questions from this module.",
                COACH,
                "easy",
                "What have you tried so far? What options do you see? What would you recommend?",
            ),
        ],
    },
    {
        "title": "Energy, not hours",
        "summary": "Plan your week around the few decisions only you can make.",
        "minutes": 7,
        "format": "exercise",
        "difficulty": 1,
        "competencies": [SELF, DECIDE],
        "roles": ALL_MANAGERS,
        "functions": [],
        "impacts": ["Productivity"],
        "body": """## Your calendar is a statement of priorities

Most managers plan their week by filling hours. The better question is where your best
**energy** goes. A decision about a hire made at 6 pm after eight meetings is a worse decision
than the same one made at 9 am.

### Find the work only you can do

List what crossed your desk last week and sort it into three groups:

- **Only me**: decisions, conversations and commitments nobody else in the team can make.
- **Me for now**: things you do because nobody else has learned them yet.
- **Not me**: things that arrived because you answered quickly once.

The first group deserves your peak hours. The second is a development plan for someone in
your team. The third needs a polite redirect.

### Protect two blocks

Book two blocks of 90 minutes next week for "only me" work, at the time of day when you think
most clearly. Treat them like meetings with your most important stakeholder. If a request
lands in that slot, offer the next free time instead of the block.

### Notice the drains

Some meetings cost more energy than their length suggests. Look for the ones you leave with
nothing decided, and either change their format or leave them. A shorter week of better
decisions beats a longer week of tired ones.
""",
        "practice": (
            "action",
            "Sort last week's work into only me, me for now and not me, then book two 90-minute "
            "blocks for the first group next week. Which item from 'not me' will you redirect?",
        ),
        "items": [
            (
                "mc",
                "What should happen to work in the 'me for now' group?",
                DECIDE,
                "medium",
                [
                    (
                        "Teach it to someone in the team",
                        True,
                        "Yes: it is a development opportunity waiting to be handed over.",
                    ),
                    (
                        "Do it in your peak hours",
                        False,
                        "Peak hours belong to the work only you can do.",
                    ),
                    (
                        "Drop it",
                        False,
                        "It still needs doing; it just does not need to be done by you forever.",
                    ),
                ],
            ),
            (
                "free",
                "Why plan around energy rather than hours?",
                SELF,
                "easy",
                "Decision quality depends on when you make them; your best thinking should go "
                "to the few decisions only you can make.",
            ),
        ],
    },
    {
        "title": "Feedback that lands",
        "summary": "The situation–behaviour–impact model, and how to ask for feedback in return.",
        "minutes": 12,
        "format": "read",
        "difficulty": 2,
        "competencies": [FEEDBACK],
        "roles": ALL_MANAGERS,
        "functions": [],
        "impacts": ["Engagement"],
        "body": """## Feedback is information, not a verdict

Most feedback fails because it arrives as a judgement ("you were unprofessional") that the
other person can only accept or reject. Useful feedback gives them something they can look
at with you.

### Situation, behaviour, impact

- **Situation**: when and where. "In Tuesday's client call…"
- **Behaviour**: what you saw or heard, as a camera would record it. "…you answered the
  pricing question before Priya had finished…"
- **Impact**: what it led to. "…and the client asked her nothing else for the rest of the
  call."

Then stop and ask: *"How did you see it?"* You may be missing context, and the question
turns a speech into a conversation.

### Make it timely and proportionate

Give feedback within a day or two while both of you remember the moment. Keep small things
small: a two-minute word after a meeting is often better than a formal slot next month.

### Positive feedback needs the same precision

"Great job" feels nice and teaches nothing. "When you summarised the three options before
asking for a decision, the meeting finished ten minutes early" tells someone exactly what to
repeat.

### Ask for it in return

Close with a question about yourself: "Is there something I could do differently that
would help you?" Leaders who ask for feedback get more honest feedback, and give it better.
""",
        "practice": (
            "reflect",
            "Write one piece of feedback you owe someone, in situation–behaviour–impact form, "
            "and the question you will ask after it.",
        ),
        "items": [
            (
                "mc",
                "Which sentence describes behaviour rather than a judgement?",
                FEEDBACK,
                "medium",
                [
                    (
                        "You interrupted Priya twice while she was presenting",
                        True,
                        "Right: a camera could record it, so it can be discussed.",
                    ),
                    (
                        "You were rude to Priya",
                        False,
                        "'Rude' is a verdict; the person can only accept or reject it.",
                    ),
                    (
                        "You don't respect your colleagues",
                        False,
                        "This is a claim about motives, which you cannot see.",
                    ),
                    (
                        "You always dominate meetings",
                        False,
                        "'Always' invites a counter-example instead of a conversation.",
                    ),
                ],
            ),
            (
                "free",
                "What do the letters S, B and I stand for, and what do you do after saying them?",
                FEEDBACK,
                "easy",
                "Situation, behaviour, impact; then ask how the other person saw it.",
            ),
            (
                "mc",
                "Why make positive feedback specific?",
                FEEDBACK,
                "easy",
                [
                    (
                        "So the person knows exactly what to repeat",
                        True,
                        "Yes: specific praise teaches; general praise only pleases.",
                    ),
                    (
                        "So it sounds more sincere to others",
                        False,
                        "Sincerity helps, but the point is to make the behaviour repeatable.",
                    ),
                ],
            ),
        ],
    },
    {
        "title": "Delegating outcomes, not tasks",
        "summary": "Hand over the result, the constraints and the check-ins; keep the "
        "accountability.",
        "minutes": 10,
        "format": "read",
        "difficulty": 2,
        "competencies": [COACH, DECIDE],
        "roles": ALL_MANAGERS,
        "functions": [],
        "impacts": ["Productivity", "Succession"],
        "body": """## Delegate the result, not the steps

Handing someone a list of steps is assignment, not delegation. They follow your plan, you
stay the expert, and they bring every surprise back to you. Delegating an **outcome** lets
them own how it gets done.

### Five things to agree

1. **The outcome**: what done looks like, in a sentence. "A supplier shortlist the finance
   team can approve."
2. **Why it matters**: the purpose helps them make trade-offs you did not foresee.
3. **Constraints**: budget, deadline, people to involve, lines not to cross.
4. **Authority**: which decisions are theirs, and which need you. Be explicit.
5. **Check-ins**: when you will look at progress together. Early and short is best.

### Match the grip to the person

Someone new to the work needs more frequent check-ins and a narrower scope. An experienced
colleague needs the outcome and the deadline and little else. Loosen your grip as trust grows.

### You keep the accountability

If it goes wrong, it is still yours in front of your own manager. That is the deal that makes
it safe for them to stretch. Resist the urge to take the work back at the first wobble: ask
what they plan to do next instead.

### Watch for reverse delegation

When someone hands the problem back ("what should I do?"), return the question. The work
stays where you delegated it.
""",
        "practice": (
            "action",
            "Pick one piece of work you are holding on to. Write the outcome, the why, the "
            "constraints, their authority and the first check-in, then hand it over this week.",
        ),
        "items": [
            (
                "mc",
                "Which of these belongs in a delegation conversation?",
                COACH,
                "medium",
                [
                    (
                        "Which decisions are theirs and which need you",
                        True,
                        "Yes: unclear authority is the most common reason delegation fails.",
                    ),
                    (
                        "A step-by-step plan for them to follow",
                        False,
                        "Steps turn delegation into assignment; agree the outcome instead.",
                    ),
                    (
                        "A promise that they alone are accountable if it fails",
                        False,
                        "You keep the accountability; that is what makes stretching safe.",
                    ),
                ],
            ),
            (
                "free",
                "Name the five things to agree when delegating an outcome.",
                DECIDE,
                "medium",
                "The outcome, why it matters, the constraints, their authority, and the check-ins.",
            ),
        ],
    },
    {
        "title": "Running a one-to-one that matters",
        "summary": "A simple agenda your direct reports own.",
        "minutes": 9,
        "format": "read",
        "difficulty": 1,
        "competencies": [COACH],
        "roles": FIRST_LINE,
        "functions": [],
        "impacts": ["Engagement", "Customer retention"],
        "body": """## It is their meeting, not your status update

A one-to-one is the single most valuable half hour in a manager's week, and the easiest to
waste on project updates that could be a message. Make it theirs.

### A simple agenda they own

1. **Their topics first** (15 minutes). Ask them to bring one or two things on their mind.
   Keep a shared note so topics carry over.
2. **Your topics** (5 minutes). Only what needs a conversation.
3. **Growth** (10 minutes, at least monthly). What are they learning? What would stretch
   them next? Is anything getting in the way?

### Questions that open things up

- "What's taking more energy than it should at the moment?"
- "What's one thing I could do to make your work easier?"
- "What are you proud of from the last two weeks?"

### Habits that build trust

- **Do not cancel.** Move it if you must, but cancelling twice tells someone they come last.
- **Write down what you promised**, and open the next meeting with it.
- **Listen more than you talk.** Aim for them speaking two-thirds of the time.

### Keep it weekly or fortnightly

Frequent short meetings beat rare long ones. Problems surface while they are small, and the
conversation about growth has somewhere to live.
""",
        "practice": (
            "action",
            "Send each direct report a short note before your next one-to-ones inviting them to "
            "bring one or two topics, and share the three-part agenda.",
        ),
        "items": [
            (
                "mc",
                "Whose topics come first in a one-to-one?",
                COACH,
                "easy",
                [
                    (
                        "The direct report's",
                        True,
                        "Right: it is their meeting; your topics take a few minutes at the end.",
                    ),
                    (
                        "The manager's",
                        False,
                        "Starting with yours turns it into a status update.",
                    ),
                    (
                        "Whatever is most urgent for the business",
                        False,
                        "Urgent business items have other meetings; protect this one for them.",
                    ),
                ],
            ),
            (
                "free",
                "Give two habits that make one-to-ones build trust.",
                COACH,
                "easy",
                "Do not cancel them; write down what you promised and follow up; listen more "
                "than you talk.",
            ),
        ],
    },
    {
        "title": "Telling the story of the change",
        "summary": "Why now, what stays, what changes: a narrative people can repeat.",
        "minutes": 11,
        "format": "read",
        "difficulty": 3,
        "competencies": [CHANGE, INFLUENCE],
        "roles": ALL_MANAGERS + ["Senior manager"],
        "functions": [],
        "impacts": ["Engagement", "Growth"],
        "body": """## People repeat stories, not slide decks

When a change is announced, your team will explain it to each other within the hour. The
question is whether they retell your version or invent their own. Give them a story short
enough to repeat.

### Four parts, one minute

1. **Why now**: what has changed outside or inside the organisation that makes standing
   still riskier than moving. Use a fact, not an adjective.
2. **What stays**: the things people value that will not change. This is the part leaders
   most often forget, and the one that lowers anxiety most.
3. **What changes**: concretely, for this team, in the next three months.
4. **What we need from you**: one or two behaviours, not a list of ten.

### Say what you don't know

"We have not decided how the rota will work yet; we will by the end of March, and you will
hear it from me first" is more credible than false certainty. People forgive unknowns; they
do not forgive spin.

### Tell it more than once

A message heard once is a rumour. Repeat the story in team meetings, one-to-ones and
written updates, in the same words. When you hear your team use your phrases, it has landed.

### Invite the questions

End every telling with "What's your first reaction?" and write the questions down. They
show you which part of the story needs more work.
""",
        "practice": (
            "reflect",
            "Write the one-minute story of a change your team is going through: why now, what "
            "stays, what changes, and what you need from them.",
        ),
        "items": [
            (
                "mc",
                "Which part of a change story do leaders most often leave out?",
                CHANGE,
                "medium",
                [
                    (
                        "What stays the same",
                        True,
                        "Yes: naming what stays lowers anxiety more than any other part.",
                    ),
                    (
                        "Why the change is needed",
                        False,
                        "Leaders usually cover the why, often at length.",
                    ),
                    (
                        "What changes",
                        False,
                        "This is usually the centre of the announcement.",
                    ),
                ],
            ),
            (
                "free",
                "What are the four parts of the one-minute change story?",
                INFLUENCE,
                "medium",
                "Why now, what stays, what changes, and what we need from you.",
            ),
            (
                "mc",
                "You do not yet know how part of the change will work. What do you say?",
                INFLUENCE,
                "hard",
                [
                    (
                        "Say it is undecided, when it will be decided, and who will tell them",
                        True,
                        "Right: honest unknowns with a date are more credible than false "
                        "certainty.",
                    ),
                    (
                        "Leave that part out until it is decided",
                        False,
                        "The gap fills with rumours; name it instead.",
                    ),
                    (
                        "Give your best guess as if it were decided",
                        False,
                        "If the guess turns out wrong you lose trust for the whole change.",
                    ),
                ],
            ),
        ],
    },
    {
        "title": "Working with resistance",
        "summary": "Treat pushback as information: name it, explore it, use it.",
        "minutes": 12,
        "format": "read",
        "difficulty": 3,
        "competencies": [CHANGE, SELF],
        "roles": ALL_MANAGERS + ["Senior manager"],
        "functions": [],
        "impacts": ["Engagement"],
        "body": """## Resistance is data

When someone pushes back on a change, the instinct is to persuade harder. Usually that makes
them dig in. Treat the pushback as information about something you have not yet seen.

### Three sources of resistance

- **It doesn't make sense to me**: they lack information or disagree with the logic.
- **It costs me something**: status, skills, a way of working they are good at.
- **I don't trust how this is being done**: past changes went badly, or they were not asked.

Each needs a different response. More facts do not help someone who is losing status.

### Name it, explore it

Say what you notice, without judging: "You've gone quiet since we talked about the new
process." Then ask: "What concerns you most about it?" Listen to the whole answer before you
respond, and summarise it back so they know you heard.

### Use it

Often the resister has spotted a real flaw. Ask "What would have to be true for this to work
for you?" and see whether part of their answer can improve the plan. Involving a vocal critic
in fixing the problem they raised is one of the fastest ways to turn them into an advocate.

### Hold the line where you must

Some things are not up for debate. Say so plainly, explain why, and be clear about what *is*
open. People accept firm limits more easily than vague ones.
""",
        "practice": (
            "action",
            "Choose one person who is pushing back on a change. Plan how you will name what you "
            "notice and the open question you will ask, then have the conversation this week.",
        ),
        "items": [
            (
                "mc",
                "A colleague resists because the change makes their expertise less valued. "
                "What helps most?",
                CHANGE,
                "hard",
                [
                    (
                        "Acknowledge the loss and explore what role they could play",
                        True,
                        "Yes: resistance about cost needs recognition and a future, not facts.",
                    ),
                    (
                        "Share more data on why the change is necessary",
                        False,
                        "Data helps with 'it doesn't make sense', not with loss of status.",
                    ),
                    (
                        "Escalate to their manager",
                        False,
                        "Escalating first confirms their fear that they are not being heard.",
                    ),
                ],
            ),
            (
                "free",
                "Name the three sources of resistance in this module.",
                CHANGE,
                "medium",
                "It doesn't make sense to me; it costs me something; I don't trust how this is "
                "being done.",
            ),
        ],
    },
    {
        "title": "Making progress visible",
        "summary": "Small wins, shared scoreboards and the rhythm of review.",
        "minutes": 8,
        "format": "read",
        "difficulty": 2,
        "competencies": [CHANGE],
        "roles": ALL_MANAGERS,
        "functions": ["Operations", "Customer service"],
        "impacts": ["Productivity", "Customer retention"],
        "body": """## Progress you cannot see does not motivate

Research on what makes a good working day keeps finding the same thing: the feeling of making
progress on meaningful work. In a long change, progress is real but invisible, and teams lose
heart. Your job is to make it visible.

### Pick a few measures the team can move

Choose two or three measures that the team's own actions change within weeks, not the
company's quarterly results. "Tickets resolved on first contact" beats "customer satisfaction
score" for a support team, because they can see their effect on it.

### A shared scoreboard

Put the measures where everyone sees them weekly: a wall, a channel, the start of the team
meeting. Show the trend, not just the latest number, and show the starting point so the
distance travelled is obvious.

### Celebrate small wins on purpose

When something improves, say what improved, who did it and how. Keep it specific and prompt.
Small public recognition does more for momentum than a big celebration at the end.

### Review on a rhythm

A short fortnightly review keeps attention on the work: what moved, what did not, and what we
will try next. When a measure stalls, treat it as a puzzle for the team to solve, not a
reason to blame.
""",
        "practice": (
            "action",
            "Choose two measures your team can move within weeks, sketch the scoreboard, and "
            "plan where and when the team will see it.",
        ),
        "items": [
            (
                "mc",
                "Which is the better measure for a team's scoreboard?",
                CHANGE,
                "medium",
                [
                    (
                        "One the team's own actions move within weeks",
                        True,
                        "Right: people stay motivated when they can see their effect.",
                    ),
                    (
                        "The company's quarterly revenue",
                        False,
                        "Too distant: the team cannot see its own contribution.",
                    ),
                    (
                        "As many measures as possible",
                        False,
                        "Two or three focus attention; ten spread it thin.",
                    ),
                ],
            ),
            (
                "free",
                "What three things does a fortnightly progress review cover?",
                CHANGE,
                "easy",
                "What moved, what did not, and what we will try next.",
            ),
        ],
    },
    {
        "title": "Asking for feedback on yourself",
        "summary": "Questions that get you honest, useful feedback instead of polite reassurance.",
        "minutes": 8,
        "format": "read",
        "difficulty": 2,
        "competencies": [FEEDBACK, SELF],
        "roles": ALL_MANAGERS + ["Senior manager"],
        "functions": [],
        "impacts": ["Engagement"],
        "body": """## "Any feedback for me?" gets you "No, all good"

The more senior you are, the less honest feedback reaches you. People are unsure whether it
is safe, and a vague question makes it easy to say nothing. Ask better questions.

### Ask about something specific

- "In today's planning meeting, what's one thing I could have done to make it more useful?"
- "When I reviewed your proposal, was my feedback helpful or did it slow you down?"
- "What's one thing I do that you'd like me to keep doing, and one to do less of?"

A specific, small question is easy to answer honestly.

### Make it safe to answer

- Ask in private and without an audience.
- Listen fully. Do not explain, justify or correct, even if you disagree.
- Say thank you and mean it. Your reaction decides whether they ever tell you again.

### Close the loop

Go back a week or two later: "You said my reviews slow you down. I've started giving comments
within a day. Is it better?" Nothing persuades people that feedback is welcome like seeing it
used.

### Look for patterns, not verdicts

One comment is a data point. When two or three people say similar things, you have found
something worth working on, and a topic for your next coaching conversation.
""",
        "practice": (
            "action",
            "Write one specific feedback question for each of two colleagues and ask them this "
            "week. Record what you heard and what you will change.",
        ),
        "items": [
            (
                "mc",
                "Which question is most likely to get honest feedback?",
                FEEDBACK,
                "medium",
                [
                    (
                        "What's one thing I could have done to make today's meeting more useful?",
                        True,
                        "Yes: specific and small, so it is easy and safe to answer.",
                    ),
                    (
                        "Any feedback for me?",
                        False,
                        "Vague questions invite 'No, all good'.",
                    ),
                    (
                        "Do you think I'm a good manager?",
                        False,
                        "A question about a verdict is hard to answer honestly.",
                    ),
                ],
            ),
            (
                "free",
                "What should you do a week or two after receiving feedback?",
                FEEDBACK,
                "easy",
                "Go back to the person, say what you changed, and ask whether it helped.",
            ),
        ],
    },
    {
        "title": "Deciding with incomplete information",
        "summary": "When to decide, when to wait, and how to make reversible bets.",
        "minutes": 10,
        "format": "read",
        "difficulty": 3,
        "competencies": [DECIDE],
        "roles": ALL_MANAGERS + ["Senior manager"],
        "functions": [],
        "impacts": ["Productivity", "Growth"],
        "body": """## You will rarely have all the facts

Waiting for certainty feels responsible. Often it is the most expensive choice: the team
stalls, the window closes, and the extra information turns out not to change much.

### One-way and two-way doors

Ask first: **can this be undone?**

- A **two-way door** (a pilot, a process trial, a temporary rota) can be reversed at low cost.
  Decide quickly with about 70% of the information you wish you had, and learn from the result.
- A **one-way door** (a senior hire, a contract, closing a service) is costly to reverse.
  Slow down, test assumptions and involve more people.

Most decisions are two-way doors treated as one-way ones.

### Name what would change your mind

Before deciding, write down: "We would choose differently if we learned…". If no realistic
new fact would change the choice, you have enough information. Decide.

### Make the bet explicit

Say what you decided, what you expect to happen, and when you will check. "We'll trial the
new triage for four weeks; we expect waiting times under two days; we'll review on the 30th."
This turns a guess into an experiment and makes changing course a plan rather than a U-turn.

### Separate decision quality from outcome

A good decision can have a bad outcome through bad luck. Review *how* you decided, not just
what happened, or you will learn the wrong lessons.
""",
        "practice": (
            "reflect",
            "Take a decision you are putting off. Is it a one-way or two-way door? Write what "
            "new fact would change your mind, and when you will decide.",
        ),
        "items": [
            (
                "mc",
                "A four-week trial of a new meeting format is…",
                DECIDE,
                "easy",
                [
                    (
                        "A two-way door: decide quickly and review",
                        True,
                        "Right: it is cheap to reverse, so speed beats certainty.",
                    ),
                    (
                        "A one-way door: gather more data first",
                        False,
                        "It can be undone at low cost, so waiting costs more than it saves.",
                    ),
                ],
            ),
            (
                "mc",
                "How do you know you have enough information to decide?",
                DECIDE,
                "hard",
                [
                    (
                        "No realistic new fact would change your choice",
                        True,
                        "Yes: more information is only worth waiting for if it could change the "
                        "decision.",
                    ),
                    (
                        "Everyone involved agrees",
                        False,
                        "Agreement is welcome but it is not the same as sufficient information.",
                    ),
                    (
                        "You have answered every open question",
                        False,
                        "That bar is rarely reached and usually not needed.",
                    ),
                ],
            ),
            (
                "free",
                "Why separate the quality of a decision from its outcome?",
                DECIDE,
                "medium",
                "Because good decisions can turn out badly through luck; judging only outcomes "
                "teaches the wrong lessons.",
            ),
        ],
    },
    {
        "title": "Disagree and commit",
        "summary": "How to argue well before a decision and back it fully afterwards.",
        "minutes": 7,
        "format": "read",
        "difficulty": 3,
        "competencies": [DECIDE, COLLAB],
        "roles": ALL_MANAGERS + ["Senior manager"],
        "functions": [],
        "impacts": ["Productivity"],
        "body": """## Debate before, commitment after

Teams make better decisions when people disagree openly before the decision, and move faster
when everyone backs it afterwards. The failure mode is the reverse: polite silence in the
meeting and quiet resistance outside it.

### Before the decision

- Ask for dissent explicitly: "Who sees it differently?" Silence is not agreement.
- Make it safe: thank the first person who disagrees, especially if they are junior.
- Say who decides and how (consensus, the lead decides after input, a vote). Confusion about
  the method causes most "but I thought we agreed" moments.

### After the decision

Commit means acting as if it were your own choice: explaining it to your team without
"they decided", putting effort into making it work, and raising new evidence through the
proper route rather than the corridor.

### What commitment is not

It does not mean pretending you agreed. You can say "I argued for the other option; we chose
this one, and here is why it can work." That is honest and it is loyal.

### When to reopen

Reopen a decision when new facts appear, not when the same arguments are repeated more
loudly. Agree in advance what would trigger a review.
""",
        "practice": (
            "reflect",
            "Think of a decision you disagreed with. How did you talk about it to your team? "
            "Write how you would explain it now, honestly and in a way that commits.",
        ),
        "items": [
            (
                "mc",
                "You argued against a decision that was made. How do you explain it to your team?",
                COLLAB,
                "medium",
                [
                    (
                        "I argued for another option; we chose this, and here is why it can work",
                        True,
                        "Yes: honest about the debate and committed to the result.",
                    ),
                    (
                        "They decided this; I don't agree but we have to do it",
                        False,
                        "Distancing yourself invites the team to resist it too.",
                    ),
                    (
                        "Say you agreed all along",
                        False,
                        "Commitment does not require pretending; people spot it.",
                    ),
                ],
            ),
            (
                "free",
                "When is it right to reopen a decision?",
                DECIDE,
                "medium",
                "When new facts appear, ideally ones agreed in advance as triggers, not when the "
                "same arguments are repeated.",
            ),
        ],
    },
    {
        "title": "Saying no to good ideas",
        "summary": "Focus means choosing what not to do, and saying so clearly.",
        "minutes": 8,
        "format": "read",
        "difficulty": 3,
        "competencies": [STRATEGY, INFLUENCE],
        "roles": SENIOR,
        "functions": [],
        "impacts": ["Productivity", "Growth"],
        "body": """## Strategy is mostly the list of things you will not do

Bad ideas are easy to refuse. The real test of focus is the steady stream of good ideas, each
worth doing on its own, that together spread a team so thin that nothing important finishes.

### Test each idea against the strategy

Ask three questions:

1. **Does it move one of our priorities?** Name which one. "It's useful" is not enough.
2. **What would we stop to make room?** If the answer is "nothing", the real answer is
   "everything a little".
3. **Is now the right time?** A good idea next quarter may beat a half-done idea now.

### Say no with respect

- Thank the person and name what is good in the idea.
- Explain the priority it would compete with.
- Offer a route: "Let's bring it to the planning review in June" or "Could it fit inside the
  churn project?"

A clear, reasoned no builds more trust than a vague maybe that never happens.

### Keep a "not now" list

Write refused ideas down, with the date and the reason. Review the list each quarter. It
shows people their ideas were heard, and some of them will be right for a later moment.
""",
        "practice": (
            "action",
            "List the new requests your team has taken on in the last month. For each, name the "
            "priority it serves. Choose one to stop or defer and tell the requester why.",
        ),
        "items": [
            (
                "mc",
                "A colleague proposes a useful project that serves none of your priorities. What "
                "do you do?",
                STRATEGY,
                "medium",
                [
                    (
                        "Thank them, explain the priority it would compete with, offer a later "
                        "route",
                        True,
                        "Right: a respectful, reasoned no keeps focus and trust.",
                    ),
                    (
                        "Say yes and fit it in",
                        False,
                        "Yes to everything means everything a little.",
                    ),
                    (
                        "Say you'll think about it and let it fade",
                        False,
                        "A vague maybe costs more trust than a clear no.",
                    ),
                ],
            ),
            (
                "free",
                "Name the three questions for testing an idea against the strategy.",
                STRATEGY,
                "medium",
                "Does it move one of our priorities? What would we stop to make room? Is now the "
                "right time?",
            ),
        ],
    },
    {
        "title": "Connecting team goals to strategy",
        "summary": "Help every person see how their work moves the organisation's priorities.",
        "minutes": 10,
        "format": "exercise",
        "difficulty": 3,
        "competencies": [STRATEGY, INFLUENCE],
        "roles": ALL_MANAGERS,
        "functions": [],
        "impacts": ["Engagement", "Growth", "Customer retention"],
        "body": """## "Why are we doing this?" deserves a good answer

People work harder and decide better when they can see how their work connects to where the
organisation is going. Most strategies never make that last step from the leadership deck to
the team's week. You are the bridge.

### Build the line of sight

Take one organisational priority, for example *cut customer churn by a fifth*, and work down:

1. **What does our team influence?** Maybe how fast complaints are resolved, or how clearly
   invoices are written.
2. **What would good look like in three months?** "Nine in ten billing complaints resolved
   within two days."
3. **What does each person contribute?** Make it specific to their role.

### Say it in their language

Leadership phrases ("drive retention") rarely land. Translate: "When a customer's invoice is
wrong, they start looking at competitors. Every invoice we get right keeps someone with us."

### Check the connection regularly

In team meetings, link a piece of recent work to the priority it served. Ask people to do the
same: "Which priority did this move?" When nobody can answer, either the work or the goal
needs a second look.

### Expect to learn upwards

Teams often spot that a priority is hard to serve in practice. Pass that back up: it is some
of the most valuable strategic information an organisation has.
""",
        "practice": (
            "reflect",
            "Choose one of the organisation's strategic priorities and write its line of sight "
            "for your team: what you influence, what good looks like in three months, and each "
            "person's part.",
        ),
        "items": [
            (
                "free",
                "Describe the three steps for building a line of sight from a priority to a team.",
                STRATEGY,
                "medium",
                "Work out what the team influences, what good looks like in about three months, "
                "and what each person contributes.",
            ),
            (
                "mc",
                "A team says a priority is hard to serve in practice. What do you do with that?",
                STRATEGY,
                "hard",
                [
                    (
                        "Pass it up as strategic information",
                        True,
                        "Yes: front-line friction is some of the most valuable strategic data.",
                    ),
                    (
                        "Explain the priority again more clearly",
                        False,
                        "The problem may be in the priority, not the explanation.",
                    ),
                    (
                        "Keep it in the team to avoid looking negative",
                        False,
                        "Hiding it means the strategy never learns.",
                    ),
                ],
            ),
        ],
    },
    {
        "title": "Building trust across teams",
        "summary": "Small, reliable moves that make other teams want to work with yours.",
        "minutes": 9,
        "format": "read",
        "difficulty": 2,
        "competencies": [COLLAB],
        "roles": ALL_MANAGERS,
        "functions": ["Operations", "Sales", "Customer service"],
        "impacts": ["Customer retention", "Productivity"],
        "body": """## Most problems customers feel sit between teams

A delayed order rarely belongs to one team: sales promised a date, operations planned another,
and finance held the credit check. Fixing that starts with leaders who trust each other enough
to pick up the phone.

### Trust is built in small deposits

- **Do what you said, when you said.** Reliability on small things earns credit for big ones.
- **Share information early**, especially bad news. A problem raised on Monday is a favour; the
  same problem on Friday is a betrayal.
- **Give credit in public** to the other team when a shared result goes well.

### Understand their pressures

Spend half an hour with a peer from a team you depend on. Ask: "What does a good week look like
for you? What do we do that makes your job harder?" You will often find that a small change on
your side removes a large problem on theirs.

### Make the handovers explicit

Most friction lives in handovers. Agree, in writing, what "ready" means when work passes
between your teams, and review it together when things go wrong, without blame.

### Escalate together

When you cannot solve something between you, go to your managers *together* with a shared
description of the problem. Escalating alone turns a shared problem into a dispute.
""",
        "practice": (
            "action",
            "Book 30 minutes with a peer from a team you depend on. Ask what a good week looks "
            "like for them and what your team does that makes it harder. Agree one change.",
        ),
        "items": [
            (
                "mc",
                "You spot a problem that will delay another team's work. When do you tell them?",
                COLLAB,
                "easy",
                [
                    (
                        "Straight away, even before you have a solution",
                        True,
                        "Right: early bad news lets them plan; late bad news breaks trust.",
                    ),
                    (
                        "Once you have fixed it",
                        False,
                        "They lose the time they could have used to adapt.",
                    ),
                    (
                        "Only if they ask",
                        False,
                        "Waiting to be asked is how shared problems become disputes.",
                    ),
                ],
            ),
            (
                "free",
                "How should you escalate a problem you cannot solve with a peer team?",
                COLLAB,
                "medium",
                "Together, with a shared description of the problem, rather than each going to "
                "their own manager alone.",
            ),
        ],
    },
    {
        "title": "Running meetings that decide",
        "summary": "Turn discussion into decisions with a clear question, owner and record.",
        "minutes": 8,
        "format": "read",
        "difficulty": 2,
        "competencies": [DECIDE, COLLAB],
        "roles": ALL_MANAGERS + ["Senior manager"],
        "functions": [],
        "impacts": ["Productivity"],
        "body": """## A meeting without a decision is often an expensive conversation

Many meetings end with "good discussion, let's pick this up next week". Before long the same
topic has had five meetings and no outcome. A few habits fix most of it.

### Put the question on the agenda

Write agenda items as questions: not "Q3 hiring" but "Do we hire two engineers or one engineer
and one analyst in Q3?" A question tells people what to prepare and makes it obvious when the
meeting has answered it.

### Say how the decision will be made

At the start: "Sam decides after hearing everyone" or "we need consensus from the three leads".
It stops the meeting drifting into a vote nobody asked for.

### Hear the quiet voices first

Ask the most junior people, or those who have not spoken, for their view before the most senior
person speaks. Once the boss has spoken, the discussion usually narrows.

### Close with a record

In the last five minutes, read back: the decision, who owns the next action, and by when.
Send it in writing within the hour. If there is no decision, record what is missing and who
will get it.

### Cancel meetings that only share information

If nothing needs deciding or discussing, send a written update instead and give people the
time back.
""",
        "practice": (
            "action",
            "Rewrite the agenda of your next team meeting so every item is a question, and state "
            "how each decision will be made. Close the meeting with a read-back.",
        ),
        "items": [
            (
                "mc",
                "Which agenda item is written to produce a decision?",
                DECIDE,
                "easy",
                [
                    (
                        "Do we move the launch to May or keep April with a smaller scope?",
                        True,
                        "Yes: a question makes preparation and completion obvious.",
                    ),
                    (
                        "Launch update",
                        False,
                        "A topic invites discussion, not a decision.",
                    ),
                    (
                        "Launch: thoughts?",
                        False,
                        "Open-ended prompts tend to produce more meetings.",
                    ),
                ],
            ),
            (
                "free",
                "What three things should the read-back at the end of a meeting contain?",
                DECIDE,
                "easy",
                "The decision, who owns the next action, and by when.",
            ),
        ],
    },
    {
        "title": "Influencing without authority",
        "summary": "Win support from people who do not report to you.",
        "minutes": 11,
        "format": "read",
        "difficulty": 4,
        "competencies": [INFLUENCE, COLLAB],
        "roles": SENIOR + ["Team lead"],
        "functions": ["Sales", "Operations", "Finance"],
        "impacts": ["Growth", "Customer retention"],
        "body": """## Most of what you need is owned by someone else

Budgets, systems, other teams' time: the further you go in leadership, the more your results
depend on people you cannot instruct. Influence is the skill of making it easy and attractive
for them to help.

### Start with their interests

Before you ask, find out what the other person is trying to achieve and what worries them.
Then frame your request in those terms: "This would cut the manual reconciliations your team
does at month end" works better than "we need this for our project".

### Bring a small, specific ask

"Can you lend us an analyst for two days in March to map the data?" is easier to say yes to
than "we'd like your support". Small asks build a track record that makes bigger ones possible.

### Use evidence and a story

Numbers persuade the head; a concrete customer story persuades the heart. Bring both: the cost
of the problem, and one real example of what it looks like.

### Build the coalition before the meeting

Big decisions are rarely won in the meeting itself. Talk to key people one by one beforehand,
hear their objections and adjust. The meeting then confirms what has already been worked out.

### Give before you need

Help others when you can, share credit, make introductions. Influence grows from a record of
being useful, long before the day you need something.
""",
        "practice": (
            "reflect",
            "Pick a request you need to make of someone outside your line. Write their interests, "
            "your small specific ask, and the evidence and story you will bring.",
        ),
        "items": [
            (
                "mc",
                "Which request is most likely to get a yes from a peer's team?",
                INFLUENCE,
                "medium",
                [
                    (
                        "Two days of an analyst in March to map the data, cutting your month-end "
                        "rework",
                        True,
                        "Right: small, specific and framed in their interest.",
                    ),
                    (
                        "Your full support for our programme",
                        False,
                        "Vague asks are easy to agree with and hard to act on.",
                    ),
                    (
                        "An instruction from the director to help us",
                        False,
                        "Borrowed authority wins compliance once and goodwill never.",
                    ),
                ],
            ),
            (
                "free",
                "Why build the coalition before the decision meeting?",
                INFLUENCE,
                "hard",
                "Objections surface and can be addressed one to one, so the meeting confirms a "
                "worked-out proposal instead of becoming the place where it is attacked.",
            ),
        ],
    },
    {
        "title": "Staying steady under pressure",
        "summary": "A 90-second routine to respond instead of react.",
        "minutes": 6,
        "format": "exercise",
        "difficulty": 1,
        "competencies": [SELF],
        "roles": ALL_MANAGERS + ["Senior manager"],
        "functions": [],
        "impacts": ["Engagement"],
        "body": """## Your team reads your face before your words

When a problem lands, people watch how you react. A flash of frustration tells them to hide
the next problem; visible calm tells them it is safe to bring it early. Staying steady is not
about feeling nothing, it is about choosing what you do next.

### The 90-second routine

1. **Notice**: name what you feel, silently. "That's irritation." Naming an emotion reduces its
   grip.
2. **Breathe**: three slow breaths with a longer out-breath than in-breath. It slows your heart
   rate and buys time.
3. **Ask**: one question before any statement. "What do we know so far?"
4. **Decide the next step**, not the whole solution. "Let's get Jo and the customer's order
   history, then decide."

### Prepare for your triggers

Most people have two or three situations that reliably knock them off balance: being
surprised in front of senior people, repeated mistakes, unfairness. Write yours down and
rehearse your first sentence for each.

### Recover well

You will sometimes react badly. Go back within the day: "I was sharp with you this morning.
That wasn't about you. Can we look at it again?" A good repair often builds more trust than
never slipping.
""",
        "practice": (
            "reflect",
            "List your two or three most reliable triggers at work and write the first sentence "
            "you will say the next time each happens.",
        ),
        "items": [
            (
                "free",
                "Describe the four steps of the 90-second routine.",
                SELF,
                "easy",
                "Notice and name the feeling, breathe slowly with a longer out-breath, ask one "
                "question before any statement, and decide only the next step.",
            ),
            (
                "mc",
                "You snapped at a colleague this morning. What now?",
                SELF,
                "medium",
                [
                    (
                        "Go back today, own it, and look at the issue again together",
                        True,
                        "Yes: a prompt repair often builds more trust than never slipping.",
                    ),
                    (
                        "Let it pass; mentioning it makes it bigger",
                        False,
                        "Unrepaired moments teach people to hide problems from you.",
                    ),
                    (
                        "Explain why the pressure justified it",
                        False,
                        "Justifying turns an apology into a defence.",
                    ),
                ],
            ),
        ],
    },
    {
        "title": "Recognising good work specifically",
        "summary": "Recognition that teaches, motivates and costs nothing.",
        "minutes": 6,
        "format": "read",
        "difficulty": 1,
        "competencies": [FEEDBACK],
        "roles": FIRST_LINE,
        "functions": ["Customer service", "Operations"],
        "impacts": ["Engagement", "Customer retention"],
        "body": """## The most under-used tool in management

Ask people what makes them feel valued at work and few say pay first. They say being noticed:
a manager who saw what they did and said so. Recognition is free, takes a minute, and most
leaders do far less of it than they think.

### Make it specific

Compare "Thanks, great work this week" with "The way you walked the customer through the
refund step by step turned an angry call into a renewal." The second tells the person exactly
what to repeat, and tells everyone listening what good looks like.

### Recognise effort and approach, not only results

Results depend partly on luck. Recognising *how* someone worked (preparing carefully, asking
for help early, trying a new approach) encourages the behaviours that produce results over
time.

### Match the setting to the person

Some people love a mention in the team meeting; others would rather hear it privately or in
writing. Ask, or watch how they react, and adjust.

### Make it a habit

Set yourself a small target, such as three specific recognitions a week, and note who received
them. You will quickly see who you overlook: often the quiet, reliable people who keep
everything running.
""",
        "practice": (
            "action",
            "Give three specific recognitions this week, at least one to someone you rarely "
            "recognise. Note what you said and how they responded.",
        ),
        "items": [
            (
                "mc",
                "Why recognise how someone worked, not only the result?",
                FEEDBACK,
                "medium",
                [
                    (
                        "Results depend partly on luck; approach is what they can repeat",
                        True,
                        "Right: recognising approach encourages behaviour that pays off over time.",
                    ),
                    (
                        "Results are not important",
                        False,
                        "Results matter; recognising approach makes them more likely.",
                    ),
                ],
            ),
            (
                "free",
                "Who tends to be overlooked when recognition is not a habit?",
                FEEDBACK,
                "easy",
                "Quiet, reliable people who keep things running without drawing attention.",
            ),
        ],
    },
    {
        "title": "Difficult conversations: opening well",
        "summary": "The first 60 seconds decide whether a hard conversation becomes a fight or a "
        "fix.",
        "minutes": 12,
        "format": "exercise",
        "difficulty": 4,
        "competencies": [FEEDBACK, SELF],
        "roles": ALL_MANAGERS + ["Senior manager"],
        "functions": [],
        "impacts": ["Engagement", "Productivity"],
        "body": """## Most hard conversations go wrong in the first minute

Leaders delay difficult conversations, then open them badly: with a long preamble, a
compliment sandwich, or an accusation. The other person spends the rest of the meeting
defending themselves.

### Prepare three sentences

1. **The issue, in one sentence**: "I want to talk about the last three deadlines on the
   supplier reports."
2. **Why it matters**: "Finance has had to delay the month-end close twice."
3. **Your intent**: "I want to understand what's getting in the way and agree a plan that
   works for you."

Say them within the first minute, then stop talking.

### Avoid the common traps

- **The sandwich** (praise, problem, praise) buries the message; people learn to brace
  whenever you praise them.
- **"Everyone's saying…"** makes it about a hidden jury. Speak for yourself.
- **Diagnosing motives** ("you don't care about deadlines") starts an argument you cannot win.

### Then listen

Ask: "How do you see it?" Expect a different view. Summarise what you heard before you respond.
The solution usually comes from their side of the story.

### End with an agreement

Close with a specific next step, who does what by when, and a date to check in. Write it
down and share it the same day.
""",
        "practice": (
            "reflect",
            "Write the three opening sentences for a difficult conversation you need to have: the "
            "issue, why it matters, and your intent.",
        ),
        "items": [
            (
                "mc",
                "Which opening is best for a conversation about missed deadlines?",
                FEEDBACK,
                "hard",
                [
                    (
                        "I want to talk about the last three report deadlines; finance has had to "
                        "delay the close, and I'd like to understand what's in the way",
                        True,
                        "Yes: issue, impact and intent in one breath, then listen.",
                    ),
                    (
                        "You've been doing great overall, but there's a small thing…",
                        False,
                        "The sandwich buries the message and teaches people to distrust praise.",
                    ),
                    (
                        "People are saying you don't take deadlines seriously",
                        False,
                        "A hidden jury and a claim about motives start a defence, not a "
                        "conversation.",
                    ),
                ],
            ),
            (
                "free",
                "What are the three sentences to prepare before a difficult conversation?",
                FEEDBACK,
                "medium",
                "The issue in one sentence, why it matters, and your intent for the conversation.",
            ),
        ],
    },
    {
        "title": "Growing your successor",
        "summary": "Make yourself replaceable: the surest way to be ready for your next role.",
        "minutes": 10,
        "format": "read",
        "difficulty": 3,
        "competencies": [COACH, STRATEGY],
        "roles": SENIOR,
        "functions": [],
        "impacts": ["Succession", "Engagement"],
        "body": """## A leader nobody can replace is a leader nobody can promote

Organisations hesitate to move people who have no one ready behind them. Growing a successor
is good for your team, for your successor, and for your own career.

### Spot the candidates

Look beyond the best individual performer. Signs of leadership potential include: others go
to them for help, they think about the team's results not just their own, and they learn
quickly from mistakes.

### Give them real leadership work

- Let them **run your team meeting** once a month.
- Send them to a **senior meeting in your place**, briefed and trusted to speak.
- Hand them a **cross-team problem** to solve, with your backing.

Stretch is what develops people; watching you is not enough.

### Share your thinking, not just your tasks

Talk through your decisions: what you weighed, what you were unsure about, what you would do
differently. This is the hidden part of leadership that nobody sees from outside.

### Be open about it

Tell them you see them as a potential successor and what they would need to develop. Agree a
plan with dates. Be honest that it is not a promise: it is an investment you are both making.

### Check readiness regularly

Every quarter, ask: if I left tomorrow, who could step in, and what would they struggle with?
The answer is your development plan for the next three months.
""",
        "practice": (
            "action",
            "Name one potential successor. Choose one piece of real leadership work to hand them "
            "this month and plan the conversation in which you tell them why.",
        ),
        "items": [
            (
                "mc",
                "Which develops a successor most?",
                COACH,
                "medium",
                [
                    (
                        "Sending them to a senior meeting in your place, briefed and trusted",
                        True,
                        "Right: real stretch with backing develops leaders.",
                    ),
                    (
                        "Having them shadow you for a month",
                        False,
                        "Watching helps a little; doing develops far more.",
                    ),
                    (
                        "Sending them on a leadership course",
                        False,
                        "Courses help most alongside real leadership work, not instead of it.",
                    ),
                ],
            ),
            (
                "free",
                "Name two signs of leadership potential beyond individual performance.",
                STRATEGY,
                "medium",
                "Others go to them for help; they think about team results; they learn quickly "
                "from mistakes.",
            ),
        ],
    },
    {
        "title": "Writing a one-page decision memo",
        "summary": "Put a proposal on one page so busy people can decide well.",
        "minutes": 12,
        "format": "exercise",
        "difficulty": 4,
        "competencies": [DECIDE, INFLUENCE],
        "roles": SENIOR + ["Team lead"],
        "functions": ["Finance", "Operations", "Sales"],
        "impacts": ["Productivity", "Growth"],
        "body": """## If it needs a 40-slide deck, the thinking isn't finished

Senior groups make better decisions from a clear page read in silence than from a long
presentation. Writing the page also forces you to find the weak spots in your own argument.

### The structure

1. **The decision needed**, in one sentence, with the date it is needed by.
2. **Background**: only what the reader needs to decide, in three to five lines.
3. **Options**: two or three real ones, including "do nothing", each with cost, benefit and
   main risk.
4. **Recommendation** and why, in plain words.
5. **What would change our mind**: the facts that would make another option better.

### Write for a tired reader

Short sentences. Numbers with units and a base ("churn 15% of 1,200 accounts a year"). No
jargon that needs a glossary. If a sentence can be cut without losing meaning, cut it.

### Test it before it goes

Give the page to someone outside the project and ask them to tell you the decision and the
recommendation in their own words. If they cannot, rewrite the first paragraph.

### Use the meeting to decide

Send the memo ahead, or give five minutes of silent reading at the start. Then spend the
meeting on questions and the decision, not on a presentation of what everyone has just read.
""",
        "practice": (
            "reflect",
            "Draft the first two sections of a one-page memo for a decision you need from your "
            "manager: the decision needed by when, and the background in five lines or fewer.",
        ),
        "items": [
            (
                "free",
                "List the five sections of a one-page decision memo.",
                DECIDE,
                "medium",
                "The decision needed and by when; background; options with cost, benefit and "
                "risk; recommendation; what would change our mind.",
            ),
            (
                "mc",
                "Why include a 'do nothing' option?",
                DECIDE,
                "hard",
                [
                    (
                        "It shows the cost of standing still, the real baseline for every option",
                        True,
                        "Yes: without it, readers cannot see what the change buys.",
                    ),
                    (
                        "To make the recommendation look better by comparison",
                        False,
                        "A straw man weakens trust in the memo; do nothing must be honest.",
                    ),
                ],
            ),
        ],
    },
]
