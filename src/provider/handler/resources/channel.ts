import { ObjectSchema, Props } from '../convert';
import { hasDynamicReference, resolveDynamicReferences } from '../dynamic-reference';
import { idResource } from '../id-resource';
import { addSecret } from '../log';

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
async function channelBody(props: Props, oldProps: Props | undefined, _live: unknown, deadline: number): Promise<Props> {
  const url = typeof props.url === 'string' && hasDynamicReference(props.url) ? await resolveDynamicReferences(props.url, deadline) : props.url;
  // A channel URL is a secret however it came: one given as a NoEcho parameter (or a
  // {{resolve:ssm:...}}) arrives resolved by CloudFormation, with nothing to tell it from plain text.
  if (typeof url === 'string') addSecret(url);
  return {
    ...props,
    ...(url === undefined ? {} : { url }),
    ...(oldProps ? {} : { addToDefaultNotificationGroup: false }),
  };
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
