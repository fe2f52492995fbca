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

/**
 * The Sunday-to-Monday caveat (mackerelio/documents `docs/entry/howto/downtimes.md`): a
 * downtime of 24 hours or more that spans Sunday to Monday is partly ignored. A one-off
 * downtime is checked against its dates; a recurring one may start on any day, so it is
 * warned about whenever it lasts 24 hours or more.
 * @internal
 */
export function _warnOnLongDowntime(scope: IConstruct, start: number, minutes: number | undefined, recurring: boolean): void {
  if (minutes === undefined || Token.isUnresolved(minutes) || minutes < DAY / MINUTE) return;
  if (!recurring && !_spansSundayToMonday(start, minutes)) return;
  const spans = recurring ? 'repeats, so it may span Sunday to Monday' : 'spans Sunday to Monday (Monday 00:00 in some time zone)';
  Annotations.of(scope).addWarningV2('cdk-mackerel:downtimeSundayToMonday',
    `duration is ${minutes} minutes (24 hours or more) and the downtime ${spans}. Mackerel ignores part of such a downtime: `
    + 'when it starts on a Sunday, everything from 24 hours after its start; when it starts on another day, everything from Monday 00:00. '
    + 'Keep downtimes of 24 hours or more from spanning Sunday to Monday, for example with a second downtime that starts on Monday at 00:00');
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
 * `docs/entry/howto/downtimes.md`, "Scope refinement"), so such a monitor is not muted. Only
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
