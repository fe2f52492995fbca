import { badRequest, Json } from './_http';

/**
 * The next `times` calls matching `method` and `path` get `status`/`body`, or only a delay, or
 * no answer at all.
 */
export interface FaultSpec {
  readonly method?: string;
  /** An exact API path like `/api/v0/monitors`, or a prefix ending in `*`. */
  readonly path: string;
  readonly status?: number;
  readonly body?: unknown;
  readonly headers?: { [name: string]: string };
  readonly delayMs?: number;
  /**
   * The call is carried out (or answered with `status`, which is then not carried out), and
   * the connection is closed without sending the answer: a response lost on its way, after
   * which the client cannot tell what Mackerel did.
   * @default false
   */
  readonly dropResponse?: boolean;
  /** @default 1 */
  readonly times?: number;
}

/** A fault as the queue holds it. */
export type Fault = FaultSpec;

interface Pending {
  readonly fault: Fault;
  remaining: number;
}

function matches(fault: Fault, method: string, path: string): boolean {
  if (fault.method !== undefined && fault.method.toUpperCase() !== method) return false;
  return fault.path.endsWith('*') ? path.startsWith(fault.path.slice(0, -1)) : path === fault.path;
}

/** Faults waiting for matching calls, the oldest first. */
export class FaultQueue {
  private pending: Pending[] = [];

  add(fault: Fault): void {
    check(fault);
    this.pending.push({ fault, remaining: fault.times ?? 1 });
  }

  clear(): void {
    this.pending = [];
  }

  /** The fault for this call, if any; each match uses up one of its `times`. */
  take(method: string, path: string): Fault | undefined {
    const hit = this.pending.find((p) => matches(p.fault, method, path));
    if (!hit) return undefined;
    hit.remaining -= 1;
    if (hit.remaining <= 0) this.pending.splice(this.pending.indexOf(hit), 1);
    return hit.fault;
  }
}

/** Rejects a fault that could never fire or would fire forever by mistake. */
function check(fault: Fault): void {
  const f = fault as unknown as Json;
  if (typeof f.path !== 'string' || f.path === '') throw badRequest('fault path must be a non-empty string');
  if (f.status !== undefined && (typeof f.status !== 'number' || f.status < 100 || f.status > 599)) throw badRequest('fault status must be an HTTP status');
  if (f.delayMs !== undefined && (typeof f.delayMs !== 'number' || f.delayMs < 0)) throw badRequest('fault delayMs must be a number >= 0');
  if (f.times !== undefined && (typeof f.times !== 'number' || !Number.isInteger(f.times) || f.times < 1)) throw badRequest('fault times must be an integer >= 1');
  if (f.dropResponse !== undefined && typeof f.dropResponse !== 'boolean') throw badRequest('fault dropResponse must be a boolean');
  if (f.status === undefined && f.delayMs === undefined && f.dropResponse !== true) throw badRequest('a fault needs a status, a delayMs or dropResponse');
}
