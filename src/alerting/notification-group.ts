import { Lazy, Reference, Stack, Token } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { IChannel, INotificationGroup } from './interfaces';
import { _readingFinalValues, _readingWithoutKeeping, _resolveEachToken } from '../_lazy';
import { _describeProblem, _fail, _warnLate } from '../_validation';
import { IMonitor } from '../monitors/monitor-base';
import { _NotificationGroupProperties, _RESOURCE_TYPES } from '../provider/_properties';
import { _createMackerelResource } from '../provider/_resource';
import { MackerelResourceOptions } from '../provider/resource-options';
import { _knownServiceName } from '../service/_known-name';
import { _dependOnNamed } from '../service/_named-dependency';
import { _addLookupValidation, _keyedConstructAdded, _keyedInApp, _KeyedKind } from '../service/_unique';
import { IMackerelService } from '../service/service';

/**
 * Which alerts a notification group passes on (the API's `notificationLevel`).
 */
export enum NotificationLevel {
  /** WARNING and CRITICAL alerts. */
  ALL = 'all',
  /** CRITICAL alerts only. */
  CRITICAL = 'critical',
}

/**
 * How a monitor belongs to a notification group.
 */
export interface NotificationGroupMonitorOptions {
  /**
   * Whether the monitor's alerts go to this group only, and no longer to the organization's
   * default notification group as well.
   *
   * @default false
   */
  readonly skipDefault?: boolean;
}

/**
 * Properties of a `NotificationGroup`.
 */
export interface NotificationGroupProps extends MackerelResourceOptions {
  /**
   * The group name, shown in Mackerel. Must not be empty.
   */
  readonly name: string;

  /**
   * Which alerts the group passes on.
   *
   * @default NotificationLevel.ALL
   */
  readonly notificationLevel?: NotificationLevel;

  /**
   * The channels notified. More can be added with `addChannel`.
   *
   * @default - none
   */
  readonly channels?: IChannel[];

  /**
   * Groups nested in this one: their channels are notified too. More can be added with
   * `addNotificationGroup`.
   *
   * @default - none
   */
  readonly notificationGroups?: INotificationGroup[];

  /**
   * Monitors whose alerts the group receives (each with `skipDefault: false`, use
   * `addMonitor(monitor, { skipDefault: true })` to take a monitor out of the default group).
   *
   * @default - none
   */
  readonly monitors?: IMonitor[];

  /**
   * Services whose alerts the group receives. More can be added with `addService`.
   *
   * @default - none
   */
  readonly services?: IMackerelService[];
}

interface MonitorEntry {
  readonly monitor: IMonitor;
  readonly skipDefault: boolean;
}

/**
 * A Mackerel notification group: routes the alerts of monitors and services to channels and to
 * nested groups. One `Custom::MackerelNotificationGroup`, updated in place on every change.
 *
 * Members may be given in the props or added later (`addChannel`, `addNotificationGroup`,
 * `addMonitor`, `addService`); they are written at synthesis, so later additions count.
 *
 * A group with monitors or services but no channel, of its own or of a nested group, notifies
 * nobody: it gets the synth warning `cdk-mackerel:notificationGroupWithoutChannels`, as the alerts
 * of its monitors with `skipDefault` then reach no one at all.
 *
 * @example
 * const ops = new NotificationGroup(this, 'Ops', { name: 'ops', channels: [slack, mail], services: [shop] });
 * ops.addMonitor(cpu, { skipDefault: true });
 *
 * @see https://mackerel.io/api-docs/entry/notification-groups
 */
export class NotificationGroup extends Construct implements INotificationGroup {
  /**
   * References a notification group that already exists in Mackerel, to nest it in a group of
   * this app. Creates no resource.
   *
   * @param scope the scope of the reference
   * @param id the id of the reference
   * @param notificationGroupId the Mackerel notification group ID
   */
  public static fromNotificationGroupId(scope: Construct, id: string, notificationGroupId: string): INotificationGroup {
    return new ImportedNotificationGroup(scope, id, notificationGroupId);
  }

  /** The notification groups of the app by their ID (`groupOf`). */
  private static readonly BY_ID: _KeyedKind = { keysOf: (other) => (other instanceof NotificationGroup ? [other.notificationGroupId] : []) };

  /** The Mackerel notification group ID: a reference to the resource (its `Ref`). */
  public readonly notificationGroupId: string;

  private readonly channels: IChannel[] = [];
  private readonly groups: INotificationGroup[] = [];
  private readonly monitors: MonitorEntry[] = [];
  private readonly services: IMackerelService[] = [];

  constructor(scope: Construct, id: string, props: NotificationGroupProps) {
    super(scope, id);
    if (!Token.isUnresolved(props.name) && props.name.trim() === '') {
      _fail(this, 'name', props.name, 'is empty', 'a non-empty notification group name');
    }
    const level = props.notificationLevel ?? NotificationLevel.ALL;
    const levels = Object.values(NotificationLevel) as string[];
    if (!Token.isUnresolved(level) && !levels.includes(level)) {
      _fail(this, 'notificationLevel', level, 'is not a notification level', `one of ${levels.map((l) => JSON.stringify(l)).join(', ')}`);
    }
    (props.channels ?? []).forEach((c) => this.addChannel(c));
    (props.notificationGroups ?? []).forEach((g) => this.addNotificationGroup(g));
    (props.monitors ?? []).forEach((m) => this.addMonitor(m));
    (props.services ?? []).forEach((s) => this.addService(s));

    const properties: _NotificationGroupProperties = {
      name: props.name,
      notificationLevel: level,
      childChannelIds: Lazy.list({ produce: () => this.channels.map((c) => c.channelId) }, { omitEmpty: true }),
      childNotificationGroupIds: Lazy.list({ produce: () => this.groups.map((g) => g.notificationGroupId) }, { omitEmpty: true }),
      monitors: Lazy.any({
        produce: () => this.monitors.map((m) => ({ id: m.monitor.monitorId, skipDefault: m.skipDefault })),
      }, { omitEmptyArray: true }) as never,
      services: Lazy.any({ produce: () => this.services.map((s) => ({ name: s.name })) }, { omitEmptyArray: true }) as never,
    };
    this.notificationGroupId = _createMackerelResource(this, _RESOURCE_TYPES.NOTIFICATION_GROUP, { ...properties }, props.removalPolicy).ref;
    _keyedConstructAdded();
    // A lookup validation: following each import to its group walked the whole app once per import, and synth of many groups took minutes.
    _addLookupValidation(this, () => {
      this.warnIfNotifyingNobody();
      return [...this.cycleProblems(), ...this.lateDuplicateServices()];
    });
  }

  /**
   * Notifies a channel of the alerts this group receives (the API's `childChannelIds`).
   *
   * @param channel a channel of this app or one referenced with `ChannelBase.fromChannelId`; each once
   */
  public addChannel(channel: IChannel): void {
    this.rejectDuplicate('channels', channel, this.channels, (c) => c.channelId);
    this.channels.push(channel);
  }

  /**
   * Nests a group: its channels are notified of the alerts this group receives (the API's
   * `childNotificationGroupIds`). Groups that contain each other fail synthesis.
   *
   * @param group a group of this app or one referenced with `fromNotificationGroupId`: each once, not this group
   */
  public addNotificationGroup(group: INotificationGroup): void {
    // An import of this group's own ID (`fromNotificationGroupId(scope, id, this.notificationGroupId)`) is this group too.
    if (group === this || group.notificationGroupId === this.notificationGroupId) {
      _fail(this, 'notificationGroups', group.node.path, 'is this group itself', 'another notification group');
    }
    this.rejectDuplicate('notificationGroups', group, this.groups, (g) => g.notificationGroupId);
    this.groups.push(group);
  }

  /**
   * Sends a monitor's alerts to this group (the API's `monitors`).
   *
   * The group then refers to the monitor: a monitor of another stack makes this group's stack
   * depend on the monitor's. That stack must then not refer to this group's stack, for example
   * through the role or service the monitor is scoped to, or CDK fails synthesis with a cyclic
   * reference. Keep the group in the monitor's stack (or one that depends on it), or route the
   * alerts by service (`addService`).
   *
   * @param monitor a monitor of this app or one referenced with `MonitorBase.fromMonitorId`; each once
   * @param options whether the monitor's alerts skip the organization's default group
   */
  public addMonitor(monitor: IMonitor, options: NotificationGroupMonitorOptions = {}): void {
    this.rejectDuplicate('monitors', monitor, this.monitors.map((m) => m.monitor), (m) => m.monitorId);
    this.monitors.push({ monitor, skipDefault: options.skipDefault ?? false });
  }

  /**
   * Sends the alerts of monitors scoped to a service to this group (the API's `services`).
   *
   * @param service a `MackerelService` of this app or one referenced with `MackerelService.fromName`; each once
   */
  public addService(service: IMackerelService): void {
    // By the name when it is known: a service construct and `fromName` of its name are one service.
    this.rejectDuplicate('services', service, this.services, (s) => _knownServiceName(s) ?? s.name);
    this.services.push(service);
    // A service given by name is not referred to by its Ref: wait for the service of this stack that creates it.
    _dependOnNamed(this, service.name, false);
  }

  /** The groups nested in this one, for cycle detection across the app. @internal */
  public get _children(): readonly INotificationGroup[] {
    return this.groups;
  }

  /**
   * The same construct twice, or two that name the same Mackerel object (two imports of one
   * channel ID, two services named alike, an import of a member's own ID such as
   * `ChannelBase.fromChannelId(scope, id, slack.channelId)`), would be sent twice; Mackerel keeps
   * one. A token is the same string for the same value, so one token twice is one object; two
   * different tokens are left to the API.
   */
  private rejectDuplicate<T extends IConstruct>(property: string, member: T, members: readonly T[], idOf: (m: T) => string): void {
    const id = idOf(member);
    const same = members.find((m) => m === member || idOf(m) === id);
    if (same === member) {
      _fail(this, property, member.node.path, 'is already a member', 'each member once');
    }
    if (same) {
      // A token is shown as the template writes it, not as token text.
      const shown = JSON.stringify(Token.isUnresolved(id) ? Stack.of(this).resolve(id) : id);
      _fail(this, property, member.node.path, `names ${shown}, as the member ${JSON.stringify(same.node.path)} does`, 'each Mackerel object once');
    }
  }

  /**
   * Two services whose names are known only once a Lazy is final (`MackerelService.fromName` of a
   * Lazy) and end alike: `addService` compared their tokens, which differ.
   */
  private lateDuplicateServices(): string[] {
    return _readingFinalValues(() => {
      const names = this.services.map((s) => _knownServiceName(s) ?? s.name);
      const index = names.findIndex((name, i) => names.indexOf(name) !== i);
      if (index < 0) return [];
      const same = this.services[names.indexOf(names[index])];
      return [_describeProblem('services', this.services[index].node.path, `names ${JSON.stringify(names[index])}, as the member ${JSON.stringify(same.node.path)} does`,
        'each Mackerel object once')];
    });
  }

  /**
   * Warns about a group that receives alerts (monitors, services) but reaches no channel, of its
   * own or of a nested group (an imported group counts as reaching one): it notifies nobody, and a
   * monitor with `skipDefault` is then taken out of the default group too, so its alerts reach no
   * one at all. Read at synth, as members may be added after construction.
   */
  private warnIfNotifyingNobody(): void {
    if (this.monitors.length + this.services.length === 0 || this._reachesChannel(new Set())) return;
    const skipping = this.monitors.filter((m) => m.skipDefault).map((m) => m.monitor.node.path);
    _warnLate(this, 'cdk-mackerel:notificationGroupWithoutChannels',
      `The group has monitors or services but no channels${this.groups.length > 0 ? ', nor have the groups nested in it' : ' and no nested notification groups'}, `
      + 'so their alerts notify nobody through it'
      + (skipping.length > 0 ? `; ${skipping.join(', ')} ${skipping.length === 1 ? 'skips' : 'skip'} the default notification group (skipDefault), `
        + 'so their alerts reach no one at all' : '')
      + '. Add a channel (addChannel) or a nested group (addNotificationGroup)');
  }

  /** Whether the group notifies some channel, its own or a nested group's; a group imported from outside the app may. @internal */
  public _reachesChannel(seen: Set<NotificationGroup>): boolean {
    if (seen.has(this)) return false;
    seen.add(this);
    return this.channels.length > 0 || this.groups.some((g) => {
      const group = this.groupOf(g);
      return !group || group._reachesChannel(seen);
    });
  }

  /**
   * The group of this app a member is: itself, or the one whose ID (its Ref) an import carries, as
   * `fromNotificationGroupId(scope, id, group.notificationGroupId)` does. Undefined for a group
   * imported from outside the app, whose members are unknown. Only in a validation added with
   * `_addLookupValidation`.
   */
  private groupOf(member: INotificationGroup): NotificationGroup | undefined {
    if (member instanceof NotificationGroup) return member;
    const byId = (id: string) => _keyedInApp(this, NotificationGroup.BY_ID, id)[0] as NotificationGroup | undefined;
    const id = member.notificationGroupId;
    if (!Token.isUnresolved(id)) return undefined;
    const same = byId(id);
    if (same) return same;
    // A token that ends as a group's Ref (a Lazy producing it, Fn.join of it alone) is that group too: read as synthesis writes it.
    const found: NotificationGroup[] = [];
    let other = false;
    let resolved: unknown;
    try {
      resolved = _readingWithoutKeeping(() => _resolveEachToken(this, id, (token, resolve) => {
        const group = Reference.isReference(token) ? byId(Token.asString(token)) : undefined;
        if (group) {
          found.push(group);
          return `#${found.length - 1}`;
        }
        if (Reference.isReference(token)) other = true;
        return resolve();
      }));
    } catch {
      return undefined;
    }
    return !other && found.length === 1 && resolved === '#0' ? found[0] : undefined;
  }

  /**
   * A group nested in itself through other groups would never finish notifying. An import of a
   * group of this app by its ID is that group (`groupOf`): CloudFormation would only refuse the
   * cycle of Refs at deploy, naming no property.
   */
  private cycleProblems(): string[] {
    const path: NotificationGroup[] = [];
    const visit = (member: INotificationGroup): string[] => {
      const group = this.groupOf(member);
      if (!group) return [];
      if (group === this && path.length > 0) {
        return [_describeProblem('notificationGroups', [...path, this].map((g) => g.node.path).join(' -> '), 'nest this group in itself', 'groups that do not contain each other')];
      }
      if (path.includes(group)) return [];
      path.push(group);
      const found = group._children.flatMap(visit);
      path.pop();
      return found;
    };
    return visit(this);
  }
}

class ImportedNotificationGroup extends Construct implements INotificationGroup {
  public readonly notificationGroupId: string;

  constructor(scope: Construct, id: string, notificationGroupId: string) {
    super(scope, id);
    if (!Token.isUnresolved(notificationGroupId) && !/^[A-Za-z0-9]+$/.test(notificationGroupId)) {
      _fail(this, 'notificationGroupId', notificationGroupId, 'is not a Mackerel notification group ID', 'letters and digits, as in the group URL');
    }
    this.notificationGroupId = notificationGroupId;
  }
}
