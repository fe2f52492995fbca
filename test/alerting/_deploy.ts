import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { IConstruct } from 'constructs';
import { expect } from 'vitest';
import { logicalIdOf } from './_fixture';
import { HandlerResult } from '../../src/provider/handler/index';
import { FakeResource } from '../provider/handler/_harness';

type Resource = { Type: string; Properties: { [key: string]: unknown } };
type Deployed = { resource: FakeResource; props: string };

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
 * A small CloudFormation for the Mackerel resources of successive versions of one stack,
 * through the real handler: `deploy` creates new resources, updates changed ones (with the
 * cleanup Delete of a replaced physical ID), leaves unchanged ones alone and deletes removed
 * ones; Ref resolves to the physical ID, Fn::GetAtt to Data. The ServiceToken is left out.
 */
export class MackerelDeployment {
  private readonly deployed = new Map<string, Deployed>();
  private readonly order: string[] = [];
  public readonly results = new Map<string, HandlerResult>();

  async deploy(stack: Stack): Promise<void> {
    const all = Template.fromStack(stack).toJSON().Resources as { [id: string]: Resource };
    const mackerel = new Map(Object.entries(all).filter(([, r]) => r.Type.startsWith('Custom::Mackerel')));
    const done = new Set<string>();
    while (done.size < mackerel.size) {
      const ready = [...mackerel].filter(([id, r]) => !done.has(id) && references(r.Properties).every((dep) => !mackerel.has(dep) || done.has(dep)));
      expect(ready.length, 'a dependency cycle').toBeGreaterThan(0);
      for (const [id, r] of ready) {
        await this.apply(id, r);
        done.add(id);
      }
    }
    for (const id of [...this.order].reverse().filter((known) => !mackerel.has(known))) {
      await this.remove(id);
    }
  }

  /** Deletes every resource, last created first. */
  async destroy(): Promise<void> {
    for (const id of [...this.order].reverse()) await this.remove(id);
  }

  /** The deployed resource of a Mackerel construct (to delete it again, or look at its ID). */
  resourceOf(construct: IConstruct): FakeResource {
    const found = this.deployed.get(logicalIdOf(construct));
    if (!found) throw new Error(`${construct.node.path} is not deployed`);
    return found.resource;
  }

  private async apply(id: string, r: Resource): Promise<void> {
    const { ServiceToken: _token, ...props } = this.resolve(r.Properties) as { [key: string]: unknown };
    const text = JSON.stringify(props);
    const known = this.deployed.get(id);
    if (known && known.props === text) return;
    const resource = known?.resource ?? new FakeResource(r.Type, id);
    this.results.set(id, known ? await resource.update(props) : await resource.create(props));
    this.deployed.set(id, { resource, props: text });
    if (!known) this.order.push(id);
  }

  private async remove(id: string): Promise<void> {
    const known = this.deployed.get(id);
    if (!known) return;
    await known.resource.delete();
    this.deployed.delete(id);
    this.order.splice(this.order.indexOf(id), 1);
  }

  private resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (!value || typeof value !== 'object') return value;
    const o = value as { [key: string]: unknown };
    if (typeof o.Ref === 'string') return this.deployed.get(o.Ref)?.resource.physicalId;
    if (Array.isArray(o['Fn::GetAtt'])) return this.deployed.get(String(o['Fn::GetAtt'][0]))?.resource.data[String(o['Fn::GetAtt'][1])];
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, this.resolve(v)]));
  }
}
