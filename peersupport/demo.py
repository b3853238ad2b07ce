"""Demo peer groups for `manage.py seed_demo`: two moderated groups with three weeks of kind,
ordinary conversation, one post waiting for a moderator, and a 1:1 conversation.

- "First weeks after discharge" (a topic) and the cohort group of the month Alex joined, both
  moderated by the demo peer specialist (Jo), whose lead is the demo admin.
- Alex, Bea, Chris and Dani (the demo patients) take part under group names; Bea and Dani joined
  recently, so their first posts were read by Jo first (pre-moderation, approved).
- Each group has its welcome post; the topic group a pinned announcement and a pinned post from
  the programme approved by the demo clinician.
- Dani's latest post shares a phone number: it is held, with the screening's reason and evidence,
  in Jo's queue. Nothing in the conversation raises a safety flag.
- Alex and Jo have a 1:1 conversation; Alex's last message, sent three hours ago, is waiting.

Everything goes through the services (screening, pre-moderation, approval, reactions,
messages) and is then moved back to when it happened, as the cessation demo does with its
check-ins. Idempotent: when the topic group exists, nothing is done.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from accounts.models import User
from core.models import Notification, NotificationDelivery
from peersupport import services
from peersupport.models import (
    Conversation,
    Membership,
    ModerationAction,
    PeerGroup,
    PeerLead,
    PeerMember,
    PeerMessage,
    Post,
    Reaction,
)

TOPIC_SLUG = "first-weeks-after-discharge"

PSEUDONYMS = {
    "alex": "Steady Heron",
    "bea": "Blue Kettle",
    "chris": "Slow Tortoise",
    "dani": "New Leaf",
}
# When each joined the programme's groups (days ago): Bea and Dani were discharged recently.
JOINED = {"alex": 20, "chris": 27, "bea": 8, "dani": 3}

WELCOME_TOPIC = (
    "Welcome to First weeks after discharge. This is a place for the weeks after you come home "
    "from hospital, when stopping smoking can feel like one thing too many. Share what helps and "
    "what doesn't, and be kind: everyone here is finding their way. Please don't share phone "
    "numbers or where you live. I'm Jo, a peer support specialist, and I read every post. If you "
    "are in crisis, use 'Get help now' at the top of every page."
)
WELCOME_COHORT = (
    "Welcome to everyone who started Exhale in {month}. You're all at the start together, so "
    "this is a good place to say how the first days are going, ask questions and cheer each "
    "other on. I'm Jo, a peer support specialist: I read every post and I'm here if you'd like "
    "to message me."
)
ANNOUNCEMENT = (
    "Thursday drop-ins: every Thursday from 7 to 8pm I'll be online here to answer questions "
    "about patches, gum, vaping or anything else about stopping smoking. No need to book."
)
PROGRAMME = (
    "What helps people stop smoking: using a stop smoking aid roughly doubles your chances. "
    "Nicotine patches give a steady dose through the day; gum, lozenges or a mouth spray help "
    "with sudden cravings, and using both together works better than either alone. Vaping is far "
    "less harmful than smoking and helps many people quit. One important thing: if you take "
    "clozapine or olanzapine, tell your care team before you stop smoking, because smoking "
    "changes how these medicines work and your dose may need checking."
)
HELD = (
    "If anyone wants to chat outside the app my number is 07700 900462, text me any time. "
    "Evenings are long at the moment."
)


@dataclass(frozen=True)
class Line:
    """One post in the script: `key` names it for replies and reactions."""

    key: str
    group: str  # "topic" or "cohort"
    author: str  # a patient's key, or "jo" for the peer specialist
    at: datetime
    body: str
    parent: str | None = None


def _script(day, hours_ago) -> list[Line]:
    t, c = "topic", "cohort"
    return [
        Line(
            "evenings",
            t,
            "chris",
            day(20, "21:10"),
            "Day 10 without a cigarette. The evenings are the worst – after tea is when I'd "
            "always have one on the back step. Anyone else find evenings hardest?",
        ),
        Line(
            "evenings-alex",
            t,
            "alex",
            day(20, "21:45"),
            "Evenings are when I smoke the most too, and I haven't even got to my quit day yet. "
            "I'm going to try a walk straight after tea so I'm not sat there thinking about it.",
            "evenings",
        ),
        Line(
            "evenings-jo",
            t,
            "jo",
            day(20, "22:05"),
            "Evenings are a really common time for cravings – it's the routine as much as the "
            "nicotine. Changing what you do straight after tea, like a walk or having your cuppa "
            "in a different room, really helps. Well done on ten days.",
            "evenings",
        ),
        Line(
            "evenings-chris",
            t,
            "chris",
            day(19, "09:30"),
            "Tried a walk after tea last night. Still wanted one, but it passed. Thanks both.",
            "evenings",
        ),
        Line(
            "hello-alex",
            c,
            "alex",
            day(19, "12:00"),
            "Hello everyone. Just home from hospital and my quit day is in a couple of days. "
            "Glad there's somewhere to talk about it.",
        ),
        Line(
            "hello-alex-jo",
            c,
            "jo",
            day(19, "13:00"),
            "Welcome! It's a big step to plan a quit day so soon after coming home. Let us know "
            "how it goes – we're all rooting for you.",
            "hello-alex",
        ),
        Line(
            "quit-day",
            t,
            "alex",
            day(17, "08:15"),
            "Quit day today. Patch on at 7. Nervous but ready.",
        ),
        Line(
            "quit-day-chris",
            t,
            "chris",
            day(17, "09:02"),
            "You've got this. The first three days are the hardest, then it really does ease off.",
            "quit-day",
        ),
        Line(
            "quit-day-jo",
            t,
            "jo",
            day(17, "10:20"),
            "Good luck today! Keep the patch on all day and have your gum handy for the strong "
            "moments. Each craving only lasts a few minutes, even when it doesn't feel like it.",
            "quit-day",
        ),
        Line(
            "quit-day-alex",
            t,
            "alex",
            day(17, "21:30"),
            "Made it through day one. Chewed a lot of gum and walked a lot.",
            "quit-day",
        ),
        Line(
            "money",
            t,
            "chris",
            day(14, "18:00"),
            "Worked out I've saved over £200 since I stopped. Treating myself to new trainers.",
        ),
        Line(
            "money-alex",
            t,
            "alex",
            day(14, "18:40"),
            "That's brilliant. I'm putting mine away for driving lessons.",
            "money",
        ),
        Line(
            "slip",
            t,
            "alex",
            day(12, "22:40"),
            "Had two at my cousin's tonight. Feel like I've thrown it all away.",
        ),
        Line(
            "slip-chris",
            t,
            "chris",
            day(11, "08:10"),
            "You haven't thrown anything away. I had four on a bad day in my first week and I'm "
            "still going. One slip isn't the end – just start again today.",
            "slip",
        ),
        Line(
            "slip-jo",
            t,
            "jo",
            day(11, "09:15"),
            "A slip is part of quitting for lots of people, not the end of it. It might help to "
            "plan for the next visit to your cousin's – it's hard when everyone around you is "
            "smoking. What could you do instead when they light up?",
            "slip",
        ),
        Line(
            "slip-alex",
            t,
            "alex",
            day(11, "19:00"),
            "Back on it today. Going to ask my cousin to smoke outside next time, and take gum.",
            "slip",
        ),
        Line(
            "cutting-down",
            t,
            "bea",
            day(7, "20:30"),
            "Hi all. Home from the ward a week now. Not quit yet – my date is next week – but "
            "I'm cutting down. About 12 a day, from 20.",
        ),
        Line(
            "cutting-down-alex",
            t,
            "alex",
            day(7, "21:00"),
            "Welcome! Cutting down first is how I did it too. Twelve from twenty is a big drop.",
            "cutting-down",
        ),
        Line(
            "cutting-down-jo",
            t,
            "jo",
            day(7, "21:30"),
            "Welcome to the group. Cutting down before your quit date is a great start. If you'd "
            "like to talk through patches or other support, message me any time.",
            "cutting-down",
        ),
        Line(
            "mornings",
            c,
            "bea",
            day(6, "10:30"),
            "Does anyone else find mornings hard? First thing with a cup of tea is when I want "
            "one most.",
        ),
        Line(
            "mornings-alex",
            c,
            "alex",
            day(6, "11:15"),
            "Mornings were bad for me. I put the patch on before I even get up, and I have my tea "
            "in the kitchen instead of out the back.",
            "mornings",
        ),
        Line(
            "vaping",
            t,
            "chris",
            day(5, "15:20"),
            "Has anyone tried vaping to stop? My care coordinator said it's much less harmful "
            "than smoking, but I'm not sure about it.",
        ),
        Line(
            "vaping-bea",
            t,
            "bea",
            day(5, "16:00"),
            "I've been wondering too. My friend switched last year and says she doesn't miss "
            "cigarettes at all.",
            "vaping",
        ),
        Line(
            "vaping-jo",
            t,
            "jo",
            day(5, "16:45"),
            "Vaping is far less harmful than smoking and lots of people use it to quit – have a "
            "look at the post from the programme at the top of the group. Your care team can "
            "talk it through with you too.",
            "vaping",
        ),
        Line(
            "vaping-chris",
            t,
            "chris",
            day(4, "10:00"),
            "Thanks. Going to talk to my care coordinator about it on Thursday.",
            "vaping",
        ),
        Line(
            "bad-night",
            t,
            "bea",
            day(4, "22:10"),
            "Bad night. Couldn't sleep and smoked more than I meant to. Trying again tomorrow.",
        ),
        Line(
            "bad-night-alex",
            t,
            "alex",
            day(3, "08:30"),
            "Tomorrow's a new day. Be kind to yourself – you're still cutting down overall.",
            "bad-night",
        ),
        Line(
            "bad-night-jo",
            t,
            "jo",
            day(3, "09:10"),
            "Sleep can be really hard in the first weeks home, and that makes everything harder. "
            "Cutting down is still progress. If the nights stay difficult, do tell your care "
            "team – they would want to know.",
            "bad-night",
        ),
        Line(
            "new-here",
            c,
            "dani",
            day(2, "21:00"),
            "Hi, I'm new. Came home a few days ago. Not sure I'm ready to stop but I want to "
            "think about it.",
        ),
        Line(
            "new-here-bea",
            c,
            "bea",
            day(2, "21:30"),
            "Welcome! I wasn't sure either. Cutting down first helped me feel more ready.",
            "new-here",
        ),
        Line(
            "new-here-jo",
            c,
            "jo",
            day(2, "21:40"),
            "Welcome, and thank you for saying so. There's no rush – thinking about it is a real "
            "first step. You can message me whenever you like.",
            "new-here",
        ),
        Line(
            "two-weeks",
            t,
            "alex",
            day(2, "19:45"),
            "Two weeks and a bit. Food tastes better and I can walk up the hill to the park "
            "without stopping.",
        ),
        Line(
            "two-weeks-chris",
            t,
            "chris",
            day(2, "20:10"),
            "That's the bit nobody tells you about. Well done.",
            "two-weeks",
        ),
        Line(
            "restless",
            c,
            "dani",
            day(1, "20:15"),
            "Does anyone else feel really restless when they go without? I managed the morning "
            "without one today and I was jittery all afternoon.",
        ),
        Line(
            "restless-jo",
            c,
            "jo",
            day(1, "20:50"),
            "Well done for trying a morning without. That restless, jittery feeling is really "
            "common – it's nicotine withdrawal, and it does ease off. Patches or gum can take "
            "the edge off it; your care team or a pharmacist can help you choose.",
            "restless",
        ),
        Line(
            "restless-alex",
            c,
            "alex",
            day(1, "21:10"),
            "I was like that for the first few days. Going for a walk helped me.",
            "restless",
        ),
        Line(
            "two-weeks-bea",
            t,
            "bea",
            day(1, "12:00"),
            "This gives me hope for next week.",
            "two-weeks",
        ),
        Line(
            "hands",
            c,
            "bea",
            # Late last night at the earliest, so it is the newest thread whatever the hour.
            max(hours_ago(5), day(1, "21:40")),
            "Five days until my quit date. Trying to plan what to do with my hands in the "
            "evenings. Any ideas?",
        ),
    ]


# (post, who, kind): encouragement given an hour or so after each post.
REACTIONS = [
    ("evenings", "alex", "strong"),
    ("evenings-alex", "chris", "heart"),
    ("quit-day", "chris", "strong"),
    ("quit-day-alex", "chris", "clap"),
    ("money", "alex", "clap"),
    ("slip", "chris", "hug"),
    ("slip-chris", "alex", "heart"),
    ("slip-alex", "chris", "strong"),
    ("cutting-down", "alex", "heart"),
    ("cutting-down", "chris", "heart"),
    ("mornings", "alex", "hug"),
    ("vaping-bea", "chris", "heart"),
    ("bad-night", "alex", "hug"),
    ("bad-night", "chris", "hug"),
    ("new-here", "alex", "heart"),
    ("new-here", "bea", "heart"),
    ("two-weeks", "chris", "clap"),
    ("two-weeks", "bea", "clap"),
    ("two-weeks", "dani", "strong"),
    ("restless-jo", "dani", "heart"),
    ("restless-alex", "dani", "heart"),
]

# Alex and Jo: (who, days ago, time, text). The last message is Alex's, this morning: waiting.
MESSAGES = [
    (
        "alex",
        19,
        "20:30",
        "Hi Jo, my quit day is coming up. Is it OK to use the patch and the gum together?",
    ),
    (
        "jo",
        18,
        "09:40",
        "Hi Alex, yes – using both is a good idea. The patch gives you a steady amount through "
        "the day and the gum helps with sudden cravings. Your pharmacist or care coordinator can "
        "check the doses with you.",
    ),
    (
        "alex",
        12,
        "23:05",
        "Had a couple of cigarettes tonight at my cousin's. Feeling rubbish about it.",
    ),
    (
        "jo",
        11,
        "09:30",
        "Thanks for telling me, Alex. A slip doesn't undo the days you've done – you've shown "
        "you can go days without one. Shall we think together about visits to your cousin's? "
        "Taking the gum and stepping out for a walk when they light up helps some people.",
    ),
    ("alex", 11, "10:05", "That helps, thanks. I'll try that."),
    ("jo", 11, "10:20", "Any time. I'm glad you messaged."),
]
LAST_MESSAGE = (
    "Hi Jo. Is it normal to still get cravings after two weeks? They're not as strong but "
    "they come out of nowhere."
)


class _Clock:
    """Moves what a service wrote just now back to when it happened in the script."""

    def __init__(self) -> None:
        self.zone = ZoneInfo(settings.TIME_ZONE)
        self.now = timezone.now()
        self.today = timezone.localdate(self.now)

    def day(self, days_ago: int, clock: str) -> datetime:
        hour, minute = (int(part) for part in clock.split(":"))
        return datetime.combine(self.today - timedelta(days=days_ago), time(hour, minute)).replace(
            tzinfo=self.zone
        )

    def hours_ago(self, hours: float) -> datetime:
        return self.now - timedelta(hours=hours)

    def notices_since(self, last_pk: int, at: datetime, *, history: bool = True) -> None:
        """The notices written since `last_pk` were sent at `at`; past ones were read and
        delivered then (emails about weeks-old demo history are not sent now)."""
        if _last_notice_pk() == last_pk:
            return
        notices = Notification.objects.filter(pk__gt=last_pk)
        if history:
            NotificationDelivery.objects.filter(notification__in=notices).update(
                status=NotificationDelivery.Status.SENT,
                attempts=1,
                sent_at=at,
                next_attempt_at=at,
                created_at=at,
            )
            notices.update(created_at=at, read_at=at + timedelta(hours=1))
        else:
            notices.update(created_at=at)


def _last_notice_pk() -> int:
    return Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _ready(user: User, key: str, joined: datetime) -> None:
    if not PeerMember.objects.filter(user=user).exists():
        services.peer_member_set_pseudonym(user=user, pseudonym=PSEUDONYMS[key])
    services.guidelines_accept(user=user)
    PeerMember.objects.filter(user=user).update(
        created_at=joined, updated_at=joined, guidelines_accepted_at=joined
    )


def _join(user: User, group: PeerGroup, joined: datetime) -> None:
    membership = services.group_join(user=user, group=group)
    Membership.objects.filter(pk=membership.pk).update(joined_at=joined)


def _post(line: Line, *, groups, people, jo: User, posts, clock: _Clock) -> Post:
    group, parent = groups[line.group], posts.get(line.parent)
    before, approved_at = _last_notice_pk(), None
    if line.author == "jo":
        created = services.staff_post_create(author=jo, group=group, body=line.body, parent=parent)
    else:
        result = services.post_create(
            author=people[line.author], group=group, body=line.body, parent=parent
        )
        created = result.post
        if created.status == Post.Status.HELD:
            if created.held_reason != services.NEW_MEMBER_REASON:
                # The script is kind and ordinary: screening must publish every line of it.
                raise RuntimeError(f"demo post {line.key!r} was held: {created.held_reason}")
            # A new member's first posts: Jo read and approved each within the quarter hour.
            services.post_approve(post=created, by=jo)
            approved_at = line.at + timedelta(minutes=12)
    Post.objects.filter(pk=created.pk).update(
        created_at=line.at,
        published_at=approved_at or line.at,
        moderated_at=approved_at,
    )
    if approved_at is not None:
        ModerationAction.objects.filter(post=created).update(created_at=approved_at)
    clock.notices_since(before, approved_at or line.at)
    return Post.objects.get(pk=created.pk)


def _staff(jo, group, body, at, clock, **kwargs) -> Post:
    created = services.staff_post_create(author=jo, group=group, body=body, **kwargs)
    Post.objects.filter(pk=created.pk).update(created_at=at, published_at=at)
    return created


def _answers(groups: list[PeerGroup]) -> None:
    """When each thread was first answered by someone other than its author, now that the
    posts carry their real times."""
    for thread in Post.objects.filter(group__in=groups, parent__isnull=True):
        first = (
            Post.objects.filter(parent=thread, status=Post.Status.PUBLISHED)
            .exclude(author=thread.author_id)
            .order_by("published_at")
            .values_list("published_at", flat=True)
            .first()
        )
        Post.objects.filter(pk=thread.pk).update(first_reply_at=first)


def _conversation(alex: User, jo: User, clock: _Clock) -> None:
    conversation = None
    for who, days_ago, at_time, body in MESSAGES:
        at = clock.day(days_ago, at_time)
        before = _last_notice_pk()
        if who == "alex":
            conversation = services.message_send(sender=alex, body=body).conversation
            message = PeerMessage.objects.filter(conversation=conversation).latest("pk")
        else:
            message = services.message_reply(conversation=conversation, by=jo, body=body)
            # Jo read Alex's messages as she answered them.
            PeerMessage.objects.filter(
                conversation=conversation, sender=alex, read_at__gt=at
            ).update(read_at=at)
        PeerMessage.objects.filter(pk=message.pk).update(
            created_at=at, read_at=at + timedelta(minutes=30) if who == "jo" else None
        )
        clock.notices_since(before, at)
    at = clock.hours_ago(3)
    before = _last_notice_pk()
    message = services.message_send(sender=alex, body=LAST_MESSAGE).message
    PeerMessage.objects.filter(pk=message.pk).update(created_at=at)
    clock.notices_since(before, at, history=False)
    Conversation.objects.filter(pk=conversation.pk).update(
        created_at=clock.day(MESSAGES[0][1], MESSAGES[0][2]),
        last_message_at=at,
        waiting_since=at,
        reply_due_at=services.reply_due_for(at),
        breach_notified_at=None,
    )


def seed(context: dict, stdout) -> None:
    if PeerGroup.objects.filter(slug=TOPIC_SLUG).exists():
        stdout.write("peersupport: demo groups already there")
        return
    users = context["users"]
    jo, clinician, admin = users["peer"], users["clinician"], users["admin"]
    people = {patient.email.split("@")[0]: patient for patient in context["patients"]}
    clock = _Clock()
    month: date = (clock.today - timedelta(days=JOINED["alex"])).replace(day=1)

    started = clock.day(28, "10:00")
    topic = PeerGroup.objects.create(
        name="First weeks after discharge",
        slug=TOPIC_SLUG,
        kind=PeerGroup.Kind.TOPIC,
        description="For the first weeks at home after a stay in hospital: stopping smoking "
        "when everything else is changing too.",
        created_at=started,
    )
    cohort = PeerGroup.objects.create(
        name=f"Joined in {month:%B %Y}",
        slug=f"joined-{month:%Y-%m}",
        kind=PeerGroup.Kind.COHORT,
        cohort_month=month,
        description=f"Everyone who started Exhale in {month:%B}: the first days, together.",
        created_at=started,
    )
    groups = {"topic": topic, "cohort": cohort}
    for group in groups.values():
        group.moderators.add(jo)
    PeerLead.objects.get_or_create(peer=jo, defaults={"lead": admin})

    for key, days_ago in JOINED.items():
        joined = clock.day(days_ago, "09:00")
        _ready(people[key], key, joined)
        _join(people[key], topic, joined)
        if key != "chris":  # Chris started the month before
            _join(people[key], cohort, joined + timedelta(minutes=5))

    _staff(jo, topic, WELCOME_TOPIC, clock.day(28, "10:05"), clock, kind=Post.Kind.WELCOME)
    _staff(
        jo,
        cohort,
        WELCOME_COHORT.format(month=f"{month:%B}"),
        clock.day(28, "10:10"),
        clock,
        kind=Post.Kind.WELCOME,
    )
    _staff(
        jo,
        topic,
        PROGRAMME,
        clock.day(26, "11:00"),
        clock,
        kind=Post.Kind.PROGRAMME,
        approved_by=clinician,
        approved_on=clock.today - timedelta(days=30),
        pinned=True,
    )
    _staff(
        jo,
        topic,
        ANNOUNCEMENT,
        clock.day(21, "12:00"),
        clock,
        kind=Post.Kind.ANNOUNCEMENT,
        pinned=True,
    )

    posts: dict[str, Post] = {}
    for line in sorted(_script(clock.day, clock.hours_ago), key=lambda line: line.at):
        posts[line.key] = _post(line, groups=groups, people=people, jo=jo, posts=posts, clock=clock)
    for key, who, kind in REACTIONS:
        reaction = services.reaction_add(member=people[who], post=posts[key], kind=kind)
        at = min(posts[key].created_at + timedelta(minutes=50), clock.hours_ago(1))
        Reaction.objects.filter(pk=reaction.pk).update(created_at=at)
    _answers(list(groups.values()))

    # Dani shares a phone number: held by screening, waiting in Jo's queue.
    at = clock.hours_ago(2)
    before = _last_notice_pk()
    held = services.post_create(author=people["dani"], group=cohort, body=HELD).post
    Post.objects.filter(pk=held.pk).update(created_at=at)
    clock.notices_since(before, at, history=False)

    _conversation(people["alex"], jo, clock)
    stdout.write(
        f"peersupport: 2 groups, {Post.objects.filter(group__in=groups.values()).count()} posts "
        "(one waiting for a moderator), a 1:1 conversation"
    )
