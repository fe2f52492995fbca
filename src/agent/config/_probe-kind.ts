/** The kind of a readiness probe. @internal */
export type _ProbeKind = 'exec' | 'http' | 'tcp';
