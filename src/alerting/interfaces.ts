import { IConstruct } from 'constructs';

/**
 * A Mackerel notification channel (email, Slack, webhook, or any channel made in Mackerel's
 * web console), created by this stack or referenced by its ID.
 */
export interface IChannel extends IConstruct {
  /**
   * The Mackerel channel ID.
   *
   * For a channel created by this stack this is a reference to the resource, so notification
   * groups that use it are created after it and follow it when the channel is replaced.
   */
  readonly channelId: string;
}

/**
 * A Mackerel notification group, created by this stack or referenced by its ID.
 */
export interface INotificationGroup extends IConstruct {
  /**
   * The Mackerel notification group ID.
   *
   * For a group created by this stack this is a reference to the resource.
   */
  readonly notificationGroupId: string;
}
