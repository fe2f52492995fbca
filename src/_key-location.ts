/** Where a key lives, as far as it is known at synth time (parts may be tokens). @internal */
export interface _KeyLocation {
  readonly kind: 'secret' | 'parameter';
  /** Created by this app (two created secrets are never the same). */
  readonly created: boolean;
  readonly account?: string;
  readonly region?: string;
  readonly name?: string;
  /** The JSON field of a secret; empty for the whole value. */
  readonly field: string;
}
