import { ObjectSchema, Props } from '../convert';
import { dynamicReferenceSources, hasDynamicReference, resolveDynamicReferences } from '../dynamic-reference';
import { idResource } from '../id-resource';
import { addSecret } from '../log';
import { RequestContext } from '../resource';
import { refuseUnlessRollingBack } from '../stack';

/** `_ChannelProperties` (email, slack, webhook). */
export const CHANNEL_SCHEMA: ObjectSchema = {
  type: 'string',
  name: 'string',
  emails: 'string[]',
  userIds: 'string[]',
  url: 'string',
  mentions: { ok: 'string', warning: 'string', critical: 'string' },
  enabledGraphImage: 'boolean',
  events: 'string[]',
};

/**
 * The body: a URL given as a dynamic reference is resolved here, and every URL is masked in logs;
 * a new channel is never added to the default notification group (a stack wires its channels
 * itself), and PUT cannot carry that field at all.
 */
async function channelBody(props: Props, oldProps: Props | undefined, _live: unknown, deadline: number, ctx: RequestContext): Promise<Props> {
  const url = typeof props.url === 'string' && hasDynamicReference(props.url) ? await resolveDynamicReferences(props.url, deadline) : props.url;
  // A channel URL is a secret however it came: one given as a NoEcho parameter (or a
  // {{resolve:ssm:...}}) arrives resolved by CloudFormation, with nothing to tell it from plain text.
  if (typeof url === 'string') {
    addSecret(url);
    await refuseWhitespace(ctx, url, typeof props.url === 'string' ? props.url : '', deadline);
  }
  return {
    ...props,
    ...(url === undefined ? {} : { url }),
    ...(oldProps ? {} : { addToDefaultNotificationGroup: false }),
  };
}

/**
 * Refuses a URL with whitespace, which a secret or parameter written from a file or a shell often
 * ends with (a trailing newline). Mackerel keeps it in the URL it posts to, so the channel would
 * deploy and then fail at the first alert; synthesis refuses it in a plain-text URL, but a value
 * read at deploy time is seen only here. Refused, not trimmed: the fix belongs in the secret.
 */
async function refuseWhitespace(ctx: RequestContext, url: string, given: string, deadline: number): Promise<void> {
  if (!/\s/.test(url)) return;
  const sources = hasDynamicReference(given) ? dynamicReferenceSources(given) : [];
  const where = /^\s|\s$/.test(url) ? 'at its start or end' : 'inside';
  const from = sources.length > 0 ? ` read from ${sources.join(' and ')}` : '';
  // A rollback sends it as the stack had it, with a warning.
  await refuseUnlessRollingBack(ctx, deadline,
    `property url${from} has whitespace ${where} (not shown, as it is a secret), which Mackerel would keep in the URL it posts to; `
    + 'expected an http(s) URL without whitespace: store it without the whitespace (a trailing newline, often)',
    `url${from} has whitespace ${where} (not shown, as it is a secret), which Mackerel keeps in the URL it posts to; `
    + 'sent all the same, as the stack is rolling back to it: store it without the whitespace');
}

export const channel = idResource({
  path: '/api/v0/channels',
  noun: 'channel',
  dataKey: 'ChannelId',
  schema: CHANNEL_SCHEMA,
  listKey: 'channels',
  replacedOn: (props, old) => (props.type !== old.type ? ['type'] : []),
  body: channelBody,
});
