import { Aspects, DefaultTokenResolver, IFragmentConcatenator, IPostProcessor, IResolvable, IResolveContext, Reference, Token, Tokenization } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** The reads of one kind that are running: `run` counts one while it runs, however it ends. */
class Reads {
  private count = 0;

  public run<T>(read: () => T): T {
    this.count++;
    try {
      return read();
    } finally {
      this.count--;
    }
  }

  public get running(): boolean {
    return this.count > 0;
  }
}

/** The reads of final values (`_readingFinalValues`) that are running: none while the app is being built. */
const finalReads = new Reads();

/**
 * Runs `read` as a read of the app's final values: at validation, or in an Aspect, once the app's
 * own code has run. A Lazy resolved there keeps the value synthesis would give it anyway.
 * @internal
 */
export function _readingFinalValues<T>(read: () => T): T {
  return finalReads.run(read);
}

/**
 * Whether a read of final values (`_readingFinalValues`) is running: at validation, or in an
 * Aspect once the app's own code has run.
 * @internal
 */
export function _readingFinal(): boolean {
  return finalReads.running;
}

/** The reads without keeping (`_readingWithoutKeeping`) that are running. */
const peeks = new Reads();

/**
 * Runs `read` so that a cached Lazy it resolves through `_resolveEachToken` that has not produced
 * yet produces its value without keeping it: read in an Aspect, a value kept would be written into
 * the template for good, though an Aspect of the app that runs later may still change it. For the
 * reads of a Lazy that is not the reader's own, such as the name of every service of the app that
 * an index of services by name reads when one construct looks a name up.
 * @internal
 */
export function _readingWithoutKeeping<T>(read: () => T): T {
  return peeks.run(read);
}

/**
 * Runs `read` once, as a read of final values (`_readingFinalValues`), in an Aspect of `scope`:
 * after the app's own code has run, and before synthesis prepares the app (cross-stack
 * references, `DependsOn`), so that what `read` adds (a grant, a dependency) still counts and
 * what it refuses is refused before CDK reports it in its own words.
 * @internal
 */
export function _readOnceFinal(scope: IConstruct, read: () => void): void {
  let done = false;
  const readOnce = () => {
    if (done) return;
    done = true;
    _readingFinalValues(read);
  };
  Aspects.of(scope).add({
    visit: (node) => {
      if (node === scope) readOnce();
    },
  });
  // With @aws-cdk/core:aspectStabilization off, CDK runs no Aspect on a construct another Aspect
  // adds under a construct it has visited: the read is then made at validation, so that a grant is
  // still made (into a policy the template has yet to be written from) rather than left out.
  scope.node.addValidation({
    validate: () => {
      lateReads.run(readOnce);
      return [];
    },
  });
}

/**
 * Runs `read` now, or once final (`_readOnceFinal`) when one of `values` holds a Lazy that is not
 * final yet: read now, it would keep the value of this moment. `late` tells `read` which: a
 * warning added once final may follow its acknowledgement (`_warnLate`), and what `read` returns
 * now is of no use once final.
 * @internal
 */
export function _readNowOrOnceFinal(scope: IConstruct, values: readonly unknown[], read: (late: boolean) => void): void {
  if (values.some((value) => _holdsValueNotFinalYet(scope, value))) _readOnceFinal(scope, () => read(true));
  else read(false);
}

/** The reads `_readOnceFinal` makes at validation that are running. */
const lateReads = new Reads();

/**
 * Whether `_readOnceFinal` is reading at validation, as no Aspect ran on its construct: synthesis has prepared the app
 * already, so a reference to another stack made now is given no export, parameter or dependency.
 * @internal
 */
export function _readingLate(): boolean {
  return lateReads.running;
}

/**
 * Whether resolving `token` now would fix a value the app may still change: a Lazy not produced
 * yet, read while the app is being built (outside `_readingFinalValues`). `Lazy.string` and its kin keep the first
 * value they produce, so resolving one in a constructor or an add* method would write that value
 * into the template for good, not the one later code gives it. Until it has produced, such a
 * token is known only later, as a parameter is.
 * @internal
 */
export function _notFinalYet(token: IResolvable): boolean {
  return !finalReads.running && isPendingLazy(token);
}

/**
 * Whether resolving `value` in `scope` now meets a token that is not final yet (`_notFinalYet`),
 * resolving none of those. Other tokens are resolved as synthesis would, which fixes nothing.
 * @internal
 */
export function _holdsValueNotFinalYet(scope: IConstruct, value: unknown): boolean {
  let pending = false;
  _resolveEachToken(scope, value, (token, resolve) => {
    if (pending || _notFinalYet(token)) {
      pending = true;
      return '';
    }
    return resolve();
  });
  return pending;
}

/**
 * Whether `value` holds an uncached Lazy of its own (`Lazy.uncachedString` and its kin): one that
 * produces anew at each resolution, so what it reads while the app is built need not be what
 * synthesis writes. References are not looked into: the logical IDs aws-cdk-lib writes with such
 * a Lazy name the same resource whenever read.
 * @internal
 */
export function _holdsUncachedLazy(scope: IConstruct, value: unknown): boolean {
  let found = false;
  _resolveEachToken(scope, value, (token, resolve) => {
    // Nor is a Lazy not final yet resolved, which would keep the value of this moment (`_notFinalYet`).
    if (found || Reference.isReference(token) || _notFinalYet(token)) return '';
    if (isUncachedLazy(token)) {
      found = true;
      return '';
    }
    return resolve();
  });
  return found;
}

/**
 * Whether `value` is known only once final: it holds a Lazy not final yet (`_holdsValueNotFinalYet`),
 * or an uncached Lazy of its own (`_holdsUncachedLazy`), whose value read now need not be the one
 * synthesis writes. A check of it is then made at validation, with the values read once final.
 * @internal
 */
export function _knownOnlyOnceFinal(scope: IConstruct, value: unknown): boolean {
  return _holdsValueNotFinalYet(scope, value) || _holdsUncachedLazy(scope, value);
}

/**
 * Resolves `value` in `scope` as synthesis would, but hands each token met on the way (tokens
 * inside strings included) to `visit`, which returns what the token resolves to: `resolve()` for
 * what synthesis would make of it, or a value of its own in place of it.
 * @internal
 */
export function _resolveEachToken(scope: IConstruct, value: unknown, visit: (token: IResolvable, resolve: () => unknown) => unknown): unknown {
  const resolver = new class extends DefaultTokenResolver {
    public resolveToken(t: IResolvable, context: IResolveContext, postProcessor: IPostProcessor): unknown {
      return visit(t, () => {
        const produce = peeks.running ? producerOf(t) : undefined;
        // As DefaultTokenResolver resolves, with the Lazy's value produced without keeping it.
        return produce ? postProcessor.postProcess(context.resolve(produce()), context) : super.resolveToken(t, context, postProcessor);
      });
    }
  }(CLOUDFORMATION_CONCAT);
  return Tokenization.resolve(value, { scope, resolver });
}

/**
 * Joins the pieces of a string as synthesis does (aws-cdk-lib's CloudFormationLang.concat, which it
 * does not export): text is joined as text, and a piece that resolved to an intrinsic (`Fn.select`
 * in a template string) makes an `Fn::Join` of them. StringConcat would write that piece as the
 * text "[object Object]", which a reader of the value would take for a name known at synth.
 */
const CLOUDFORMATION_CONCAT: IFragmentConcatenator = {
  join(left: unknown, right: unknown): unknown {
    if (left === undefined && right === undefined) return '';
    if (left === undefined) return right;
    if (right === undefined) return left;
    if (isText(left) && isText(right)) return `${left}${right}`;
    const parts: unknown[] = [];
    for (const part of [...joinedParts(left), ...joinedParts(right)]) {
      const last = parts.length - 1;
      if (last >= 0 && isText(parts[last]) && isText(part)) parts[last] = `${parts[last]}${part}`;
      else parts.push(part);
    }
    return { 'Fn::Join': ['', parts] };
  },
};

/** Whether a resolved piece is text CloudFormation would join as is: a string or number, no token. */
function isText(piece: unknown): boolean {
  return (typeof piece === 'string' || typeof piece === 'number') && !Token.isUnresolved(piece);
}

/** The pieces of `piece` when it is an `Fn::Join` with no delimiter of a plain list (as joined before), or `piece` alone. */
function joinedParts(piece: unknown): unknown[] {
  if (typeof piece === 'object' && piece !== null && !Array.isArray(piece) && Object.keys(piece).length === 1) {
    const args = (piece as { 'Fn::Join'?: unknown })['Fn::Join'];
    if (Array.isArray(args) && args[0] === '' && Array.isArray(args[1])) return args[1];
  }
  return [piece];
}

const BOX = Symbol.for('@aws-cdk/core.Box');

/**
 * Whether `token` is a cached Lazy that has not produced yet. aws-cdk-lib has no public way to
 * tell, so this reads its internals (2.261): `Lazy.string`, `Lazy.any` and their kin are a Box (the
 * `@aws-cdk/core.Box` mark) whose `inner` is the Lazy, with `cache` set, and `_cached` once it has
 * produced. Should that shape change, any Box counts as not produced (its value is state that may
 * change), which only makes a value read while the app is built unknown more often. An uncached
 * Lazy (`Lazy.uncachedString`, as aws-cdk-lib writes logical IDs) produces anew at each
 * resolution: reading it fixes nothing.
 */
function isPendingLazy(token: IResolvable): boolean {
  if (!(BOX in token)) return false;
  const inner = (token as { inner?: unknown }).inner as { producer?: unknown; cache?: unknown; _cached?: unknown } | undefined;
  if (typeof inner !== 'object' || inner === null || !('producer' in inner) || inner.cache !== true) return true;
  return inner._cached === undefined;
}

/**
 * How to produce the value of `token`, a cached Lazy that has not produced yet (`isPendingLazy`),
 * without keeping it: its producer, called as aws-cdk-lib's own Box calls it (with no context).
 * Undefined for any other token, or a Box not of that shape (aws-cdk-lib 2.261).
 */
function producerOf(token: IResolvable): (() => unknown) | undefined {
  if (!(BOX in token)) return undefined;
  type Inner = { producer?: { produce?: unknown }; cache?: unknown; _cached?: unknown; options?: { omitEmpty?: unknown } };
  const inner = (token as { inner?: unknown }).inner as Inner | undefined;
  if (typeof inner !== 'object' || inner === null || inner.cache !== true || inner._cached !== undefined) return undefined;
  // A list or any with omitEmpty changes what it produces: resolved, and kept, as aws-cdk-lib does.
  if (inner.options?.omitEmpty) return undefined;
  const producer = inner.producer;
  if (typeof producer?.produce !== 'function') return undefined;
  return () => (producer.produce as (context?: unknown) => unknown).call(producer, undefined);
}

/** Whether `token` is an uncached Lazy: not a Box (`isPendingLazy`), with a producer and no cache (aws-cdk-lib 2.261). */
function isUncachedLazy(token: IResolvable): boolean {
  if (BOX in token) return false;
  const lazy = token as { producer?: unknown; cache?: unknown };
  return 'producer' in lazy && lazy.cache === false;
}
