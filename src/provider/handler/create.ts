/**
 * Creates whose outcome may be unknown. The client never repeats a POST that Mackerel may have
 * carried out (no answer after sending, or a 5xx: `isOutcomeUnknown`), because POST is not
 * idempotent. What to do then depends on the object:
 * - Objects unique by name (services, roles, AWS integrations) can be looked up by that name. If
 *   the object now exists and looks like the one sent, the lost create made it: it is taken as
 *   this resource's. If it does not exist, sending the create again cannot make a duplicate,
 *   since Mackerel refuses a second object of that name (and when such a refusal comes, the name
 *   is looked up again: the earlier create may have landed meanwhile).
 * - Other objects (monitors, channels, notification groups, alert group settings, downtimes)
 *   cannot be told apart from an identical one made by someone else, so the create fails with a
 *   message saying that it may have been carried out.
 */
import { backoff, isOutcomeUnknown, isRefused, MackerelApiError } from './client';
import { RequestContext } from './resource';
import { sleep, timeForAnotherAttempt } from './settings';

/** How many times a create of a named object is sent while its outcome stays unknown. */
export const MAX_NAMED_CREATE_ATTEMPTS = 3;

export interface NamedCreate<T, F> {
  /** What is created, such as `service "shop"`, for messages. */
  readonly label: string;
  /** Sends the create (one POST, with the client's own retries). */
  post(): Promise<T>;
  /** The object of that name as Mackerel has it now, or undefined when there is none. */
  find(): Promise<F | undefined>;
  /** Why `found` is not the object this create sent, or undefined when it looks like it. */
  mismatch(found: F): Promise<string | undefined> | string | undefined;
}

/** What the POST answered, or the object found after a create whose answer was lost. */
export type NamedCreateResult<T, F> = { readonly created: T } | { readonly found: F };

/** What to do about a create whose outcome stayed unknown, and whose object is not there now. */
const MAY_APPEAR = 'Mackerel may still carry out a create it received; if the object appears later, it came from this deployment: delete it before deploying again';

/** Creates an object unique by name, finding it by name when the create's outcome is unknown. */
export async function createNamed<T, F>(ctx: RequestContext, spec: NamedCreate<T, F>): Promise<NamedCreateResult<T, F>> {
  let unknown: MackerelApiError | undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      return { created: await spec.post() };
    } catch (e) {
      // After an attempt with an unknown outcome, a refusal (4xx) may be "already exists". Not a 408, whose
      // outcome is unknown as a 5xx's is: it is looked up and sent again as one.
      const refused = unknown !== undefined && !isOutcomeUnknown(e) && e instanceof MackerelApiError && e.status !== undefined && e.status < 500;
      if (!isOutcomeUnknown(e) && !refused) throw unknown ? afterUnknown(e, unknown) : e;
      const error = e as MackerelApiError;
      const found = await lookUp(spec, error);
      if (found !== undefined) {
        const why = await spec.mismatch(found);
        if (why !== undefined) {
          throw new Error(`${error.message}; ${spec.label} exists in Mackerel now, but ${why}, so it was not taken as the one this create made`);
        }
        ctx.log.warn('the create whose answer was lost made the object; taking it as this resource\'s', { object: spec.label, error: error.message });
        return { found };
      }
      // A 429 or a proxy's 408 given up on is no refusal of the create: the earlier one may still land, as when the outcome stays unknown.
      if (refused) throw isRefused(error) ? afterUnknown(error, unknown!) : new Error(`${afterUnknown(error, unknown!).message}; ${spec.label} does not exist in Mackerel now. ${MAY_APPEAR}`);
      unknown = error;
      const delayMs = backoff(attempt);
      if (attempt >= MAX_NAMED_CREATE_ATTEMPTS || !timeForAnotherAttempt(ctx.client.deadline, delayMs)) {
        throw new Error(`${error.message}; ${spec.label} does not exist in Mackerel now (gave up after ${attempt} attempt${attempt > 1 ? 's' : ''}). ${MAY_APPEAR}`);
      }
      ctx.log.warn('the create\'s outcome is unknown and the name is still free; sending it again (Mackerel refuses a second object of one name, so this cannot make a duplicate)', {
        object: spec.label, error: error.message, attempt, delayMs,
      });
      await sleep(delayMs);
    }
  }
}

/**
 * The failure of a create of an object that is not unique by name, when Mackerel may have
 * carried it out: the object cannot be found again reliably, and sending the create again could
 * make a second one.
 */
export function createOutcomeUnknown(error: MackerelApiError, what: string): Error {
  return new Error(`${error.message}; ${what} may have been created in Mackerel anyway, outside the stack: look for it there and `
    + 'delete it if it is there. The create was not sent again: the object is not unique by name, so the handler cannot find it reliably and a repeat could make a duplicate');
}

async function lookUp<T, F>(spec: NamedCreate<T, F>, error: MackerelApiError): Promise<F | undefined> {
  try {
    return await spec.find();
  } catch (e) {
    throw new Error(`${error.message}; looking for ${spec.label} afterwards failed too: ${(e as Error).message}`);
  }
}

function afterUnknown(error: unknown, earlier: MackerelApiError): Error {
  return new Error(`${(error as Error).message ?? String(error)} (an earlier attempt's outcome is unknown: ${earlier.message})`);
}
