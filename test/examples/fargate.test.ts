import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, CfnElement, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildExample, ExampleStacks } from '../../examples/fargate/example';
import { SHOP_WEB_ROLE } from '../../examples/fargate/roles';

interface ValidationReport {
  readonly pluginReports: Array<{
    readonly pluginName: string;
    readonly violations: Array<{ readonly ruleName: string; readonly violatingConstructs: Array<{ readonly constructPath: string }> }>;
  }>;
}

let outdir: string;
let stacks: ExampleStacks;
let template: Template;
let report: ValidationReport;

beforeAll(() => {
  outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-mackerel-example-'));
  const app = new App({ outdir });
  stacks = buildExample(app);
  // cdk-nag findings do not throw in-process: they set process.exitCode and land in the report.
  const exitCode = process.exitCode;
  try {
    app.synth();
  } finally {
    process.exitCode = exitCode;
  }
  report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
  template = Template.fromStack(stacks.service);
});

afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

describe('examples/fargate', () => {
  it('runs the AwsSolutions checks and leaves no unacknowledged finding', () => {
    const violations = report.pluginReports.flatMap((p) => p.violations.map((v) =>
      `${v.ruleName} at ${v.violatingConstructs.map((c) => c.constructPath).join(', ')}`));
    expect(violations).toEqual([]);
  });

  it('wires the AwsSolutions checks into the app: a finding nobody acknowledged is reported', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-mackerel-example-nag-'));
    try {
      const app = new App({ outdir: dir });
      buildExample(app);
      const extra = new Stack(app, 'Unreviewed');
      new ec2.Vpc(extra, 'Vpc', { maxAzs: 1, natGateways: 0 });
      const exitCode = process.exitCode;
      try {
        app.synth();
      } finally {
        process.exitCode = exitCode;
      }
      const unreviewed: ValidationReport = JSON.parse(fs.readFileSync(path.join(dir, 'validation-report.json'), 'utf8'));
      const findings = unreviewed.pluginReports.flatMap((p) => p.violations.flatMap((v) =>
        v.violatingConstructs.map((c) => `${v.ruleName} ${c.constructPath}`)));
      expect(findings).toContain('AwsSolutions-VPC7 Unreviewed/Vpc/Resource');
      expect(findings.filter((f) => !f.includes(' Unreviewed/'))).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs the agent in the ALB service task with the ECS platform and the shop:web role', () => {
    const taskDef = stacks.service.service.taskDefinition;
    const logical = stacks.service.getLogicalId(taskDef.node.defaultChild as CfnElement);
    const resource = template.toJSON().Resources[logical];
    const agent = resource.Properties.ContainerDefinitions
      .find((c: { Name: string }) => c.Name === 'mackerel-container-agent');
    expect(agent).toBeDefined();
    expect(agent.Environment).toEqual(expect.arrayContaining([
      { Name: 'MACKEREL_CONTAINER_PLATFORM', Value: 'ecs' },
      { Name: 'MACKEREL_ROLES', Value: SHOP_WEB_ROLE },
    ]));
    expect(SHOP_WEB_ROLE).toBe('shop:web');
  });

  it('passes the API key as a secret from Secrets Manager and never in the plain environment', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: Match.arrayWith([Match.objectLike({
        Name: 'mackerel-container-agent',
        Secrets: [{ Name: 'MACKEREL_APIKEY', ValueFrom: Match.objectLike({ 'Fn::Join': Match.anyValue() }) }],
        Environment: Match.not(Match.arrayWith([Match.objectLike({ Name: 'MACKEREL_APIKEY' })])),
      })]),
    });
    const valueFrom = JSON.stringify(template.toJSON().Resources);
    expect(valueFrom).toMatch(/secret:mackerel\/api-key/);
  });

  it('grants the execution role read on the key secret', () => {
    const role = stacks.service.service.taskDefinition.obtainExecutionRole();
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [stacks.service.resolve(role.roleName)],
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Action: Match.arrayWith(['secretsmanager:GetSecretValue']),
          Resource: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith([Match.stringLikeRegexp('secret:mackerel/api-key-\\?{6}')])]) }),
        })]),
      },
    });
  });

  it('fixes the cheap AwsSolutions findings: VPC flow log and Container Insights', () => {
    template.resourceCountIs('AWS::EC2::FlowLog', 1);
    template.hasResourceProperties('AWS::ECS::Cluster', {
      ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }],
    });
  });

  it('matches the whole-template snapshot', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });
});
