import { Token } from 'aws-cdk-lib';
import { RegionInfo } from 'aws-cdk-lib/region-info';

/** The partition of Mackerel's AWS account and of the endpoints the agent assumes. @internal */
export const _MACKEREL_PARTITION = 'aws';

/**
 * A region's partition (`aws`, `aws-cn`, `aws-us-gov`, ...); undefined when the region is
 * unresolved or too new for aws-cdk-lib's table, which callers then leave unchecked.
 * @internal
 */
export function _partitionOf(region: string | undefined): string | undefined {
  return region === undefined || Token.isUnresolved(region) ? undefined : RegionInfo.get(region).partition;
}
