import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { expect } from 'vitest';
import { FakeResource } from '../provider/handler/_harness';

type Resource = { Type: string; Properties?: { [key: string]: unknown }; DependsOn?: string | string[] };

/** What one `apply` did, by logical ID. */
export interface Applied {
  readonly created: string[];
  readonly updated: string[];
  readonly replaced: string[];
  readonly deleted: string[];
}

/** The logical IDs a value refers to with Ref or Fn::GetAtt. */
function references(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(references);
  if (!value || typeof value !== 'object') return [];
  const o = value as { [key: string]: unknown };
  if (typeof o.Ref === 'string') return [o.Ref];
  if (Array.isArray(o['Fn::GetAtt'])) return [String(o['Fn::GetAtt'][0])];
  return Object.values(o).flatMap(references);
}

/**
 * A small CloudFormation for the `Custom::Mackerel*` resources of synthesized stacks, through the
 * real handler: `apply` creates new resources in dependency order, updates those that stay
 * (CloudFormation's cleanup Delete follows a replacement), deletes those that went away; Ref
 * is the physical ID, Fn::GetAtt the Data. A Ref to anything else fails the test: the
 * properties of a Mackerel resource must not need AWS to be deployed.
 */
export class FakeStack {
  private readonly resources = new Map<string, { readonly type: string; readonly fake: FakeResource }>();
  private order: string[] = [];

  async apply(stack: Stack): Promise<Applied> {
    const template = Template.fromStack(stack).toJSON().Resources as { [id: string]: Resource };
    const mackerel = new Map(Object.entries(template).filter(([, r]) => r.Type.startsWith('Custom::Mackerel')));
    const order = dependencyOrder(mackerel);
    const applied: Applied = { created: [], updated: [], replaced: [], deleted: [] };
    for (const id of order) {
      const r = mackerel.get(id)!;
      const { ServiceToken: _token, ...props } = this.resolve(r.Properties ?? {}) as { [key: string]: unknown };
      const existing = this.resources.get(id);
      if (existing && existing.type === r.Type) {
        const result = await existing.fake.update(props);
        (result.replaced ? applied.replaced : applied.updated).push(id);
        continue;
      }
      // Another resource type under the same logical ID: CloudFormation creates the new one,
      // then deletes the old one in its cleanup phase.
      const fake = new FakeResource(r.Type, id);
      await fake.create(props);
      this.resources.set(id, { type: r.Type, fake });
      if (existing) await existing.fake.delete();
      applied.created.push(id);
    }
    for (const id of [...this.order].reverse().filter((old) => !mackerel.has(old))) {
      await this.resources.get(id)!.fake.delete();
      this.resources.delete(id);
      applied.deleted.push(id);
    }
    this.order = order;
    return applied;
  }

  /** Deletes every resource, last created first. */
  async destroy(): Promise<void> {
    for (const id of [...this.order].reverse()) await this.resources.get(id)!.fake.delete();
    this.resources.clear();
    this.order = [];
  }

  /** The physical ID of a deployed resource. */
  physicalId(logicalId: string): string {
    const found = this.resources.get(logicalId)?.fake.physicalId;
    expect(found, `${logicalId} is deployed`).toBeDefined();
    return found!;
  }

  private resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (!value || typeof value !== 'object') return value;
    const o = value as { [key: string]: unknown };
    if (typeof o.Ref === 'string') return this.physicalId(o.Ref);
    if (Array.isArray(o['Fn::GetAtt'])) {
      const [id, attribute] = o['Fn::GetAtt'].map(String);
      return this.resources.get(id)?.fake.data[attribute];
    }
    if (Array.isArray(o['Fn::Join'])) {
      const [separator, pieces] = o['Fn::Join'] as [string, unknown[]];
      return pieces.map((p) => this.resolve(p)).join(separator);
    }
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, this.resolve(v)]));
  }
}

function dependencyOrder(resources: Map<string, Resource>): string[] {
  const order: string[] = [];
  const pending = (id: string) => resources.has(id) && !order.includes(id);
  while (order.length < resources.size) {
    const ready = [...resources].filter(([id, r]) => pending(id)
      && references(r.Properties).concat(r.DependsOn ?? []).every((dep) => !pending(dep)));
    expect(ready.length, 'a dependency cycle').toBeGreaterThan(0);
    order.push(...ready.map(([id]) => id));
  }
  return order;
}
