import { Annotations, SecretValue, Stack, Token } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { _channelUrl } from './_secret-url';
import { IChannel } from './interfaces';
import { _fail, _repeats } from '../_validation';
import { _ChannelProperties, _RESOURCE_TYPES } from '../provider/_properties';
import { _createMackerelResource } from '../provider/_resource';
import { MackerelResourceOptions } from '../provider/resource-options';

/**
 * What a channel is notified of (the API's `events`).
 */
export enum ChannelEvent {
  /** Alerts opening, changing status and closing. */
  ALERT = 'alert',
  /** Alert groups opening and closing. */
  ALERT_GROUP = 'alertGroup',
  /** A host's status changing (working, standby, maintenance, poweroff). */
  HOST_STATUS = 'hostStatus',
  /** A host being registered. */
  HOST_REGISTER = 'hostRegister',
  /** A host being retired. */
  HOST_RETIRE = 'hostRetire',
  /** Monitors being created, changed or deleted. */
  MONITOR = 'monitor',
}

/**
 * Settings every channel kind has.
 */
export interface ChannelProps extends MackerelResourceOptions {
  /**
   * The channel name, shown in Mackerel. Must not be empty.
   */
  readonly name: string;

  /**
   * What the channel is notified of.
   *
   * @default [ChannelEvent.ALERT]
   */
  readonly events?: ChannelEvent[];
}

/**
 * The base of the channel constructs: one `Custom::MackerelChannel` each, served by the
 * stack's `MackerelProvider`.
 *
 * A channel is created outside Mackerel's default notification group; wire it to monitors
 * with a `NotificationGroup`. Every change updates the channel in place, except turning it into
 * another kind of channel, which replaces it.
 *
 * @see https://mackerel.io/api-docs/entry/channels
 */
export abstract class ChannelBase extends Construct implements IChannel {
  /**
   * References a channel that already exists in Mackerel (any kind, including those only the
   * web console can make, such as PagerDuty or Microsoft Teams), for notification groups.
   * Creates no resource.
   *
   * @param scope the scope of the reference
   * @param id the id of the reference
   * @param channelId the Mackerel channel ID
   */
  public static fromChannelId(scope: Construct, id: string, channelId: string): IChannel {
    return new ImportedChannel(scope, id, channelId);
  }

  /** The Mackerel channel ID: a reference to the resource (its `Ref`). */
  public abstract readonly channelId: string;

  protected constructor(scope: Construct, id: string) {
    super(scope, id);
  }

  /**
   * Checks the shared settings and creates the channel resource.
   * @returns the channel ID
   * @internal
   */
  protected _createChannel(props: ChannelProps, fields: Omit<_ChannelProperties, 'name' | 'events'>): string {
    if (!Token.isUnresolved(props.name) && props.name.trim() === '') {
      _fail(this, 'name', props.name, 'is empty', 'a non-empty channel name');
    }
    const events = props.events ?? [ChannelEvent.ALERT];
    const allowed = Object.values(ChannelEvent) as string[];
    events.forEach((event, i) => {
      if (!Token.isUnresolved(event) && !allowed.includes(event)) {
        _fail(this, `events[${i}]`, event, 'is not a channel event', `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`);
      }
    });
    const duplicate = events.find((event, i) => events.indexOf(event) !== i);
    if (duplicate !== undefined) {
      _fail(this, 'events', events, `lists ${JSON.stringify(duplicate)} twice`, 'each event at most once');
    }
    if (events.length === 0) {
      Annotations.of(this).addWarningV2('cdk-mackerel:channelWithoutEvents',
        'events is empty, so the channel is notified of nothing, not even alerts. Leave events out for [ChannelEvent.ALERT]');
    }
    const properties: _ChannelProperties = { ...fields, name: props.name, events };
    return _createMackerelResource(this, _RESOURCE_TYPES.CHANNEL, { ...properties }, props.removalPolicy).ref;
  }
}

/**
 * Properties of an `EmailChannel`.
 */
export interface EmailChannelProps extends ChannelProps {
  /**
   * Email addresses to notify, each once.
   *
   * Addresses that differ only in case (`Ops@Example.com`, `ops@example.com`) are kept as given,
   * with a warning: most mail servers take them as one mailbox, which would get each mail twice.
   *
   * Give at least one address in `emails` or one user in `userIds`. A list known only at deploy
   * time (a `CommaDelimitedList` parameter's `valueAsList`) is passed on unchecked.
   *
   * @default - no addresses
   */
  readonly emails?: string[];

  /**
   * IDs of Mackerel users (members of the organization) to notify at their own address, each once.
   *
   * @default - no users
   */
  readonly userIds?: string[];
}

/**
 * An email notification channel.
 *
 * @example
 * new EmailChannel(this, 'Mail', { name: 'oncall', emails: ['oncall@example.com'] });
 */
export class EmailChannel extends ChannelBase {
  public readonly channelId: string;

  constructor(scope: Construct, id: string, props: EmailChannelProps) {
    super(scope, id);
    const emails = props.emails ?? [];
    const userIds = props.userIds ?? [];
    if (emails.length === 0 && userIds.length === 0) {
      _fail(this, 'emails', emails, 'and userIds are both empty', 'at least one email address or user ID', 'A channel without recipients notifies nobody');
    }
    // A list known only at deploy time (a CommaDelimitedList parameter's valueAsList, Fn.split) is one
    // encoded element, which is no address: its addresses and users are left to the API.
    const known = (list: string[]) => (Token.isUnresolved(list) ? [] : list);
    known(emails).forEach((email, i) => {
      if (!Token.isUnresolved(email) && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
        _fail(this, `emails[${i}]`, email, 'is not an email address', 'an address such as oncall@example.com');
      }
    });
    known(userIds).forEach((userId, i) => {
      if (!Token.isUnresolved(userId) && !/^[A-Za-z0-9]+$/.test(userId)) {
        _fail(this, `userIds[${i}]`, userId, 'is not a Mackerel user ID', 'letters and digits, as listed by GET /api/v0/users');
      }
    });
    // As for events: Mackerel does not say what it does with a recipient given twice (two mails, or one kept and drift).
    for (const [property, list, what] of [['emails', known(emails), 'address'], ['userIds', known(userIds), 'user']] as const) {
      const [repeat] = _repeats(list);
      if (!repeat) continue;
      // One parameter given twice repeats its token: shown as the template writes it, not as token text.
      const value = list[repeat.index];
      _fail(this, `${property}[${repeat.index}]`, Token.isUnresolved(value) ? Stack.of(this).resolve(value) : value, 'is given twice', `each ${what} once`);
    }
    warnOnAddressesDifferingInCase(this, known(emails));
    this.channelId = this._createChannel(props, {
      type: 'email',
      emails: props.emails,
      userIds: props.userIds,
    });
  }
}

/**
 * Warns about addresses of one channel that differ only in case (`Ops@Example.com`,
 * `ops@example.com`): a domain is case-insensitive and mail servers treat local parts so in
 * practice, so Mackerel would mail one mailbox twice. Not refused, nor changed: a local part is
 * case-sensitive by RFC 5321, and a server may tell them apart.
 */
function warnOnAddressesDifferingInCase(scope: Construct, emails: string[]): void {
  const firstByLower = new Map<string, number>();
  emails.forEach((email, i) => {
    if (Token.isUnresolved(email)) return;
    const lower = email.toLowerCase();
    const first = firstByLower.get(lower);
    if (first === undefined) {
      firstByLower.set(lower, i);
      return;
    }
    // The same address twice is refused already; only spellings that differ are left.
    Annotations.of(scope).addWarningV2('cdk-mackerel:emailsDifferOnlyInCase',
      `emails[${i}] ${JSON.stringify(email)} differs from emails[${first}] ${JSON.stringify(emails[first])} only in case. `
      + 'Mail servers compare addresses regardless of case in practice, so Mackerel would send each notification twice to one mailbox. '
      + 'Give the address once, unless the server tells the two apart');
  });
}

/**
 * The mention texts a Slack channel adds to notifications, by alert status.
 */
export interface SlackMentions {
  /**
   * Added to notifications of alerts that closed (OK).
   *
   * @default - no mention
   */
  readonly ok?: string;

  /**
   * Added to notifications of WARNING alerts.
   *
   * @default - no mention
   */
  readonly warning?: string;

  /**
   * Added to notifications of CRITICAL alerts, e.g. `<!channel>`.
   *
   * @default - no mention
   */
  readonly critical?: string;
}

const MENTION_KEYS = ['ok', 'warning', 'critical'];

/**
 * Properties of a `SlackChannel`.
 */
export interface SlackChannelProps extends ChannelProps {
  /**
   * The Slack Incoming Webhook URL.
   *
   * The URL is a secret: keep it in Secrets Manager or SSM and pass
   * `SecretValue.secretsManager(secretId, { jsonField })`, `secret.secretValueFromJson(field)` or
   * `SecretValue.ssmSecure(name)`. The template then holds only the dynamic reference
   * (CloudFormation does not resolve it for custom resources); the provider's Lambda resolves it
   * and is granted `secretsmanager:GetSecretValue` or `ssm:GetParameter` on exactly that secret
   * or parameter. A secret or parameter encrypted with a customer managed KMS key also needs
   * decrypt: pass the key as `urlEncryptionKey`. A secret ID given as a token alone must be a
   * complete ARN (as `secret.secretArn` is).
   *
   * `SecretValue.cfnParameter(param)` (a NoEcho parameter of the same stack) writes only its Ref:
   * CloudFormation passes the URL to the provider's Lambda, which masks it in its logs. One of
   * another stack is exported in plain by that stack, with a warning.
   * `SecretValue.unsafePlainText(url)` writes the URL into the template, with a warning; it
   * must then be an http(s) URL without whitespace (Mackerel would keep a trailing newline in it).
   */
  readonly url: SecretValue;

  /**
   * The customer managed KMS key that encrypts the secret or parameter holding `url`:
   * `kms:Decrypt` on it is granted to the provider's Lambda.
   *
   * Only for a `url` from Secrets Manager or SSM.
   *
   * @default - the secret or parameter uses the AWS managed key, which needs no grant
   */
  readonly urlEncryptionKey?: kms.IKey;

  /**
   * Texts added to notifications, by alert status (Slack mentions such as `<!here>`).
   *
   * @default - no mentions
   */
  readonly mentions?: SlackMentions;

  /**
   * Whether notifications carry a graph image.
   *
   * @default false
   */
  readonly enabledGraphImage?: boolean;
}

/**
 * A Slack notification channel, posting through an Incoming Webhook.
 *
 * @example
 * new SlackChannel(this, 'Slack', { name: 'ops', url: SecretValue.secretsManager('slack-webhook') });
 */
export class SlackChannel extends ChannelBase {
  public readonly channelId: string;

  constructor(scope: Construct, id: string, props: SlackChannelProps) {
    super(scope, id);
    const mentions = props.mentions;
    if (mentions) {
      for (const [key, text] of Object.entries(mentions)) {
        if (!MENTION_KEYS.includes(key)) {
          _fail(this, 'mentions', key, 'is not an alert status Slack mentions are given for', MENTION_KEYS.map((k) => JSON.stringify(k)).join(', '));
        }
        if (text !== undefined && !Token.isUnresolved(text) && text.trim() === '') {
          _fail(this, `mentions.${key}`, text, 'is empty', 'a mention text such as <!here>, or no value');
        }
      }
    }
    this.channelId = this._createChannel(props, {
      type: 'slack',
      url: _channelUrl(this, 'url', props.url, props.urlEncryptionKey),
      mentions: mentions && { ok: mentions.ok, warning: mentions.warning, critical: mentions.critical },
      enabledGraphImage: props.enabledGraphImage,
    });
  }
}

/**
 * Properties of a `WebhookChannel`.
 */
export interface WebhookChannelProps extends ChannelProps {
  /**
   * The URL Mackerel posts notifications to.
   *
   * Treated as a secret, like `SlackChannelProps.url`: pass `SecretValue.secretsManager(...)` or
   * `SecretValue.ssmSecure(...)` to keep it out of the template (the provider's Lambda resolves
   * it and is granted read on exactly that secret or parameter), or
   * `SecretValue.unsafePlainText(url)` for an http(s) URL without whitespace that is not secret
   * (with a warning).
   */
  readonly url: SecretValue;

  /**
   * The customer managed KMS key that encrypts the secret or parameter holding `url`:
   * `kms:Decrypt` on it is granted to the provider's Lambda.
   *
   * Only for a `url` from Secrets Manager or SSM.
   *
   * @default - the secret or parameter uses the AWS managed key, which needs no grant
   */
  readonly urlEncryptionKey?: kms.IKey;

  /**
   * Whether notifications carry a graph image.
   *
   * @default false
   */
  readonly enabledGraphImage?: boolean;
}

/**
 * A webhook notification channel: Mackerel posts a JSON document to the URL.
 *
 * @example
 * new WebhookChannel(this, 'Hook', { name: 'incidents', url: SecretValue.ssmSecure('/ops/incident-webhook') });
 */
export class WebhookChannel extends ChannelBase {
  public readonly channelId: string;

  constructor(scope: Construct, id: string, props: WebhookChannelProps) {
    super(scope, id);
    this.channelId = this._createChannel(props, {
      type: 'webhook',
      url: _channelUrl(this, 'url', props.url, props.urlEncryptionKey),
      enabledGraphImage: props.enabledGraphImage,
    });
  }
}

class ImportedChannel extends Construct implements IChannel {
  public readonly channelId: string;

  constructor(scope: Construct, id: string, channelId: string) {
    super(scope, id);
    if (!Token.isUnresolved(channelId) && !/^[A-Za-z0-9]+$/.test(channelId)) {
      _fail(this, 'channelId', channelId, 'is not a Mackerel channel ID', 'letters and digits, as in the channel URL');
    }
    this.channelId = channelId;
  }
}
