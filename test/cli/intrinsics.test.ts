import { describe, expect, test } from 'vitest';
import { _TemplateResource } from '../../src/cli/assembly';
import { _ResolveContext, _conditionHolds, _resolve, _stringifyScalars } from '../../src/cli/intrinsics';

type Produced = { [id: string]: { physicalId: string; data: { [k: string]: string } } };

function context(resources: { [id: string]: _TemplateResource }, produced: Produced = {}, extra: Partial<_ResolveContext> = {}) {
  const notices: string[] = [];
  const ctx: _ResolveContext = {
    stackName: 'Shop',
    stackId: 'arn:aws:cloudformation:ap-northeast-1:111122223333:stack/Shop/x',
    region: 'ap-northeast-1',
    account: '111122223333',
    resources,
    produced: (id) => produced[id],
    notice: (m) => notices.push(m),
    ...extra,
  };
  return { ctx, notices };
}

const RESOURCES: { [id: string]: _TemplateResource } = {
  Svc: { Type: 'Custom::MackerelService' },
  Cpu: { Type: 'Custom::MackerelMonitor' },
  Role: { Type: 'AWS::IAM::Role' },
  Bucket: { Type: 'AWS::S3::Bucket' },
};

describe('intrinsic functions', () => {
  test('Fn::FindInMap reads the template\'s Mappings, its keys resolved first; DefaultValue stands in for a missing key', () => {
    const mappings = { Thresholds: { 'ap-northeast-1': { warning: 70, names: ['a', 'b'] }, 'us-east-1': { warning: 80 } } };
    const { ctx } = context(RESOURCES, {}, { mappings, parameters: { Key: { Type: 'String', Default: 'names' } } });
    expect(_resolve({ 'Fn::FindInMap': ['Thresholds', { Ref: 'AWS::Region' }, 'warning'] }, ctx)).toBe(70);
    expect(_resolve({ 'Fn::FindInMap': [{ 'Fn::Join': ['', ['Thres', 'holds']] }, 'ap-northeast-1', { Ref: 'Key' }] }, ctx)).toEqual(['a', 'b']);
    expect(_resolve({ 'Fn::FindInMap': ['Thresholds', 'eu-west-1', 'warning', { DefaultValue: { Ref: 'AWS::Region' } }] }, ctx)).toBe('ap-northeast-1');
    expect(_resolve({ 'Fn::FindInMap': ['Thresholds', 'us-east-1', 'names', { DefaultValue: 'none' }] }, ctx)).toBe('none');
  });

  test('Fn::FindInMap of a key or map that does not exist is an error naming the map, the keys and what exists', () => {
    const { ctx } = context(RESOURCES, {}, { mappings: { Thresholds: { 'us-east-1': { warning: 80 } } } });
    expect(() => _resolve({ 'Fn::FindInMap': ['Thresholds', { Ref: 'AWS::Region' }, 'warning'] }, ctx))
      .toThrow(/^Fn::FindInMap \["Thresholds","ap-northeast-1","warning"\]: mapping "Thresholds" has no key "ap-northeast-1"; expected one of "us-east-1"$/);
    expect(() => _resolve({ 'Fn::FindInMap': ['Thresholds', 'us-east-1', 'critical'] }, ctx))
      .toThrow(/^Fn::FindInMap \["Thresholds","us-east-1","critical"\]: mapping "Thresholds" has no key "critical" under "us-east-1"; expected one of "warning"$/);
    expect(() => _resolve({ 'Fn::FindInMap': ['Names', 'us-east-1', 'warning', { DefaultValue: 'x' }] }, ctx))
      .toThrow(/^Fn::FindInMap \["Names","us-east-1","warning"\]: the template has no mapping "Names"; expected one of "Thresholds"$/);
    expect(() => _resolve({ 'Fn::FindInMap': ['Thresholds', 'us-east-1'] }, ctx))
      .toThrow(/^Fn::FindInMap \["Thresholds","us-east-1"\]: expected \[MapName, TopLevelKey, SecondLevelKey\], optionally with a fourth \{ DefaultValue: value \}$/);
    expect(() => _resolve({ 'Fn::FindInMap': ['Thresholds', 'us-east-1', 'warning', { Default: 1 }] }, ctx)).toThrow(/the fourth item is not \{ DefaultValue: value \}/);
  });

  test('Ref and Fn::GetAtt of a Mackerel resource give its physical ID and Data', () => {
    const { ctx } = context(RESOURCES, { Svc: { physicalId: 'shop', data: { Name: 'shop' } }, Cpu: { physicalId: 'm1', data: { MonitorId: 'm1' } } });
    expect(_resolve({ a: { Ref: 'Svc' }, b: { 'Fn::GetAtt': ['Cpu', 'MonitorId'] }, c: { 'Fn::GetAtt': 'Svc.Name' } }, ctx))
      .toEqual({ a: 'shop', b: 'm1', c: 'shop' });
  });

  test('an attribute the handler did not return is an error naming it', () => {
    const { ctx } = context(RESOURCES, { Cpu: { physicalId: 'm1', data: { MonitorId: 'm1' } } });
    expect(() => _resolve({ 'Fn::GetAtt': ['Cpu', 'Nope'] }, ctx)).toThrow(/Cpu\.Nope: the handler returned no attribute Nope; it returned MonitorId/);
  });

  test('an uncreated Mackerel resource fails, or gives the placeholder diff asks for', () => {
    expect(() => _resolve({ Ref: 'Svc' }, context(RESOURCES).ctx)).toThrow(/Svc is needed before Svc exists/);
    const { ctx } = context(RESOURCES, {}, { unknownPlaceholder: (w) => `<${w}>` });
    expect(_resolve({ 'Fn::GetAtt': ['Cpu', 'MonitorId'] }, ctx)).toBe('<Cpu.MonitorId>');
  });

  test('pseudo parameters come from the context', () => {
    const { ctx } = context(RESOURCES);
    expect(_resolve(['AWS::Region', 'AWS::AccountId', 'AWS::Partition', 'AWS::URLSuffix', 'AWS::StackName', 'AWS::StackId'].map((Ref) => ({ Ref })), ctx))
      .toEqual(['ap-northeast-1', '111122223333', 'aws', 'amazonaws.com', 'Shop', 'arn:aws:cloudformation:ap-northeast-1:111122223333:stack/Shop/x']);
  });

  test('AWS resources outside Mackerel get deterministic placeholders, unmistakably fake, and a notice (emulator)', () => {
    const { ctx, notices } = context(RESOURCES, {}, { placeholders: true });
    expect(_resolve({ 'Fn::GetAtt': ['Role', 'Arn'] }, ctx)).toBe('arn:aws:iam::111122223333:role/cdk-mackerel-placeholder/Role');
    expect(_resolve({ 'Fn::GetAtt': ['Bucket', 'Arn'] }, ctx)).toBe('arn:aws:s3:ap-northeast-1:111122223333:bucket/cdk-mackerel-placeholder/Bucket');
    expect(_resolve({ Ref: 'Bucket' }, ctx)).toBe('Bucket.placeholder.invalid');
    expect(_resolve({ 'Fn::Sub': 'https://${Bucket.DomainName}/' }, ctx)).toBe('https://Bucket.DomainName.placeholder.invalid/');
    expect(notices[0]).toBe('Role.Arn (AWS::IAM::Role) is not a Mackerel resource; using the placeholder arn:aws:iam::111122223333:role/cdk-mackerel-placeholder/Role');
  });

  test('against an organization, a value of a resource outside Mackerel is refused, naming the resource, the property path and the value', () => {
    const { ctx, notices } = context(RESOURCES, {}, { resource: 'Top' });
    const url = { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': ['Bucket', 'DomainName'] }, '/']] };
    expect(() => _resolve({ name: 'top', headers: [{ name: 'h', value: 'v' }, { name: 'Host', value: url }] }, ctx))
      .toThrow(new RegExp('^resource Top, property headers\\[1\\]\\.value, uses Bucket\\.DomainName \\(AWS::S3::Bucket\\), which is not a Mackerel resource: '
        + 'only CloudFormation knows its value, and cdk-mackerel does not read it from AWS; a placeholder is never sent to a real organization; '
        + 'expected the real value through a template parameter \\(CfnParameter\\) given with --parameters Shop:NAME=VALUE, '
        + 'or a run against the emulator \\(--emulator, or a local --api-base\\), which uses a placeholder$'));
    expect(() => _resolve({ roleArn: { 'Fn::GetAtt': ['Role', 'Arn'] } }, ctx)).toThrow(/^resource Top, property roleArn, uses Role\.Arn \(AWS::IAM::Role\)/);
    expect(notices).toEqual([]);
  });

  test('Fn::Join, Fn::Select, Fn::Split, Fn::Sub and Fn::GetAZs', () => {
    const { ctx } = context(RESOURCES, { Svc: { physicalId: 'shop', data: { Name: 'shop' } } });
    expect(_resolve({ 'Fn::Join': [':', [{ Ref: 'Svc' }, 'web']] }, ctx)).toBe('shop:web');
    expect(_resolve({ 'Fn::Select': [1, { 'Fn::Split': [',', 'a,b,c'] }] }, ctx)).toBe('b');
    expect(_resolve({ 'Fn::Split': ['::', { 'Fn::Join': ['::', ['a', { Ref: 'Svc' }, '', 'd']] }] }, ctx)).toEqual(['a', 'shop', '', 'd']);
    expect(_resolve({ 'Fn::Sub': '${Svc}-${AWS::Region}-${Svc.Name}-${!Literal}' }, ctx)).toBe('shop-ap-northeast-1-shop-${Literal}');
    expect(_resolve({ 'Fn::Sub': ['${X}/${AWS::AccountId}', { X: { Ref: 'Svc' } }] }, ctx)).toBe('shop/111122223333');
    // A name every object inherits is neither a variable the map gives nor a parameter, resource or condition of the template.
    expect(() => _resolve({ 'Fn::Sub': ['${constructor}-${AWS::Region}', { X: 'x' }] }, ctx)).toThrow(/^Ref constructor names nothing in the template/);
    expect(() => _resolve({ Ref: 'toString' }, ctx)).toThrow(/^Ref toString names nothing in the template/);
    expect(() => _resolve({ 'Fn::GetAtt': ['valueOf', 'Arn'] }, ctx)).toThrow(/valueOf/);
    expect(() => _resolve({ 'Fn::If': ['hasOwnProperty', 'a', 'b'] }, ctx)).toThrow(/^condition hasOwnProperty is not in the template/);
    expect(_resolve({ 'Fn::Select': [0, { 'Fn::GetAZs': '' }] }, ctx)).toBe('ap-northeast-1a');
    expect(() => _resolve({ 'Fn::Select': [5, ['a']] }, ctx)).toThrow(/Fn::Select index 5 is out of range for a list of 1/);
  });

  test('Fn::If and conditions, AWS::NoValue drops the property', () => {
    const conditions = { IsProd: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'ap-northeast-1'] }, NotProd: { 'Fn::Not': [{ Condition: 'IsProd' }] } };
    const { ctx } = context(RESOURCES, {}, { conditions });
    expect(_resolve({ a: { 'Fn::If': ['IsProd', 'p', 'd'] }, b: { 'Fn::If': ['NotProd', 'x', { Ref: 'AWS::NoValue' }] } }, ctx)).toEqual({ a: 'p' });
    expect(_conditionHolds({ Type: 'Custom::MackerelService', Condition: 'NotProd' }, ctx)).toBe(false);
    expect(() => _resolve({ 'Fn::If': ['Missing', 'a', 'b'] }, ctx)).toThrow(/condition Missing is not in the template/);
  });

  test('an unsupported function is a clear error', () => {
    expect(() => _resolve({ 'Fn::Cidr': ['10.0.0.0/16', 2, 8] }, context(RESOURCES).ctx)).toThrow(/^Fn::Cidr is not supported by cdk-mackerel's local resolver; expected Ref, .*Fn::FindInMap/);
  });

  test('Fn::ImportValue reads the export named by its resolved argument', () => {
    // GIVEN a context that knows one export, named after the region as hand-written templates do
    const asked: string[] = [];
    const { ctx } = context(RESOURCES, {}, { importValue: (name) => (asked.push(name), name === 'ap-northeast-1-ServiceName' ? 'shop' : undefined) });

    // WHEN a property imports it through Fn::Sub
    const value = _resolve({ scopes: [{ 'Fn::ImportValue': { 'Fn::Sub': '${AWS::Region}-ServiceName' } }] }, ctx);

    // THEN the export's value takes its place
    expect(value).toEqual({ scopes: ['shop'] });
    expect(asked).toEqual(['ap-northeast-1-ServiceName']);
  });

  test('Fn::ImportValue without other stacks is an error naming the export', () => {
    expect(() => _resolve({ 'Fn::ImportValue': 'Base:ServiceName' }, context(RESOURCES).ctx))
      .toThrow(/^Shop: Fn::ImportValue "Base:ServiceName": no stack of the app exports that name/);
  });

  test('a parameter without a default cannot be resolved locally', () => {
    const { ctx } = context(RESOURCES, {}, { parameters: { Env: { Default: 'prod' }, Secret: {} } });
    expect(_resolve({ Ref: 'Env' }, ctx)).toBe('prod');
    expect(() => _resolve({ Ref: 'Secret' }, ctx)).toThrow(/parameter Secret has no Default/);
  });

  test('Ref of an SSM-typed parameter is refused, never its Default (the SSM name); for the emulator a placeholder naming it, reported', () => {
    const parameters = {
      Memo: { Type: 'AWS::SSM::Parameter::Value<String>', Default: '/shop/memo' },
      Emails: { Type: 'AWS::SSM::Parameter::Value<List<String>>', Default: '/shop/emails' },
    };
    expect(() => _resolve({ memo: { Ref: 'Memo' } }, context(RESOURCES, {}, { parameters, resource: 'Svc' }).ctx))
      .toThrow(/^resource Svc, property memo, uses parameter Memo \(AWS::SSM::Parameter::Value<String>\): CloudFormation passes the value of SSM parameter \/shop\/memo, which cdk-mackerel does not read/);
    const { ctx, notices } = context(RESOURCES, {}, { parameters, placeholders: true });
    expect(_resolve({ Ref: 'Memo' }, ctx)).toBe('https://ssm.emulator.invalid/shop/memo');
    expect(_resolve({ Ref: 'Emails' }, ctx)).toEqual(['https://ssm.emulator.invalid/shop/emails']);
    expect(notices[0]).toBe('parameter Memo (AWS::SSM::Parameter::Value<String>) is not read from SSM parameter /shop/memo for the emulator; using the placeholder https://ssm.emulator.invalid/shop/memo');
  });

  test('Ref of a CommaDelimitedList or List<...> parameter is a list of the trimmed items, as CloudFormation gives it', () => {
    const { ctx } = context(RESOURCES, {}, {
      parameters: {
        Scopes: { Type: 'CommaDelimitedList', Default: 'shop: web , shop:db' },
        Subnets: { Type: 'List<AWS::EC2::Subnet::Id>', Default: 'subnet-1,subnet-2' },
        Single: { Type: 'CommaDelimitedList', Default: 'shop' },
        Text: { Type: 'String', Default: 'a,b' },
      },
    });
    expect(_resolve({ Ref: 'Scopes' }, ctx)).toEqual(['shop: web', 'shop:db']);
    expect(_resolve({ Ref: 'Subnets' }, ctx)).toEqual(['subnet-1', 'subnet-2']);
    expect(_resolve({ Ref: 'Single' }, ctx)).toEqual(['shop']);
    expect(_resolve({ Ref: 'Text' }, ctx)).toBe('a,b');
    expect(_resolve({ 'Fn::Join': ['|', { Ref: 'Scopes' }] }, ctx)).toBe('shop: web|shop:db');
  });
});

describe('CloudFormation stringification', () => {
  test('every scalar becomes a string at any depth; shapes stay', () => {
    expect(_stringifyScalars({ warning: 80, isMute: false, scopes: ['a'], headers: [{ n: 1 }], rec: { interval: 2.5 } }))
      .toEqual({ warning: '80', isMute: 'false', scopes: ['a'], headers: [{ n: '1' }], rec: { interval: '2.5' } });
  });
});
