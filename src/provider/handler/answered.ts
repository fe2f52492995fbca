/**
 * The answers this Lambda container gave to CloudFormation's requests, given again to a request
 * delivered again, so that a create delivered twice makes one object.
 *
 * The handler can get one request twice. CloudFormation invokes the function of aws-cdk-lib's
 * provider framework asynchronously: Lambda delivers such an event at least once, and invokes it
 * again (twice, by default) when the function fails, as the framework's does when it cannot send
 * its response to CloudFormation's URL. The framework invokes this handler synchronously through
 * the AWS SDK, which sends the Invoke again after a transient error, as the framework itself does
 * after any error: an answer lost on its way back runs the request once more. Each time the event
 * is the same, with the same stack, logical ID and RequestId (CloudFormation's ID of the request).
 *
 * Mackerel has no idempotency key, and monitors, channels, notification groups, alert group
 * settings and downtimes carry no mark of who made them: a create run again cannot find the
 * object the first run made, and posts another (a dashboard or AWS integration is refused as a
 * name already taken; a service or role is found by its mark). A repeat is most often sent right
 * after the first run, and Lambda hands it to a container that is free, most often the one that
 * just ran it. So the container keeps its last answers by request, and answers a repeat from
 * them without calling Mackerel. A repeat that reaches another container, or this one after it
 * was recycled, is run again as before; so is a request whose first run failed (CloudFormation
 * was told so, or nothing was done that a repeat could double).
 *
 * `cdk-mackerel apply` hands each request to the handler once, with a RequestId of its own run:
 * nothing is kept there (`localApi`).
 */
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { localApi } from './local-api';

/** What the handler answered: the physical ID and data of the framework's `onEvent` contract. */
export interface Answer {
  readonly PhysicalResourceId: string;
  readonly Data: { readonly [attribute: string]: string };
}

/**
 * How many answers are kept: far more than a stack's requests in the minutes a repeat comes in,
 * few enough that a warm container's memory does not grow with every deploy.
 */
const KEPT = 200;

const answers = new Map<string, { readonly request: string; readonly answer: Answer }>();

/** The request's identity, as CloudFormation says to make it (StackId with RequestId), and the resource's. */
function keyOf(event: CloudFormationCustomResourceEvent): string {
  return JSON.stringify([event.StackId, event.RequestId, event.LogicalResourceId]);
}

/** The whole event, compared too: a repeat is the same event, and nothing else is taken for one. */
function requestOf(event: CloudFormationCustomResourceEvent): string {
  return JSON.stringify(event);
}

/**
 * The answer this container gave to this very request, if it did; none for a caller that handed
 * over its API, which sends each request once, to its own API: an answer kept by a run through
 * another API base and key in this process is not one it gave.
 */
export function answerGiven(event: CloudFormationCustomResourceEvent): Answer | undefined {
  if (localApi()) return undefined;
  const kept = answers.get(keyOf(event));
  return kept && kept.request === requestOf(event) ? kept.answer : undefined;
}

/** Keeps the answer to a request that succeeded, for a repeat of it; none for a caller that handed over its API. */
export function rememberAnswer(event: CloudFormationCustomResourceEvent, answer: Answer): void {
  if (localApi()) return;
  const key = keyOf(event);
  answers.delete(key);
  answers.set(key, { request: requestOf(event), answer });
  // A Map keeps the order of insertion: the first key is the oldest answer.
  while (answers.size > KEPT) answers.delete(answers.keys().next().value!);
}
