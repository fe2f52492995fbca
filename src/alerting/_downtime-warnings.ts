import { Annotations, Duration, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { _RenderedRecurrence, _StartGaps, _startGaps } from './_recurrence';
import { _SplitScopes } from './_scopes';
import { IMonitor, MonitorBase } from '../monitors/monitor-base';
import { MonitorScope } from '../monitors/scope';

const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
/** 1970-01-05T00:00:00Z, the first Monday 00:00 UTC of the epoch. */
const FIRST_MONDAY = 4 * DAY;
/** Time zones run from UTC-12 to UTC+14: Monday 00:00 is somewhere between these times UTC. */
const EARLIEST_MONDAY_OFFSET = -14 * HOUR;
const LATEST_MONDAY_OFFSET = 12 * HOUR;

/**
 * Whether a downtime from `start` (epoch seconds) lasting `minutes` contains Monday 00:00 in
 * any time zone. Mackerel does not say in which time zone its weekdays are counted, so every
 * zone is assumed possible.
 * @internal
 */
export function _spansSundayToMonday(start: number, minutes: number): boolean {
  const end = start + minutes * MINUTE;
  for (let monday = FIRST_MONDAY + Math.floor((start - FIRST_MONDAY) / WEEK) * WEEK - WEEK; monday + EARLIEST_MONDAY_OFFSET < end; monday += WEEK) {
    if (monday + LATEST_MONDAY_OFFSET > start) return true;
  }
  return false;
}

/** The weekdays in the API's spelling, Sunday first. */
const WEEKDAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
/** Every UTC offset a time zone has is a whole number of quarter hours. */
const ZONE_STEP = 15 * MINUTE;

/**
 * Whether a window of a recurring downtime from `start` (epoch seconds) lasting `minutes` may
 * contain Monday 00:00 in some time zone. Windows a whole number of weeks apart (weekly ones, and
 * hourly or daily ones every so many weeks) start on the same weekday at the same time, so a weekly
 * recurrence on given weekdays is checked, in every time zone, on each of them at the time of day
 * of `start`, and an hourly or daily one every whole number of weeks as a one-off from `start`.
 * Any other may start on any day (a monthly or yearly date moves through the weekdays), as may a
 * weekly one without weekdays, whose weekday Mackerel does not document, or with a deploy-time one.
 * @internal
 */
export function _recurrenceMaySpanSundayToMonday(start: number, minutes: number, recurrence: _RenderedRecurrence): boolean {
  const { type, interval, weekdays } = recurrence;
  if (Token.isUnresolved(interval)) return true;
  if ((type === 'hourly' && interval % (WEEK / HOUR) === 0) || (type === 'daily' && interval % (WEEK / DAY) === 0)) {
    return _spansSundayToMonday(start, minutes);
  }
  if (type !== 'weekly' || weekdays === undefined || Token.isUnresolved(weekdays) || weekdays.length === 0) return true;
  const days = weekdays.map((day) => (Token.isUnresolved(day) ? -1 : WEEKDAY_NAMES.indexOf(day)));
  if (days.includes(-1)) return true;
  // The weekday is Mackerel's, in a time zone it does not name: each is tried, with Monday 00:00 in that zone.
  for (let offset = -12 * HOUR; offset <= 14 * HOUR; offset += ZONE_STEP) {
    const timeOfDay = (((start + offset) % DAY) + DAY) % DAY;
    for (const day of days) {
      const from = day * DAY + timeOfDay; // from Sunday 00:00 of its week
      const monday = from < DAY ? DAY : 8 * DAY;
      if (monday < from + minutes * MINUTE) return true;
    }
  }
  return false;
}

/**
 * The Sunday-to-Monday caveat of Mackerel's downtime guide (mackerelio/documents
 * `content/docs/entry/howto/downtimes.md`, "Notes" under "Downtime period", as of commit cfecb765;
 * the Japanese `content/ja/docs/entry/howto/downtimes.md` of that commit says the same): "If a
 * downtime period is 24 hours or longer and spans from Sunday to Monday, a portion of the downtime
 * will become invalid, depending on the start time. The invalid portion will be either after 24
 * hours from the start, or after Monday 0:00 (midnight), whichever comes first based on the start
 * day." Earlier versions (commit 3811755e and the 2019 text) cut only a downtime that starts on a
 * Sunday and exceeds 24 hours; the newer one replaced that. A one-off downtime is checked against
 * its dates, a recurring one against the days its windows may start on
 * (`_recurrenceMaySpanSundayToMonday`).
 * @internal
 */
export function _warnOnLongDowntime(
  scope: IConstruct, start: number, minutes: number | undefined, recurrence: _RenderedRecurrence | undefined,
): void {
  // Exactly 24 hours loses nothing: cut 24 hours after a Sunday start, or from Monday 00:00 when
  // it starts on Monday to Saturday, which 24 hours from Saturday does not reach. The guide's own
  // advice is for a duration that "exceeds 24 hours".
  if (minutes === undefined || Token.isUnresolved(minutes) || minutes <= DAY / MINUTE) return;
  const spans = recurrence === undefined ? _spansSundayToMonday(start, minutes) : _recurrenceMaySpanSundayToMonday(start, minutes, recurrence);
  if (!spans) return;
  const what = recurrence !== undefined ? 'repeats, so it may span Sunday to Monday' : 'spans Sunday to Monday (Monday 00:00 in some time zone)';
  Annotations.of(scope).addWarningV2('cdk-mackerel:downtimeSundayToMonday',
    `duration is ${minutes} minutes (over 24 hours) and the downtime ${what}. Mackerel ignores part of such a downtime: `
    + 'when it starts on a Sunday, everything from 24 hours after its start; when it starts on another day, everything from Monday 00:00. '
    + 'Keep downtimes over 24 hours from spanning Sunday to Monday, for example with a second downtime that starts on Monday at 00:00');
}

/**
 * Warns about a downtime already over when synthesized: a one-off one that ended (`start` plus
 * its duration) before synthesis, or a recurring one whose last window, which starts by `until`,
 * ended by then. Mackerel keeps it, but it mutes nothing. A warning, not an error: it depends
 * on the time of synthesis, and an app that synthesized yesterday must still synthesize today.
 * `start` is in epoch seconds.
 * @internal
 */
export function _warnIfOver(scope: IConstruct, start: number, minutes: number | undefined, recurrence: _RenderedRecurrence | undefined): void {
  if (minutes === undefined || Token.isUnresolved(minutes)) return;
  // A recurrence without `until` repeats for ever.
  if (recurrence !== undefined && recurrence.until === undefined) return;
  const until = recurrence?.until;
  const end = (until ?? start) + minutes * MINUTE;
  const now = Math.floor(Date.now() / 1000);
  if (end > now) return;
  const iso = (seconds: number) => JSON.stringify(new Date(seconds * 1000).toISOString());
  const what = until === undefined ? `start ${iso(start)}` : `recurrence.until ${iso(until)} (no window starts after it)`;
  Annotations.of(scope).addWarningV2('cdk-mackerel:downtimeOver',
    `${what} plus duration ${minutes} minutes ends at ${iso(end)}, before this synthesis (${iso(now)}): `
    + `the downtime is over and mutes nothing. ${until === undefined ? 'Move start to the time to mute' : 'Set a later until, or none to repeat for ever'}, `
    + 'or remove the downtime');
}

/**
 * Warns about a recurring downtime whose windows last until the next one starts, or beyond: they
 * join into one mute without a break (for ever when every window reaches the next). Mackerel
 * documents no rule against it, so it is legal; it is what an hourly recurrence with a 2-hour
 * duration or a daily one with 25 hours does. Only what is sure at synth is warned about
 * (`_startGaps`), and not when `until` may leave room for one window only. `start` is in epoch seconds.
 * @internal
 */
export function _warnOnOverlap(scope: IConstruct, start: number, minutes: number | undefined, recurrence: _RenderedRecurrence | undefined): void {
  if (recurrence === undefined || minutes === undefined || Token.isUnresolved(minutes)) return;
  const gaps = _startGaps(recurrence, start);
  if (gaps === undefined) return;
  const reach = gaps.shortest ?? gaps.longest;
  if (minutes < reach) return;
  // Hourly to yearly starts begin with `start`. A weekly one's first start may come up to a whole
  // repetition after it (the weekday of `start` in Mackerel's time zone, which is not known, may be none
  // of weekdays), so `until` must leave that much room too before two starts are sure to join.
  const firstWithin = recurrence.type === 'weekly' ? recurrence.interval * WEEK : 0;
  if (recurrence.until !== undefined && recurrence.until < start + firstWithin + reach * MINUTE) return;
  const human = (m: number) => Duration.minutes(m).toHumanString();
  const lasting = recurrence.until === undefined ? 'for ever' : 'until its last window ends';
  const what = minutes >= gaps.longest
    ? `at least the ${human(gaps.longest)} between two starts of recurrence ${describeRecurrence(recurrence)}: every window lasts until the next one `
      + `starts, so the downtime mutes its monitors without a break, ${lasting}`
    : `at least the ${human(reach)} between the closest two starts of recurrence ${describeRecurrence(recurrence)}${closestStarts(gaps)}: `
      + 'those windows last until the next one starts and join into one mute, longer than duration says';
  Annotations.of(scope).addWarningV2('cdk-mackerel:downtimeOverlap',
    `duration ${minutes} minutes is ${what}. Keep duration under ${human(reach)}, or use a one-off downtime for one long window`);
}

/** Where the calendar puts the closest two starts, as the warning names them: `, such as <ISO> and <ISO>`. */
function closestStarts(gaps: _StartGaps): string {
  if (gaps.closest === undefined) return '';
  const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
  return `, such as ${iso(gaps.closest.first)} and ${iso(gaps.closest.next)}`;
}

/**
 * A recurrence as a warning shows it: its type and interval, its weekdays (a deploy-time value
 * said as such, not as token text) and its until as an ISO date, not epoch seconds.
 */
function describeRecurrence(recurrence: _RenderedRecurrence): string {
  const parts = [`${recurrence.type}, interval ${recurrence.interval}`];
  const weekdays = recurrence.weekdays;
  if (weekdays !== undefined) {
    parts.push(Token.isUnresolved(weekdays) || weekdays.some((day) => Token.isUnresolved(day))
      ? 'weekdays known at deploy time' : `weekdays ${weekdays.join(', ')}`);
  }
  if (recurrence.until !== undefined) parts.push(`until ${new Date(recurrence.until * 1000).toISOString()}`);
  return `(${parts.join('; ')})`;
}

/**
 * Warnings about legal but risky scopes: none at all (the downtime mutes every monitor), and
 * services together with roles (Mackerel ANDs them, and asks not to combine them for
 * monitors tied to no service).
 * @internal
 */
export function _warnOnScopes(scope: IConstruct, included: _SplitScopes): void {
  if (!included.serviceScopes && !included.roleScopes && !included.monitorScopes) {
    Annotations.of(scope).addWarningV2('cdk-mackerel:downtimeWithoutScope',
      'scopes and monitors are both empty, so the downtime mutes every monitor of the organization (but those excluded) while it lasts. '
      + 'Give scopes or monitors to narrow it, or acknowledge this warning if that is intended');
  }
  if (included.serviceScopes && included.roleScopes) {
    Annotations.of(scope).addWarningV2('cdk-mackerel:downtimeServiceAndRole',
      'scopes has both services and roles: Mackerel ANDs them, and monitors tied to no service (expression monitors, external HTTP '
      + 'monitors without a service) are then not muted as expected; Mackerel asks not to combine the two for such monitors. '
      + 'Use one kind, or a separate downtime for those monitors');
  }
}

/**
 * Warns about each monitor of `monitors` that lies, at synth, in a service outside every service
 * and role of `scopes`: Mackerel ANDs a downtime's scope kinds (mackerelio/documents
 * `content/docs/entry/howto/downtimes.md`, "Scope refinement"), so such a monitor is not muted. Only
 * what is known at synth is compared (`MonitorBase._knownService`): a scope whose name is a token
 * of unknown value may be any service, and an imported monitor, or one whose service is not
 * known, is left alone.
 * @internal
 */
export function _warnOnMonitorsOutsideScopes(scope: IConstruct, scopes: MonitorScope[] | undefined, monitors: IMonitor[] | undefined): void {
  if (!scopes || scopes.length === 0 || !monitors) return;
  const services = new Set<string>();
  for (const s of scopes) {
    if (s._knownName === undefined) return;
    services.add(s._knownName.split(':')[0]);
  }
  const shownScopes = scopes.map((s) => s._knownName).join(', ');
  monitors.forEach((monitor, i) => {
    const known = monitor instanceof MonitorBase ? monitor._knownService : undefined;
    if (known === undefined || services.has(known.name)) return;
    // A host may have roles in several services, and Mackerel does not say whether a host alert then matches them all.
    const [tie, unmuted] = known.byScopes
      ? ['its scopes lie in service', 'does not mute this monitor (but perhaps on a host that also has a role in scopes)']
      : ['it belongs to service', 'does not mute this monitor'];
    Annotations.of(scope).addWarningV2('cdk-mackerel:downtimeMonitorOutsideScopes',
      `monitors[${i}] ${monitor.node.path}: ${tie} ${JSON.stringify(known.name)}, outside every service and role of scopes (${shownScopes}). `
      + `Mackerel ANDs a downtime's monitors with its scopes, so the downtime ${unmuted}. Add its service (or role) to scopes, `
      + 'or mute it with a separate downtime');
  });
}
