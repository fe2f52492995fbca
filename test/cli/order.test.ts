import { describe, expect, test } from 'vitest';
import { _references } from '../../src/_template-references';
import { _TemplateResource } from '../../src/cli/assembly';
import { _dependencies, _topologicalOrder } from '../../src/cli/order';
import { _cleanupOrder } from '../../src/cli/plan';

const m = (Properties: object = {}, DependsOn?: string | string[]): _TemplateResource => ({ Type: 'Custom::MackerelMonitor', Properties: Properties as never, DependsOn });

describe('dependency order', () => {
  test('references are found in Ref, Fn::GetAtt (both forms) and Fn::Sub', () => {
    expect([..._references({ a: { Ref: 'A' }, b: [{ 'Fn::GetAtt': ['B', 'X'] }, { 'Fn::GetAtt': 'C.Y' }], c: { 'Fn::Sub': ['${D}-${E.Z}-${AWS::Region}-${!F}', { v: { Ref: 'G' } }] } })].sort())
      .toEqual(['A', 'B', 'C', 'D', 'E', 'G']);
  });

  test('a variable an Fn::Sub gives a value is no reference, though a resource or parameter has its name', () => {
    expect([..._references({ 'Fn::Sub': ['${Svc}-${Role.FullName}-${Param}', { Svc: 'shop', Param: { Ref: 'Other' } }] })].sort()).toEqual(['Other', 'Role']);
  });

  test('dependencies come first, with DependsOn and through non-Mackerel resources', () => {
    const resources = {
      Group: m({ monitors: [{ id: { Ref: 'Cpu' } }] }),
      Cpu: m({ scopes: [{ 'Fn::GetAtt': ['Role', 'FullName'] }] }),
      Role: { Type: 'Custom::MackerelRole', Properties: { service: { Ref: 'Svc' } } },
      Svc: { Type: 'Custom::MackerelService', Properties: { name: 'shop' } },
      Integration: { Type: 'Custom::MackerelAwsIntegration', Properties: { roleArn: { 'Fn::GetAtt': ['IamRole', 'Arn'] } } },
      IamRole: { Type: 'AWS::IAM::Role', Properties: { ext: { Ref: 'ExternalId' } } },
      ExternalId: { Type: 'Custom::MackerelAwsIntegrationExternalId' },
      Late: m({}, 'Group'),
    };
    const deps = _dependencies(resources);
    expect([...deps.get('Integration')!]).toEqual(['ExternalId']);
    expect(deps.has('IamRole')).toBe(false);
    const order = _topologicalOrder(deps);
    const before = (a: string, b: string) => expect(order.indexOf(a)).toBeLessThan(order.indexOf(b));
    before('Svc', 'Role');
    before('Role', 'Cpu');
    before('Cpu', 'Group');
    before('Group', 'Late');
    before('ExternalId', 'Integration');
    expect(order).toHaveLength(7);
  });

  test('a cycle is an error naming it', () => {
    const deps = _dependencies({ A: m({ x: { Ref: 'B' } }), B: m({ x: { Ref: 'C' } }), C: m({}, 'A') });
    expect(() => _topologicalOrder(deps)).toThrow(/cycle: A -> B -> C -> A/);
  });
});

describe('cleanup order', () => {
  const pending = (logicalId: string, dependsOn?: string[]) => ({ stackName: 'S', logicalId, type: 'Custom::MackerelService', physicalId: `${logicalId}-old`, dependsOn });

  test('removed resources and old objects of replacements go in one order, each before what it depended on', () => {
    // Logical IDs chosen so that their names alone would order them the other way.
    const resources = { aRole: { dependsOn: ['Svc'] }, zSvc: { dependsOn: [] }, Svc: { dependsOn: [] } };
    const old = [pending('Svc', []), pending('Mon', ['zSvc'])];
    expect(_cleanupOrder(resources, ['aRole', 'zSvc'], old)).toEqual([{ old: old[1] }, { removed: 'zSvc' }, { removed: 'aRole' }, { old: old[0] }]);
  });

  test('old objects recorded without dependsOn go latest first, by what their resource depends on now', () => {
    const resources = { Role: { dependsOn: ['Svc'] }, Svc: { dependsOn: [] }, bMon: { dependsOn: ['Svc'] }, Mon: { dependsOn: ['zSvc'] }, zSvc: { dependsOn: [] } };
    const old = [pending('Svc'), pending('Role'), pending('Mon')];
    expect(_cleanupOrder(resources, ['bMon', 'zSvc'], old))
      .toEqual([{ old: old[2] }, { removed: 'zSvc' }, { old: old[1] }, { removed: 'bMon' }, { old: old[0] }]);
  });

  test('a role or monitor that names a deleted service by a literal name goes before it, though it recorded no dependency on it', () => {
    // GIVEN logical IDs that alone would order the services first, and no recorded dependency
    const resources = {
      aRole: { type: 'Custom::MackerelRole', physicalId: 'shop:web', properties: { service: 'shop', name: 'web' }, dependsOn: [] },
      aMon: { type: 'Custom::MackerelMonitor', physicalId: 'm1', properties: { type: 'service', service: 'shop' }, dependsOn: [] },
      zShop: { type: 'Custom::MackerelService', physicalId: 'shop', properties: { name: 'shop' }, dependsOn: [] },
      bRole: { type: 'Custom::MackerelRole', physicalId: 'old:db', properties: { service: 'old', name: 'db' }, dependsOn: [] },
      zStore: { type: 'Custom::MackerelService', physicalId: 'store', properties: { name: 'store' }, dependsOn: [] },
    };
    // the old object of a renamed service (zStore, once "old") and of a role replaced onto it ("store:api", its properties gone)
    const old = [
      { stackName: 'S', logicalId: 'zStore', type: 'Custom::MackerelService', physicalId: 'old', dependsOn: [] },
      { stackName: 'S', logicalId: 'cRole', type: 'Custom::MackerelRole', physicalId: 'old:api', dependsOn: [] },
    ];

    // WHEN the cleanup deletes them all
    const order = _cleanupOrder(resources, ['aRole', 'aMon', 'zShop', 'bRole'], old).map((s) => ('old' in s ? s.old.physicalId : s.removed));

    // THEN each role and monitor goes before the service it names
    const before = (a: string, b: string) => expect(order.indexOf(a)).toBeLessThan(order.indexOf(b));
    before('aRole', 'zShop');
    before('aMon', 'zShop');
    before('bRole', 'old');
    before('old:api', 'old');
    expect(order).toHaveLength(6);
  });

  test('a monitor, downtime or alert group setting that names a deleted role by a literal name in its scopes goes before it', () => {
    // GIVEN logical IDs that alone would order the role first, and no recorded dependency (a hand-written template):
    // the handler leaves a role that something still names in its scopes
    const resources = {
      zWeb: { type: 'Custom::MackerelRole', physicalId: 'shop:web', properties: { service: 'shop', name: 'web' }, dependsOn: [] },
      aCpu: { type: 'Custom::MackerelMonitor', physicalId: 'm1', properties: { type: 'host', scopes: ['shop'], excludeScopes: ['shop:web'] }, dependsOn: [] },
      bNight: { type: 'Custom::MackerelDowntime', physicalId: 'd1', properties: { name: 'n', roleScopes: ['shop:web'] }, dependsOn: [] },
      cDeploy: { type: 'Custom::MackerelDeploymentDowntime', physicalId: 'd2', properties: { name: 'd', roleExcludeScopes: ['shop:web'] }, dependsOn: [] },
      dGroup: { type: 'Custom::MackerelAlertGroupSetting', physicalId: 'g1', properties: { name: 'g', roleScopes: ['shop:web'] }, dependsOn: [] },
    };

    // WHEN the cleanup deletes them all
    const order = _cleanupOrder(resources, Object.keys(resources), []).map((s) => ('old' in s ? s.old.physicalId : s.removed));

    // THEN each of them goes before the role it names
    for (const id of ['aCpu', 'bNight', 'cDeploy', 'dGroup']) expect(order.indexOf(id)).toBeLessThan(order.indexOf('zWeb'));
    expect(order).toHaveLength(5);
  });

  test('a downtime or alert group setting that names a deleted service by a literal name in its scopes goes before it', () => {
    // GIVEN logical IDs that alone would order the service first, and no recorded dependency (a hand-written template):
    // the handler leaves a service that a downtime or alert group setting still names in its scopes
    const resources = {
      zShop: { type: 'Custom::MackerelService', physicalId: 'shop', properties: { name: 'shop' }, dependsOn: [] },
      bNight: { type: 'Custom::MackerelDowntime', physicalId: 'd1', properties: { name: 'n', serviceScopes: ['shop'] }, dependsOn: [] },
      cDeploy: { type: 'Custom::MackerelDeploymentDowntime', physicalId: 'd2', properties: { name: 'd', serviceExcludeScopes: ['shop'] }, dependsOn: [] },
      dGroup: { type: 'Custom::MackerelAlertGroupSetting', physicalId: 'g1', properties: { name: 'g', serviceScopes: ['shop'] }, dependsOn: [] },
      aOther: { type: 'Custom::MackerelDowntime', physicalId: 'd3', properties: { name: 'o', serviceScopes: ['shop2'] }, dependsOn: [] },
    };

    // WHEN the cleanup deletes them all
    const order = _cleanupOrder(resources, Object.keys(resources), []).map((s) => ('old' in s ? s.old.physicalId : s.removed));

    // THEN each of them goes before the service it names; one naming another service keeps its place by its logical ID
    for (const id of ['bNight', 'cDeploy', 'dGroup']) expect(order.indexOf(id)).toBeLessThan(order.indexOf('zShop'));
    expect(order.indexOf('aOther')).toBeGreaterThan(order.indexOf('zShop'));
    expect(order).toHaveLength(5);
  });

  test('an expression monitor that reads a deleted service by service(...) goes before it; a look-alike leaves the service first', () => {
    // GIVEN logical IDs that alone would order the service first, and no recorded dependency: the handler leaves a
    // service an expression monitor still reads, which deleting it would leave alerting Unknown
    const expression = (text: string) => ({ type: 'Custom::MackerelMonitor', physicalId: text, properties: { type: 'expression', expression: text }, dependsOn: [] });
    const resources = {
      zShop: { type: 'Custom::MackerelService', physicalId: 'shop', properties: { name: 'shop' }, dependsOn: [] },
      aReads: expression('sum(service(shop, orders.count))'),
      bOther: expression('sum(service(shopx, orders.count))'),
      cLike: expression('sum(myservice(shop, orders.count))'),
    };

    // WHEN the cleanup deletes them all, or all but the monitor reading it
    const cleanup = (ids: string[]) => _cleanupOrder(resources, ids, []).map((s) => ('old' in s ? s.old.physicalId : s.removed));
    const order = cleanup(Object.keys(resources));
    const lookAlikes = cleanup(['zShop', 'bOther', 'cLike']);

    // THEN the monitor reading the service goes before it; those that only look alike leave the service first, by logical ID
    expect(order.indexOf('aReads')).toBeLessThan(order.indexOf('zShop'));
    expect(order).toHaveLength(4);
    expect(lookAlikes[0]).toBe('zShop');
    expect(lookAlikes).toHaveLength(3);
  });

  test('a monitor scoped to a deleted service or its roles alone goes before it, as that service\'s delete would delete it', () => {
    // GIVEN logical IDs that alone would order the service first, and no recorded dependency
    const host = (scopes: string[]) => ({ type: 'Custom::MackerelMonitor', physicalId: scopes.join(), properties: { type: 'host', scopes }, dependsOn: [] });
    const resources = {
      zShop: { type: 'Custom::MackerelService', physicalId: 'shop', properties: { name: 'shop' }, dependsOn: [] },
      aScoped: host(['shop', 'shop:web']),
      bAcross: host(['shop:web', 'store']),
    };

    // WHEN the cleanup deletes them all
    const order = _cleanupOrder(resources, ['zShop', 'aScoped', 'bAcross'], []).map((s) => ('old' in s ? s.old.physicalId : s.removed));

    // THEN the monitor scoped to the service alone goes before it; the other, which its delete only narrows, need not
    expect(order.indexOf('aScoped')).toBeLessThan(order.indexOf('zShop'));
    expect(order).toHaveLength(3);
  });
});
