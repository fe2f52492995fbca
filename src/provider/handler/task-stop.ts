/**
 * ECS task stops on Mackerel's graphs (`TaskStopAnnotations`). An EventBridge rule sends each
 * matching "ECS Task State Change" event, wrapped with where to mark it, to a FIFO queue that
 * hands the stops here one after another. Stops of one ECS service close together (a
 * crash loop, a failed rollout) are merged into one annotation, so that ten tasks crashing at
 * once draw one mark, not ten: Mackerel has no conditional update, so the merge (read, then
 * write) is right only because the queue never hands over two stops of a construct at once.
 *
 * EventBridge delivers at least once and the queue hands a failed stop over again, so the same
 * stop may arrive twice: an annotation that already lists the task is left as it is. A repeat of
 * a stop whose line was already pushed out of a long description (counted in its first line
 * only) is counted again: the annotation, the only record of the stops, holds 1024 characters,
 * not every task of a long crash loop, and the stops pushed out are the oldest, so that by its
 * time a repeat of one cannot be told from a new stop that arrives late.
 */
import { isNotFound } from './client';
import { deepEqual } from './convert';
import { RequestContext, segment } from './resource';
import { _characterCount, _shortened } from '../../_text';
import { _GRAPH_ANNOTATION_LIMITS, _TASK_STOPPED_EVENT, _TaskStoppedSettings } from '../_properties';

const { title: MAX_TITLE, description: MAX_DESCRIPTION } = _GRAPH_ANNOTATION_LIMITS;

/** What the rule's input transformer sends: the construct's settings and the event's `detail`. */
export interface TaskStoppedInput extends _TaskStoppedSettings {
  readonly detail: TaskStateDetail;
}

/** The fields of an ECS task state change event's `detail` that the annotation shows. */
export interface TaskStateDetail {
  readonly taskArn?: string;
  readonly group?: string;
  readonly lastStatus?: string;
  readonly stopCode?: string;
  readonly stoppedReason?: string;
  readonly stoppingAt?: string;
  readonly stoppedAt?: string;
  readonly containers?: ReadonlyArray<{ readonly name?: string; readonly exitCode?: number; readonly reason?: string }>;
}

interface Annotation {
  readonly id: string;
  readonly title: string;
  readonly description?: string;
  readonly from: number;
  readonly to: number;
  readonly service: string;
  readonly roles?: string[];
}

/** Whether a Lambda event is the input of a `TaskStopAnnotations` rule. */
export function isTaskStoppedInput(event: unknown): event is TaskStoppedInput {
  return typeof event === 'object' && event !== null && (event as { cdkMackerel?: unknown }).cdkMackerel === _TASK_STOPPED_EVENT;
}

/** What was done with a stop, for the log and the tests. */
export type TaskStopOutcome = 'posted' | 'merged' | 'already-marked' | 'not-stopped';

export async function annotateTaskStop(ctx: Pick<RequestContext, 'client' | 'log'>, input: TaskStoppedInput): Promise<TaskStopOutcome> {
  const detail = input.detail ?? {};
  if (detail.lastStatus !== 'STOPPED') return 'not-stopped';
  const stop = describeStop(detail);
  const log = ctx.log.with({ task: stop.taskId, ecsService: stop.group, service: input.service });
  const window = Math.max(0, Math.floor(Number(input.mergeWindowSeconds) || 0));
  const roles = input.roles && input.roles.length > 0 ? [...input.roles] : undefined;

  const query = `service=${segment(input.service)}&from=${stop.time - window}&to=${stop.time + window}`;
  const listed = await ctx.client.request<{ graphAnnotations?: Annotation[] }>('GET', `/api/v0/graph-annotations?${query}`);
  const ours = (listed?.graphAnnotations ?? [])
    .filter((a) => parseTitle(a.title)?.group === shownGroup(stop.group) && sameRoles(a.roles, roles))
    .sort((a, b) => b.to - a.to);
  // A stop without a task ID cannot be told from another such stop: it is never taken for a repeat.
  if (stop.taskId !== undefined && ours.some((a) => (a.description ?? '').includes(`task ${stop.taskId};`))) {
    log.info('the stop is already on the graphs (a repeated event)');
    return 'already-marked';
  }
  const joined = window > 0 ? ours[0] : undefined;
  if (joined) {
    const count = (parseTitle(joined.title)?.count ?? 1) + 1;
    // The title gives the newest stop's cause: a stop that arrives late (no order is kept) leaves the cause as it is.
    const body = {
      title: stop.time >= joined.to ? title(count, stop) : recount(joined.title, count),
      description: description(inTimeOrder((joined.description ?? '').split('\n').filter((l) => l !== ''), stop.line)),
      from: Math.min(joined.from, stop.time),
      to: Math.max(joined.to, stop.time),
      service: input.service,
      ...(roles ? { roles } : {}),
    };
    try {
      await ctx.client.request('PUT', `/api/v0/graph-annotations/${segment(joined.id)}`, body);
      log.info('task stop merged into a graph annotation', { id: joined.id, stops: count });
      return 'merged';
    } catch (e) {
      // Deleted in Mackerel meanwhile: mark this stop on its own.
      if (!isNotFound(e)) throw e;
    }
  }
  const body = {
    title: title(1, stop),
    description: description([stop.line]),
    from: stop.time,
    to: stop.time,
    service: input.service,
    ...(roles ? { roles } : {}),
  };
  // Not repeated when Mackerel may have made it (a lost answer, a 5xx): the handler fails, and
  // the queue hands the stop over again, which finds it marked, or posts it.
  const out = await ctx.client.request<{ id?: unknown }>('POST', '/api/v0/graph-annotations', body);
  log.info('task stop posted as a graph annotation', { id: out?.id });
  return 'posted';
}

interface Stop {
  /** The task's ID, the last part of its ARN; undefined when the event has no ARN. */
  readonly taskId?: string;
  /** The ECS service (`service:<name>`), or the task's group otherwise. */
  readonly group: string;
  /** Epoch seconds. */
  readonly time: number;
  /** A short cause for the title. */
  readonly cause: string;
  /** One line of the description. */
  readonly line: string;
}

function describeStop(detail: TaskStateDetail): Stop {
  const taskId = detail.taskArn ? detail.taskArn.split('/').pop() || undefined : undefined;
  const group = detail.group ?? 'unknown group';
  const parsed = Date.parse(detail.stoppedAt ?? detail.stoppingAt ?? '');
  const time = Math.floor((Number.isNaN(parsed) ? Date.now() : parsed) / 1000);
  // The containers that say why: a non-zero exit or a reason (OutOfMemoryError, CannotPullContainerError).
  const containers = (detail.containers ?? [])
    .filter((c) => (c.exitCode !== undefined && c.exitCode !== null && c.exitCode !== 0) || c.reason)
    .map((c) => [`${c.name ?? 'a container'}`, c.exitCode !== undefined && c.exitCode !== null ? `exited ${c.exitCode}` : 'stopped', c.reason ? `(${c.reason})` : '']
      .filter((part) => part !== '').join(' '))
    .map(oneLine);
  const reason = oneLine(detail.stoppedReason ?? detail.stopCode ?? 'stopped');
  const cause = containers[0] ?? reason;
  const at = new Date(time * 1000).toISOString().replace('.000Z', 'Z');
  const line = [`${at} task ${taskId ?? 'unknown'}`, `${oneLine(detail.stopCode ?? 'no stop code')}: ${reason}`, ...containers].join('; ');
  return { taskId, group, time, cause, line };
}

/**
 * A text of ECS's (a reason may carry a runtime's error over several lines) on one line: each
 * stop is one line of the description, and a line break would split it in two.
 */
function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]\s*/g, ' ').trim();
}

const TITLE = /^(?:(\d+) ECS tasks|ECS task) stopped in (\S+): /;

/** The group and stop count of an annotation this module wrote, or undefined for any other. */
function parseTitle(text: string): { readonly group: string; readonly count: number } | undefined {
  const match = TITLE.exec(text ?? '');
  return match ? { group: match[2], count: match[1] ? Number(match[1]) : 1 } : undefined;
}

function title(count: number, stop: Stop): string {
  return _shortened(`${titleStart(count, stop.group)}${stop.cause}`, MAX_TITLE);
}

function titleStart(count: number, group: string): string {
  return `${count > 1 ? `${count} ECS tasks` : 'ECS task'} stopped in ${shownGroup(group)}: `;
}

/** Room in the title for the cause, at the least, after the count and the ECS service. */
const MIN_CAUSE = 40;
/** The longest title start: a count of six digits. */
const LONGEST_START = `${'9'.repeat(6)} ECS tasks stopped in : `.length;

/**
 * The ECS service as the title shows it, which is also how a later stop finds the annotation:
 * cut where a long name (ECS allows 255 characters) would leave the title no room for the
 * cause, or push its start past Mackerel's 250 characters, where it could not be read back.
 * A group read back from a title is already cut, and stays as it is.
 */
function shownGroup(group: string): string {
  return _shortened(group, MAX_TITLE - LONGEST_START - MIN_CAUSE);
}

/** A title of this module with a new count, and its cause as it was. */
function recount(text: string, count: number): string {
  return _shortened(text.replace(TITLE, (_whole, _count, group: string) => titleStart(count, group)), MAX_TITLE);
}

/** The lines with the stop's line before the first stop of a later time (the description is oldest first). */
function inTimeOrder(lines: string[], line: string): string[] {
  const at = lines.findIndex((l) => STOP_LINE.test(l) && l.slice(0, STOP_TIME_LENGTH) > line.slice(0, STOP_TIME_LENGTH));
  return at < 0 ? [...lines, line] : [...lines.slice(0, at), line, ...lines.slice(at)];
}

/** The first line of a description whose oldest stops were dropped, as `description` writes it. */
const EARLIER = /^\((\d+) earlier stops? not listed\)$/;

/** A stop's line, as `describeStop` writes it: its time, then its task. */
const STOP_LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ task /;
/** The length of the time a stop's line starts with, which sorts as text. */
const STOP_TIME_LENGTH = '2006-01-02T15:04:05Z'.length;

/**
 * The stops, one a line, oldest first; when they no longer fit, the oldest are dropped (the
 * title keeps the count) and a first line says how many. Any other line (a person's note) is
 * kept where it is, and is not counted as a stop when it has to go.
 */
function description(lines: string[]): string {
  let dropped = 0;
  let kept: string[] = [];
  for (const line of lines) {
    const earlier = EARLIER.exec(line);
    if (earlier) dropped += Number(earlier[1]);
    else kept.push(_shortened(line, MAX_DESCRIPTION));
  }
  const render = () => [...(dropped > 0 ? [`(${dropped} earlier ${dropped === 1 ? 'stop' : 'stops'} not listed)`] : []), ...kept].join('\n');
  while (_characterCount(render()) > MAX_DESCRIPTION && kept.length > 1) {
    if (STOP_LINE.test(kept[0])) dropped++;
    kept = kept.slice(1);
  }
  return _shortened(render(), MAX_DESCRIPTION);
}

function sameRoles(a: string[] | undefined, b: string[] | undefined): boolean {
  return deepEqual([...(a ?? [])].sort(), [...(b ?? [])].sort());
}
