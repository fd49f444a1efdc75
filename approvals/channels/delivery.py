"""The channels' outbox (issue 23): each reminder (or weekly 督办通报) and channel, once.

``fan_out()`` makes a ``Dispatch`` row for every reminder that reached the inbox and every
channel that should carry it, under a unique key (reminder, channel): run twice, by two workers,
or again after a retry, it makes each row once. Which channels carry which reminders is decided
here and only here (``carries``): a zone's (or its city's) group robots every reminder of the
zone's projects; a 企业微信 application the reminders of people with a 企业微信 user ID who
want them; SMS the leaders' reminders (red items, ``Step.LEADER``) of people with a mobile
number who want them.

``deliver()`` then sends what is due, channel by channel, as the reminders' e-mail is sent
(``approvals.reminders.outbox``): the rows are claimed in the database first (for a channel at a
time, under its row's lock, so that two workers never split one group's digest; a claim lapses
after ``LEASE``, so a worker that died holding one leaves it to the next run), sent as the
channel's messages (a group's digest, a person's card, an SMS: ``digest``), and marked sent, or
pending again after a longer wait (``backoff``: 2, 4, 8 … minutes, so a platform's "too many
messages", 20 a minute a robot, has passed by the next try), or failed after ``MAX_ATTEMPTS``. A failing channel never blocks another: each channel's
failure is its own rows' ``last_error`` (shown on the reminder's page), and the inbox has had
the reminder all along.

With ``CHANNELS_OFFLINE`` (a government network without internet) nothing is fanned out or sent.
Secrets (a webhook's key, a signing or application secret) reach only the platform clients;
an error kept or logged is scrubbed of them (``scrub``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import Profile
from approvals.channels import digest
from approvals.channels.models import GROUP_KINDS, Channel, ChannelKind, Dispatch, SmsProvider
from approvals.channels.platforms import PlatformError
from approvals.models import Bulletin, Delivery, Reminder, Step
from approvals.reminders.ladder import title_parts
from approvals.reminders.outbox import LEASE, MAX_ATTEMPTS, backoff
from zones.models import Zone

logger = logging.getLogger(__name__)

#: How far back ``fan_out`` looks for reminders that reached the inbox: a day's, and the day
#: before's when the worker was down over midnight. A channel added later never receives the
#: reminders made before it was (nor a flood of old ones).
WINDOW = dt.timedelta(days=2)
#: Rows claimed at once for one channel (a digest's: far more than a day's of a zone).
CLAIM_LIMIT = 5000


def offline() -> bool:
    return bool(settings.CHANNELS_OFFLINE)


def zone_ids(channel: Channel) -> list[int]:
    """The zones whose reminders and bulletins a channel carries: its zone, or its city's."""
    if channel.zone_id:
        return [channel.zone_id]
    return list(Zone.objects.filter(city=channel.city).values_list("pk", flat=True))


def carries(channel: Channel):
    """The reminders ``channel`` carries, as a query (the one home of who hears by which
    channel; ``wants`` below is its form for one person's profile)."""
    reminders = Reminder.objects.filter(project__zone_id__in=zone_ids(channel))
    if channel.kind == ChannelKind.WECOM_APP:
        return reminders.filter(recipient__profile__by_wecom=True).exclude(
            recipient__profile__wecom_userid=""
        )
    if channel.kind == ChannelKind.SMS:
        return reminders.filter(step=Step.LEADER, recipient__profile__by_sms=True).exclude(
            recipient__profile__mobile=""
        )
    return reminders


def wants(kind: str, step: str, profile: Profile | None) -> bool:
    """Whether a person with ``profile`` hears of a reminder of ``step`` by a channel of
    ``kind`` (``carries``' form for one reminder; tested to agree)."""
    if kind in GROUP_KINDS:
        return True
    if profile is None:
        return False
    if kind == ChannelKind.WECOM_APP:
        return profile.by_wecom and bool(profile.wecom_userid)
    return step == Step.LEADER and profile.by_sms and bool(profile.mobile)


def fan_out(now: dt.datetime | None = None) -> Counter:
    """Make the rows of the reminders not yet queued for the channels that carry them (those
    that reached the inbox within ``WINDOW``, and not before the channel was added). Returns
    how many rows each kind of channel gained.

    One ``INSERT … SELECT … ON CONFLICT DO NOTHING`` a channel, of ``carries``' query: the
    reminders' ids never reach Python. Reading them and inserting them back with
    ``bulk_create`` took 15.6 s for an ordinary day of a province (50,914 rows) on PostgreSQL
    and 25.1 on SQLite, against 6.5 and 4.0 this way; 424 s against 59 for the first day's
    1.45 million (benchmarks/channels.py, benchmarks/README.md section 25)."""
    now = now or timezone.now()
    made: Counter = Counter()
    if offline():
        return made
    stamp = connection.ops.adapt_datetimefield_value(now)
    table = connection.ops.quote_name(Dispatch._meta.db_table)
    with connection.cursor() as cursor:
        for channel in Channel.objects.filter(enabled=True).order_by("pk"):
            since = max(channel.created_at, now - WINDOW)
            wanted = (
                carries(channel)
                .filter(delivered_at__isnull=False, created_at__gte=since)
                .exclude(Exists(Dispatch.objects.filter(channel=channel, reminder=OuterRef("pk"))))
                .order_by()
                .values("pk")
            )
            sql, params = wanted.query.sql_with_params()
            # "WHERE true": SQLite reads ON CONFLICT after a bare SELECT … FROM (…) as a join's.
            cursor.execute(
                f"INSERT INTO {table} (channel_id, reminder_id, status, attempts, "
                f"next_attempt_at, last_error, created_at) "
                f"SELECT %s, wanted.*, %s, 0, %s, '', %s FROM ({sql}) wanted WHERE true "
                f"ON CONFLICT DO NOTHING",
                [channel.pk, Delivery.PENDING, stamp, stamp, *params],
            )
            made[channel.kind] += max(cursor.rowcount, 0)
    return +made


def due(now: dt.datetime):
    """Pending rows nobody holds a live claim on, whose next attempt is due."""
    return Dispatch.objects.filter(status=Delivery.PENDING, next_attempt_at__lte=now).filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    )


def claim(channel: Channel, now: dt.datetime) -> tuple[list[int], dt.datetime | None]:
    """Take a channel's due rows for ``LEASE``: their ids and the lease's end (the claim's mark:
    rows are marked done only while it is theirs). Nothing when another worker holds the
    channel: on PostgreSQL its row is locked (skipped, not waited for) while claiming; SQLite
    runs one writing transaction at a time (``BEGIN IMMEDIATE``)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            held = (
                Channel.objects.select_for_update(skip_locked=True)
                .filter(pk=channel.pk)
                .order_by()  # not by the zone's name: no lock through an outer join
            )
            if not held.values_list("pk", flat=True):
                return [], None
        ids = list(
            due(now)
            .filter(channel=channel)
            .order_by("pk")
            .values_list("pk", flat=True)[:CLAIM_LIMIT]
        )
        if not ids:
            return [], None
        until = now + LEASE
        Dispatch.objects.filter(pk__in=ids).update(claimed_until=until, attempts=F("attempts") + 1)
    return ids, until


def deliver(now: dt.datetime | None = None, channels: Iterable[Channel] | None = None) -> Counter:
    """Send every row due now, channel by channel; a channel that fails leaves the others to
    go on. Returns how many rows went out, by kind of channel."""
    now = now or timezone.now()
    sent: Counter = Counter()
    if offline():
        return sent
    if channels is None:
        waiting = due(now).values("channel_id")
        channels = Channel.objects.filter(enabled=True, pk__in=waiting).order_by("pk")
    for channel in channels:
        try:
            if count := deliver_channel(channel, now):
                sent[channel.kind] += count
        except Exception as error:  # noqa: BLE001 - one channel's failure is its own
            logger.error(
                "channel %s (%s) failed: %s", channel.pk, channel.kind, scrub(channel, error)
            )
    return sent


def deliver_channel(channel: Channel, now: dt.datetime | None = None) -> int:
    """Claim a channel's due rows and send them as its messages; how many rows went out."""
    now = now or timezone.now()
    ids, until = claim(channel, now)
    if not ids:
        return 0
    rows = claimed_rows(ids)
    sent = 0
    for message, message_ids in messages(channel, rows, now):
        try:
            message()
        except Exception as error:  # noqa: BLE001 - kept on the rows, retried
            failed(channel, message_ids, until, now, error, rows)
        else:
            Dispatch.objects.filter(pk__in=message_ids, claimed_until=until).update(
                status=Delivery.SENT, sent_at=timezone.now(), claimed_until=None, last_error=""
            )
            sent += len(message_ids)
    return sent


@dataclass(frozen=True)
class ReminderData:
    """What the messages use of a claimed row's reminder."""

    recipient_id: int
    recipient_name: str
    subject_type_id: int
    subject_id: int
    step: str
    title: str
    body: str
    link: str
    project_name: str


@dataclass(frozen=True)
class Claimed:
    pk: int
    attempts: int
    reminder_id: int | None
    bulletin_id: int | None
    reminder: ReminderData | None
    bulletin: Bulletin | None


#: The columns ``claimed_rows`` reads, ``ReminderData``'s in its order after the row's own.
_COLUMNS = (
    "pk",
    "attempts",
    "reminder_id",
    "bulletin_id",
    "reminder__recipient_id",
    "reminder__recipient__username",
    "reminder__recipient__first_name",
    "reminder__recipient__last_name",
    "reminder__subject_type_id",
    "reminder__subject_id",
    "reminder__step",
    "reminder__title",
    "reminder__body",
    "reminder__link",
    "reminder__project__name",
)


def claimed_rows(ids: list[int]) -> list[Claimed]:
    """The claimed rows as plain values, in their order: their reminders' model instances (with
    a project's state machine set up in each) were two thirds of an ordinary day's delivery
    (52 of 107 s profiled, benchmarks/README.md section 25)."""
    rows = []
    bulletin_ids = []
    for values in (
        Dispatch.objects.filter(pk__in=ids).order_by("pk").values_list(*_COLUMNS).iterator(2000)
    ):
        pk, attempts, reminder_id, bulletin_id, recipient_id, username, first, last, *rest = values
        reminder = None
        if reminder_id is not None:
            name = f"{first} {last}".strip() or username
            reminder = ReminderData(recipient_id, name, *rest)
        rows.append((pk, attempts, reminder_id, bulletin_id, reminder))
        if bulletin_id is not None:
            bulletin_ids.append(bulletin_id)
    bulletins = Bulletin.objects.select_related("zone").in_bulk(bulletin_ids)
    return [
        Claimed(pk, attempts, reminder_id, bulletin_id, reminder, bulletins.get(bulletin_id))
        for pk, attempts, reminder_id, bulletin_id, reminder in rows
    ]


def failed(channel, ids, until, now, error, rows) -> None:
    """Rows of a message that did not go: pending again after a longer wait, or failed for
    good after ``MAX_ATTEMPTS`` (the reminder stays in the inbox)."""
    text = scrub(channel, error)
    if isinstance(error, PlatformError):
        logger.warning("channel %s (%s): %s", channel.pk, channel.kind, text)
    else:
        logger.error("channel %s (%s) failed: %s", channel.pk, channel.kind, text)
    # Each row's attempts, this one counted (read after the claim that counted it).
    attempts = {row.pk: row.attempts for row in rows if row.pk in set(ids)}
    for tries in set(attempts.values()):
        wait = backoff(tries)
        group = [pk for pk, n in attempts.items() if n == tries]
        Dispatch.objects.filter(pk__in=group, claimed_until=until).update(
            status=Delivery.FAILED if tries >= MAX_ATTEMPTS else Delivery.PENDING,
            next_attempt_at=now + wait,
            claimed_until=None,
            last_error=text[:2000],
        )


def scrub(channel: Channel, error: BaseException | str) -> str:
    """An error's text without the channel's secrets (the clients scrub theirs; this catches
    what another layer's message might carry)."""
    if isinstance(error, str | PlatformError):
        text = str(error)  # the platform's answer, explained in the user's language
    else:
        text = f"{type(error).__name__}: {error}"
    secrets = [channel.webhook.reveal(), channel.secret.reveal()]
    if "key=" in secrets[0] or "access_token=" in secrets[0]:
        secrets.append(secrets[0].split("=", 1)[-1].split("&")[0])
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "••••••")
    return text


# --- the messages ---------------------------------------------------------------------------


def _site() -> str:
    return settings.SITE_URL.rstrip("/")


def _inbox() -> str:
    return reverse("admin:approvals_reminder_changelist")


def _people(user_ids: set[int]) -> dict[int, Profile]:
    return {p.user_id: p for p in Profile.objects.filter(user_id__in=user_ids)}


def scope_name(channel: Channel) -> str:
    return channel.zone.name if channel.zone_id else channel.city


def messages(channel: Channel, rows: list[Claimed], now: dt.datetime):
    """The channel's messages for its claimed rows: (a call sending one, the rows it carries)."""
    bulletins = [row for row in rows if row.bulletin_id]
    reminders = [row for row in rows if row.reminder_id]
    out = []
    for row in bulletins:
        out.append((lambda row=row: send_bulletin(channel, row.bulletin), [row.pk]))
    if not reminders:
        return out
    profiles = _people({row.reminder.recipient_id for row in reminders})
    if channel.kind in GROUP_KINDS:
        day = timezone.localtime(now).date()
        heading = _("Reminders of %(day)s · %(scope)s") % {
            "day": date_format(day, "DATE_FORMAT"),
            "scope": scope_name(channel),
        }
        entries = []
        for row in reminders:
            reminder = row.reminder
            profile = profiles.get(reminder.recipient_id)
            person = None
            if profile is None or profile.in_groups:
                person = digest.Person(
                    reminder.recipient_name,
                    profile.wecom_userid if profile else "",
                    profile.mobile if profile else "",
                )
            entries.append(
                digest.Entry(
                    row.pk,
                    (reminder.subject_type_id, reminder.subject_id),
                    reminder.step,
                    reminder.title,
                    reminder.link,
                    person,
                )
            )
        for part in digest.digest(channel.kind, heading, entries, site=_site(), inbox=_inbox()):
            out.append((lambda part=part: send_part(channel, part), part.dispatch_ids))
    elif channel.kind == ChannelKind.WECOM_APP:
        by_person: dict[int, list[Claimed]] = defaultdict(list)
        for row in reminders:
            by_person[row.reminder.recipient_id].append(row)
        for user_id, mine in by_person.items():
            userid = profiles[user_id].wecom_userid
            out.append((lambda u=userid, m=mine: send_card(channel, u, m), [r.pk for r in mine]))
    else:  # SMS: one a leader a run, however many red items (zones pay per message)
        by_leader: dict[int, list[Claimed]] = defaultdict(list)
        for row in reminders:
            by_leader[row.reminder.recipient_id].append(row)
        for user_id, mine in by_leader.items():
            mobile = profiles[user_id].mobile
            out.append(
                (
                    lambda m=mobile, r=mine: send_sms(channel, m, [x.reminder for x in r]),
                    [r.pk for r in mine],
                )
            )
    return out


def robot(channel: Channel):
    from approvals.channels.platforms.dingtalk import DingtalkRobot
    from approvals.channels.platforms.wecom import WecomRobot

    if channel.kind == ChannelKind.WECOM_ROBOT:
        return WecomRobot(channel.webhook.reveal())
    return DingtalkRobot(channel.webhook.reveal(), channel.secret.reveal())


def send_part(channel: Channel, part: digest.Part) -> None:
    client = robot(channel)
    if channel.kind == ChannelKind.WECOM_ROBOT:
        client.send_markdown(part.text)
        if part.mobiles_in_text:
            try:
                client.send_text(
                    digest.mention_text(part.title), mentioned_mobiles=part.mobiles_in_text
                )
            except PlatformError as error:  # the digest went: its mentions are not worth a second
                logger.warning("channel %s: mentions not sent: %s", channel.pk, error)
    else:
        client.send_markdown(part.title, part.text, at_mobiles=part.mobiles)


def send_card(channel: Channel, userid: str, rows: list[Claimed]) -> None:
    from approvals.channels.platforms.wecom import WecomApp

    app = WecomApp(channel.corp_id, channel.agent_id, channel.secret.reveal())
    titles = [row.reminder.title for row in rows]
    if len(rows) == 1:
        title, link = titles[0], rows[0].reminder.link
        description = rows[0].reminder.body
    else:
        title = _("%(count)d reminders") % {"count": len(rows)}
        link, description = _inbox(), digest.personal(titles)
    app.send_textcard([userid], title, description, f"{_site()}{link}")


def sms_params(reminders: list[ReminderData]) -> dict[str, str]:
    """An SMS template's parameters for a leader's red items of a run: project (the most late
    one's, "and others, N in all" when there are others), what (is late in it), days (late);
    each cut to the 20 characters the providers allow a parameter of a notice."""
    late = [(title_parts(r.step, r.project_name, r.title), r.project_name) for r in reminders]
    (what, days), project = max(late, key=lambda item: item[0][1] or 0)
    if len(reminders) > 1:
        project = _("%(project)s and others, %(count)d in all") % {
            "project": project[:10],
            "count": len(reminders),
        }

    def cut(text: str) -> str:
        return text if len(text) <= 20 else text[:19] + "…"

    return {"project": cut(project), "what": cut(what), "days": str(days or 0)}


def sms_provider(channel: Channel):
    from approvals.channels.platforms import sms

    if channel.sms_provider == SmsProvider.ALIYUN:
        return sms.AliyunSms(channel.access_key_id, channel.secret.reveal(), channel.sign_name)
    if channel.sms_provider == SmsProvider.TENCENT:
        return sms.TencentSms(
            channel.access_key_id, channel.secret.reveal(), channel.sms_app_id, channel.sign_name
        )
    return sms.TestSms()


def send_sms(channel: Channel, mobile: str, reminders: list[ReminderData]) -> None:
    sms_provider(channel).send(mobile, channel.template_code, sms_params(reminders))


# --- the 督办通报 ------------------------------------------------------------------------------


def bulletin_link(bulletin: Bulletin) -> str:
    return f"{_site()}{reverse('admin:approvals_bulletin_download', args=[bulletin.pk])}"


def send_bulletin(channel: Channel, bulletin: Bulletin) -> None:
    """企业微信 groups get the file (uploaded, then sent as a file message); 钉钉 custom robots
    send no files, so its groups get a link to download it from the desk."""
    client = robot(channel)
    name = bulletin.download_name
    if channel.kind == ChannelKind.WECOM_ROBOT:
        with bulletin.file.open("rb") as file:
            media = client.upload_file(name, file.read())
        client.send_file(media)
    else:
        client.send_link(
            name.removesuffix(".docx"),
            _("The week's supervision bulletin, %(start)s to %(end)s.")
            % {"start": bulletin.period_start, "end": bulletin.period_end},
            bulletin_link(bulletin),
        )


def announce_bulletin(bulletin: Bulletin, now: dt.datetime | None = None) -> int:
    """Queue a bulletin for the group robots of its zone (or city), and send it; how many
    groups it reached now (the others are retried like reminders)."""
    now = now or timezone.now()
    if offline():
        return 0
    # A zone's bulletin to the zone's groups, a city's to the city office's.
    if bulletin.zone_id:
        scope = Q(zone_id=bulletin.zone_id)
    else:
        scope = Q(city=bulletin.city, zone__isnull=True)
    channels = list(Channel.objects.filter(scope, enabled=True, kind__in=GROUP_KINDS))
    Dispatch.objects.bulk_create(
        [Dispatch(channel=c, bulletin=bulletin, next_attempt_at=now) for c in channels],
        ignore_conflicts=True,
    )
    return sum(deliver(now, channels).values())


def send_test(channel: Channel) -> None:
    """A short message through the channel now (the channel's page's 发送测试), outside the
    outbox: raises ``PlatformError`` with the platform's answer when it does not go."""
    text = _("ProjectDesk: this channel works (%(scope)s, %(name)s).") % {
        "scope": scope_name(channel),
        "name": channel.name,
    }
    if channel.kind == ChannelKind.WECOM_ROBOT:
        robot(channel).send_markdown(text)
    elif channel.kind == ChannelKind.DINGTALK_ROBOT:
        robot(channel).send_markdown(text, text)
    else:
        raise PlatformError(
            _("A test message goes to a group robot only: check this channel on a reminder."),
            retry=False,
        )
