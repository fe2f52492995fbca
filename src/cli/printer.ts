/** Human-readable output of apply and diff, one object per line. */
import { _Outcome, _ResourceEvent, _Waiting } from './apply';
import { _FieldChange } from './changes';
import { _DiffEntry } from './diff';
import { _maskSecrets } from './secret-fields';
import { _RESOURCE_TYPES } from '../provider/_properties';

const SHORT_TYPE = (type: string) => type.replace(/^Custom::Mackerel/, '');
/** The type column: as wide as the longest short type (AwsIntegrationExternalId), so that every line lines up. */
const TYPE_WIDTH = Math.max(...Object.values(_RESOURCE_TYPES).map((type) => SHORT_TYPE(type).length));

/** The verb of an operation in progress, by its request type. @internal */
export const _OPERATION_VERB = { Create: 'creating', Update: 'updating', Delete: 'deleting' } as const;

/** One operation, as progress lines and interruption messages name it: `creating Monitor Shop/Cpu`. @internal */
export function _operationLabel(event: Pick<_ResourceEvent, 'RequestType' | 'ResourceType' | 'LogicalResourceId'>, stackName: string): string {
  return `${_OPERATION_VERB[event.RequestType]} ${SHORT_TYPE(event.ResourceType)} ${stackName}/${event.LogicalResourceId}`;
}

const position = (index: number, total: number) => `[${String(index).padStart(String(total).length)}/${total}]`;

/** One apply outcome: `[k/n] created  Monitor  HighCpu  id=… "name"`. @internal */
export function _formatOutcome(o: _Outcome, index: number, total: number): string {
  const progress = position(index, total);
  const id = o.action === 'replaced' ? `${o.previousId} -> ${o.physicalId}` : o.physicalId;
  const name = o.name !== undefined ? ` "${o.name}"` : '';
  // A move names the resource it leaves as diff's `> move` line does: `Shop/Old -> Shop/New`.
  const from = o.movedFrom !== undefined ? `${o.stackName}/${o.movedFrom} -> ` : '';
  return `${progress} ${o.action.padEnd(9)} ${SHORT_TYPE(o.type).padEnd(TYPE_WIDTH)} ${from}${o.stackName}/${o.logicalId} ${id}${name}${cleanupNote(o)}`;
}

/** Why a delete kept its object, as apply's `left` and `retained` lines and diff's `leave` and `retain` lines say it. */
function notDeleted(why: string | undefined): string {
  return `not deleted: ${why}; it stays in Mackerel`;
}

/**
 * Why a policy kept a delete from the handler, as apply's `retained` lines and diff's `retain` lines
 * say it: a downtime or alert group setting whose monitor scopes the run deletes (`goneWith`,
 * `_goneWith`) does not stay, Mackerel deleting it with the last of them.
 */
function retained(retainedBy: string | undefined, goneWith: readonly string[] | undefined): string {
  if (goneWith === undefined) return notDeleted(retainedBy);
  const monitors = `monitor${goneWith.length > 1 ? 's' : ''} ${goneWith.join(', ')}`;
  return `not deleted: ${retainedBy}; but gone from Mackerel with ${monitors}, the last of its monitor scopes, which this run deleted`;
}

/** What a cleanup outcome adds: whether the object was an old one of a replacement, and why it stays in Mackerel. */
function cleanupNote(o: _Outcome): string {
  const replaced = o.previousId && o.action !== 'replaced' ? ' (old object of a replacement)' : '';
  if (o.action === 'left') return `${replaced} (${notDeleted(o.leftBecause)})`;
  if (o.action === 'retained') return `${replaced} (${retained(o.retainedBy, o.goneWith)})`;
  if (o.action === 'deleted') return replaced;
  return o.handedOverTo ? ` (taken over by ${o.handedOverTo}; it stays in Mackerel)` : '';
}

/** An operation still running: `[k/n] still creating AwsIntegration Shop/Aws (30 s)`. @internal */
export function _formatWaiting(w: _Waiting, index: number, total: number): string {
  return `${position(index, total)} still ${w.verb} ${SHORT_TYPE(w.type)} ${w.stackName}/${w.logicalId} (${Math.round(w.elapsedMs / 1000)} s)`;
}

/**
 * The closing line of an apply. `gone` are the unchanged objects that are no longer in Mackerel
 * (deleted outside the template): apply leaves them so, as CloudFormation does, and says so.
 * @internal
 */
export function _formatApplySummary(outcomes: readonly _Outcome[], gone: readonly _Outcome[] = []): string {
  const counts = new Map<string, number>();
  for (const o of outcomes) counts.set(o.action, (counts.get(o.action) ?? 0) + 1);
  const parts = ['created', 'moved', 'updated', 'replaced', 'deleted', 'released', 'left', 'retained', 'unchanged'].filter((a) => counts.has(a)).map((a) => `${counts.get(a)} ${a}`);
  const labels = (objects: readonly _Outcome[]) => objects.map((o) => `${SHORT_TYPE(o.type)} ${o.stackName}/${o.logicalId}`).join(', ');
  const deleted = gone.filter((o) => o.type !== _RESOURCE_TYPES.AWS_INTEGRATION_EXTERNAL_ID);
  const retired = gone.filter((o) => o.type === _RESOURCE_TYPES.AWS_INTEGRATION_EXTERNAL_ID);
  const left = deleted.length === 0 ? '' : ` ${deleted.length} of the unchanged ${deleted.length === 1 ? 'was' : 'were'} deleted in Mackerel outside the template and left so `
    + `(${labels(deleted)}): like CloudFormation, apply re-creates an object only when its properties change; diff shows it as "? gone".`;
  const noLonger = retired.length === 0 ? '' : ` ${retired.length} unchanged external ID${retired.length === 1 ? ' is' : 's are'} no longer issued in Mackerel and left so `
    + `(${labels(retired)}): ${RETIRED}; diff shows ${retired.length === 1 ? 'it' : 'them'} as "? gone".`;
  return `Done: ${parts.join(', ') || 'nothing to do'}.${left}${noLonger}`;
}

// Mackerel has no delete for an external ID: one gone was retired (or the emulator holding it was emptied).
const RETIRED = 'Mackerel retires one once every AWS integration that used it is deleted';

/** Kinds of diff entry that an apply acts on: diff exits 1 when there is one. @internal */
export const _APPLY_CHANGES: readonly _DiffEntry['kind'][] = ['create', 'update', 'replace', 'delete', 'retain', 'leave', 'move'];

/**
 * The exit code of diff: 0 no difference; 1 apply would change something (create, update,
 * replace, delete, leave, retain, move: a retain or leave sends Mackerel no delete, but drops the object from the state);
 * 3 only differences apply leaves as they are (drift, gone, kept), which need a person, not
 * another apply. 2 is an error.
 *
 * The deletes of a stack only the state holds (removed from the app or renamed) are of the second
 * kind in a run of the whole app: its apply leaves them, and only `apply --destroy --stack` makes
 * them, which a person decides on. Were they 1, a pipeline that applies whenever diff exits 1
 * would apply on every run and never see 0. A run of that stack alone (`byStack`) is about them:
 * its only apply is `--destroy`, which makes them, so they are 1 there.
 * @internal
 */
export function _diffExitCode(entries: readonly _DiffEntry[], byStack = false): number {
  if (entries.some((e) => _APPLY_CHANGES.includes(e.kind) && (e.notInApp === undefined || byStack))) return 1;
  return entries.length > 0 ? 3 : 0;
}

/**
 * What the app has in Mackerel after an apply, by kind (`3 Monitor, 1 Downtime`): every object
 * created, updated, replaced or left unchanged, but not the old halves of replacements, nor the
 * unchanged objects `gone` lists (deleted outside the template, which the summary says apply left so).
 * @internal
 */
export function _formatInventory(outcomes: readonly _Outcome[], gone: readonly _Outcome[] = []): string | undefined {
  const counts = new Map<string, number>();
  for (const o of outcomes) {
    // a released object is counted under the resource that took it over; a left or retained one is no longer the app's
    if (o.action === 'deleted' || o.action === 'released' || o.action === 'left' || o.action === 'retained') continue;
    if (gone.includes(o)) continue;
    const kind = SHORT_TYPE(o.type);
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  if (counts.size === 0) return undefined;
  return `In Mackerel: ${[...counts].map(([kind, n]) => `${n} ${kind}`).join(', ')}.`;
}

const MARK: { readonly [kind in _DiffEntry['kind']]: string } = {
  create: '+ create ',
  update: '~ update ',
  replace: '! replace',
  delete: '- delete ',
  drift: '~ drift  ',
  gone: '? gone   ',
  kept: '= kept   ',
  move: '> move   ',
  retain: '- retain ',
  leave: '- leave  ',
};

const HINT: { readonly [kind in _DiffEntry['kind']]: string } = {
  create: '',
  update: '',
  replace: ' (new Mackerel ID; the old object is deleted)',
  delete: '',
  drift: ' changed in Mackerel outside the template (last applied -> live):',
  gone: ' deleted in Mackerel outside the template (like CloudFormation, apply only re-creates it when its properties change)',
  kept: ' differs from the template in fields with no update API; apply leaves them, edit them in the Mackerel web UI (Mackerel -> template):',
  move: ' (a new logical ID takes the object over; it stays in Mackerel)',
  retain: '',
  leave: '',
};

/** How the closing line of a diff counts each kind: `2 to create`. */
const COUNTED: { readonly [kind in _DiffEntry['kind']]: string } = {
  create: 'to create',
  update: 'to update',
  replace: 'to replace',
  delete: 'to delete',
  drift: 'drifted',
  gone: 'deleted outside',
  kept: 'that apply cannot change',
  move: 'to move',
  retain: 'to retain',
  leave: 'to leave',
};

/** How the closing line counts an entry: an external ID Mackerel no longer issues was retired, not deleted (there is no delete for one). */
function countedAs(e: _DiffEntry): string {
  return e.kind === 'gone' && e.type === _RESOURCE_TYPES.AWS_INTEGRATION_EXTERNAL_ID ? 'no longer issued' : COUNTED[e.kind];
}

function show(value: unknown): string {
  return value === undefined ? '(absent)' : JSON.stringify(value);
}

/** One field's line, its secret values masked (`_maskSecrets`): diff output often ends up in CI logs. */
function formatChange(type: string, change: _FieldChange, kind: _DiffEntry['kind']): string {
  const c = _maskSecrets(type, change);
  if (kind === 'create') return `      ${c.field}: ${show(c.new)}`;
  return `      ${c.field}: ${show(c.old)} -> ${show(c.new)}${c.secretChanged ? ' (secret, changed)' : ''}`;
}

/** The whole diff, or a line saying there is none. @internal */
export function _formatDiff(entries: readonly _DiffEntry[]): string[] {
  if (entries.length === 0) return ['No differences.'];
  const lines: string[] = [];
  const headed = new Set<string>();
  for (const e of entries) {
    if (e.notInApp !== undefined && !headed.has(e.stackName)) {
      headed.add(e.stackName);
      lines.push(`stack ${e.stackName} is in the state file but not in the app: apply leaves its objects in Mackerel; ${e.notInApp} deletes them`);
    }
    const id = e.physicalId ? ` ${e.physicalId}` : '';
    const name = e.name !== undefined ? ` "${e.name}"` : '';
    const from = e.from !== undefined ? `${e.stackName}/${e.from} -> ` : '';
    const hint = hintOf(e);
    lines.push(`${MARK[e.kind]} ${SHORT_TYPE(e.type).padEnd(TYPE_WIDTH)} ${from}${e.stackName}/${e.logicalId}${id}${name}${hint}`);
    for (const c of e.changes) lines.push(formatChange(e.type, c, e.kind));
  }
  const counts = new Map<string, number>();
  for (const e of entries) counts.set(countedAs(e), (counts.get(countedAs(e)) ?? 0) + 1);
  lines.push(`${[...counts].map(([k, n]) => `${n} ${k}`).join(', ')}.`);
  return lines;
}

const LEFTOVER = ' (old object of a replacement, left by an earlier apply that stopped)';

// A stack the app no longer has has no template to re-create an object from, whatever changes.
const GONE_NOT_IN_APP = ' deleted in Mackerel outside the template (its stack is no longer in the app, so no apply re-creates it)';

/** What an entry's line adds after the object; a retain says why in the words of apply's `retained` line. */
function hintOf(e: _DiffEntry): string {
  const kept = e.retainedBy === undefined ? '' : retained(e.retainedBy, e.goneWith);
  if (e.kind === 'replace' && e.takenBy !== undefined) return ` (new Mackerel ID; the old object is taken over by ${e.takenBy}; it stays in Mackerel)`;
  if (e.kind === 'replace' && e.leftBecause !== undefined) return ` (new Mackerel ID; the old object is ${notDeleted(e.leftBecause)})`;
  if (e.leftBecause !== undefined) return `${e.leftover ? LEFTOVER : ''} (${notDeleted(e.leftBecause)})`;
  if (e.kind === 'replace' && kept) return ` (new Mackerel ID; the old object is ${kept})`;
  // The handler never deletes a graph annotation: each marked deploy adds one to the history.
  if (e.kind === 'replace' && e.type === 'Custom::MackerelGraphAnnotation') return ' (a new annotation; the earlier one stays in Mackerel)';
  if (e.kind === 'gone' && e.type === _RESOURCE_TYPES.AWS_INTEGRATION_EXTERNAL_ID) {
    return ` no longer issued in Mackerel (${RETIRED}; ${e.notInApp !== undefined ? 'its stack is no longer in the app, so no apply issues a new one'
      : 'apply only issues a new one when its properties change'})`;
  }
  if (e.kind === 'gone' && e.notInApp !== undefined) return GONE_NOT_IN_APP;
  const hint = e.leftover ? LEFTOVER : HINT[e.kind];
  return kept ? `${hint} (${kept})` : hint;
}
