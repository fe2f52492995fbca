import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { IConstruct } from 'constructs';
import { expect } from 'vitest';
import { FakeResource } from './_harness';
import { HandlerResult } from '../../../src/provider/handler/index';
import { logicalIdOf } from '../../monitors/_fixture';

type Resource = { Type: string; Properties?: { [key: string]: unknown }; DependsOn?: string | string[] };
type Deployed = { readonly type: string; readonly resource: FakeResource; readonly props: string };

/** What one `apply` did, by logical ID. */
export interface Applied {
  readonly created: string[];
  readonly updated: string[];
  readonly replaced: string[];
  readonly deleted: string[];
}

/**
 * A small CloudFormation for the `Custom::Mackerel*` resources of successive versions of a
 * stack, through the real handler. `apply` creates new resources in dependency order, updates
 * those whose properties changed (with the cleanup Delete of a replaced physical ID), leaves
 * unchanged ones alone as CloudFormation does, and deletes those that went away, last created
 * first. A resource of another type under the same logical ID is created anew, then the old one
 * deleted. Ref is the physical ID, Fn::GetAtt the Data; a Ref to anything that is not a deployed
 * Mackerel resource fails the test, since their properties must not need AWS to be deployed.
 */
export class FakeCloudFormation {
  private readonly deployed = new Map<string, Deployed>();
  private order: string[] = [];
  /** The handler's last answer for each logical ID. */
  public readonly results = new Map<string, HandlerResult>();

  async apply(stack: Stack): Promise<Applied> {
    const template = Template.fromStack(stack).toJSON().Resources as { [id: string]: Resource };
    const mackerel = new Map(Object.entries(template).filter(([, r]) => r.Type.startsWith('Custom::Mackerel')));
    const applied: Applied = { created: [], updated: [], replaced: [], deleted: [] };
    const order = dependencyOrder(mackerel);
    for (const id of order) {
      const r = mackerel.get(id)!;
      const { ServiceToken: _token, ...props } = this.resolve(r.Properties ?? {}) as { [key: string]: unknown };
      const text = JSON.stringify(props);
      const existing = this.deployed.get(id);
      if (existing && existing.type === r.Type) {
        if (existing.props === text) continue;
        const result = await existing.resource.update(props);
        this.results.set(id, result);
        this.deployed.set(id, { ...existing, props: text });
        (result.replaced ? applied.replaced : applied.updated).push(id);
        continue;
      }
      const resource = new FakeResource(r.Type, id);
      this.results.set(id, await resource.create(props));
      this.deployed.set(id, { type: r.Type, resource, props: text });
      if (existing) await existing.resource.delete();
      applied.created.push(id);
    }
    for (const id of [...this.order].reverse().filter((old) => !mackerel.has(old))) {
      await this.deployed.get(id)!.resource.delete();
      this.deployed.delete(id);
      applied.deleted.push(id);
    }
    this.order = order;
    return applied;
  }

  /** Deletes every resource, last created first. */
  async destroy(): Promise<void> {
    for (const id of [...this.order].reverse()) await this.deployed.get(id)!.resource.delete();
    this.deployed.clear();
    this.order = [];
  }

  /** The physical ID of a deployed resource. */
  physicalId(logicalId: string): string {
    const found = this.deployed.get(logicalId)?.resource.physicalId;
    expect(found, `${logicalId} is deployed`).toBeDefined();
    return found!;
  }

  /** The deployed resource of a Mackerel construct (to delete it again, or look at its ID). */
  resourceOf(construct: IConstruct): FakeResource {
    const found = this.deployed.get(logicalIdOf(construct));
    if (!found) throw new Error(`${construct.node.path} is not deployed`);
    return found.resource;
  }

  private resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (!value || typeof value !== 'object') return value;
    const o = value as { [key: string]: unknown };
    if (typeof o.Ref === 'string') return this.physicalId(o.Ref);
    if (Array.isArray(o['Fn::GetAtt'])) {
      const [id, attribute] = o['Fn::GetAtt'].map(String);
      return this.deployed.get(id)?.resource.data[attribute];
    }
    if (Array.isArray(o['Fn::Join'])) {
      const [separator, pieces] = o['Fn::Join'] as [string, unknown[]];
      return pieces.map((p) => this.resolve(p)).join(separator);
    }
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, this.resolve(v)]));
  }
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
