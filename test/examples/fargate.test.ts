import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as YAML from 'yaml';
import { buildExample, ExampleStacks } from '../../examples/fargate/example';
import { fullName, ROLE, SHOP_WEB_ROLE } from '../../examples/fargate/roles';
import { MackerelAgentImage } from '../../src/agent';
import { Downtime, RoleMonitorKind } from '../../src/alerting';
import { _RESOURCE_TYPES } from '../../src/provider/_properties';

interface ValidationReport {
  readonly pluginReports: Array<{
    readonly pluginName: string;
    readonly violations: Array<{ readonly ruleName: string; readonly violatingConstructs: Array<{ readonly constructPath: string }> }>;
  }>;
}

let outdir: string;
let stacks: ExampleStacks;
/** Runs the app as `cdk synth` would, whatever NODE_ENV says. */
const APP_MODE = '@aws-cdk/core:appMode';

let template: Template;
let report: ValidationReport;

beforeAll(() => {
  outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-mackerel-example-'));
  const app = new App({ outdir, context: { [APP_MODE]: 'process' } });
  stacks = buildExample(app);
  // As under `cdk synth`, cdk-nag findings set process.exitCode and land in the report (APP_MODE keeps
  // aws-cdk-lib 2.276+ from throwing instead in a test process; earlier versions ignore it).
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

  it('acknowledges on the AWS integration only wildcard actions its policy grants: another one raises its own finding', () => {
    const aws = stacks.service.awsIntegration;
    const acknowledged = aws.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.keys(m.data as object))
      .flatMap((id) => /^AwsSolutions-IAM5\[Action::(.+)\]$/.exec(id)?.[1] ?? []);
    const granted = (stacks.service.resolve((aws.policy.node.defaultChild as CfnElement & { policyDocument: unknown }).policyDocument)
      .Statement as Array<{ Action: string | string[] }>).flatMap((statement) => statement.Action);
    expect(acknowledged.length).toBeGreaterThan(0);
    expect(acknowledged.filter((action) => !granted.includes(action))).toEqual([]);
  });

  it('wires the AwsSolutions checks into the app: a finding nobody acknowledged is reported', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-mackerel-example-nag-'));
    try {
      // As `cdk synth` runs the app: aws-cdk-lib 2.276 throws instead of setting the exit code in a test process.
      const app = new App({ outdir: dir, context: { [APP_MODE]: 'process' } });
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
    // The role is a reference to the Mackerel role resource (physical ID "shop:web"), so the
    // tasks start only after the stack has created the role they join.
    expect(agent.Environment).toEqual(expect.arrayContaining([
      { Name: 'MACKEREL_CONTAINER_PLATFORM', Value: 'ecs' },
      { Name: 'MACKEREL_ROLES', Value: stacks.service.resolve(stacks.service.mackerel.roles.web.fullName) },
    ]));
    expect(stacks.service.resolve(stacks.service.mackerel.roles.web.fullName)).toEqual({ Ref: expect.stringMatching(/^MackerelShopweb/) });
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

  it('declares the shop service and every role its hosts join, once, in the service stack', () => {
    template.resourcePropertiesCountIs(_RESOURCE_TYPES.SERVICE, { name: 'shop' }, 1);
    const roles = Object.values(template.findResources(_RESOURCE_TYPES.ROLE)).map((r) => r.Properties.name).sort();
    expect(roles).toEqual(Object.values(ROLE).slice().sort());
    expect(Template.fromStack(stacks.batch).toJSON().Resources).not.toHaveProperty([expect.stringMatching(/Mackerel/)]);
    const batchTypes = new Set(Object.values(Template.fromStack(stacks.batch).toJSON().Resources).map((r: any) => r.Type));
    expect([...batchTypes].filter((t) => String(t).startsWith('Custom::Mackerel'))).toEqual([]);
  });

  it('integrates the cluster and the load balancer agentlessly, with the same role strings', () => {
    const { mackerel } = stacks.service;
    template.hasResourceProperties(_RESOURCE_TYPES.AWS_INTEGRATION, {
      name: 'shop-aws',
      includedTags: 'mackerel-service:shop',
      services: {
        ECSCluster: { enable: true, role: stacks.service.resolve(mackerel.roles.ecs.fullName) },
        ALB: { enable: true, role: stacks.service.resolve(mackerel.roles.alb.fullName), retireAutomatically: true },
      },
    });
    template.hasResourceProperties('AWS::ECS::Cluster', {
      Tags: Match.arrayWith([{ Key: 'mackerel-service', Value: 'shop' }]),
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Tags: Match.arrayWith([{ Key: 'mackerel-service', Value: 'shop' }]),
    });
  });

  it('its weekly maintenance downtime repeats for ever in windows shorter than a week: built years from now, it warns neither downtimeOver nor downtimeOverlap', () => {
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2100-01-01T00:00:00Z') });
    try {
      const later = buildExample(new App({ context: { [APP_MODE]: 'process' } }));
      const downtimes = later.service.node.findAll().filter((c): c is Downtime => c instanceof Downtime);
      expect(downtimes).toHaveLength(1);
      const warnings = downtimes[0].node.metadata.filter((m) => m.type === 'aws:cdk:warning').map((m) => String(m.data));
      expect(warnings.filter((w) => /cdk-mackerel:downtimeOver(lap)?\b/.test(w))).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('alerts through Slack (URL kept in Secrets Manager) and mail, in one notification group, with a weekly maintenance downtime', () => {
    const { mackerel, notificationGroup } = stacks.service;
    template.hasResourceProperties(_RESOURCE_TYPES.CHANNEL, {
      type: 'slack', name: 'shop-ops', url: '{{resolve:secretsmanager:mackerel/slack-webhook:SecretString:url::}}',
    });
    template.hasResourceProperties(_RESOURCE_TYPES.CHANNEL, { type: 'email', name: 'shop-oncall', emails: ['oncall@example.com'] });
    template.hasResourceProperties(_RESOURCE_TYPES.NOTIFICATION_GROUP, {
      name: 'shop-ops',
      childChannelIds: Match.arrayWith([Match.objectLike({ Ref: Match.stringLikeRegexp('^MackerelSlack') })]),
      services: [{ name: stacks.service.resolve(mackerel.service.name) }],
    });
    expect(stacks.service.resolve(notificationGroup.notificationGroupId)).toEqual({ Ref: expect.stringMatching(/^MackerelOps/) });
    template.hasResourceProperties(_RESOURCE_TYPES.DOWNTIME, {
      name: 'shop weekly maintenance',
      duration: 60,
      recurrence: { type: 'weekly', interval: 1, weekdays: ['Sunday'] },
      serviceScopes: [stacks.service.resolve(mackerel.service.name)],
    });
    // The provider's Lambda reads the Slack secret, and nothing else of Secrets Manager besides the API key.
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement)
      .filter((st: any) => JSON.stringify(st.Action).includes('secretsmanager:GetSecretValue'));
    expect(JSON.stringify(statements)).toContain(':secret:mackerel/slack-webhook-??????');
    expect(JSON.stringify(template.toJSON())).not.toMatch(/hooks\.slack\.com/);
  });

  it('gives the web role its default alerts, with the front page through the load balancer, routed to the shop\'s group', () => {
    const { webAlerts, notificationGroup, mackerel, service } = stacks.service;
    const role = stacks.service.resolve(mackerel.roles.web.fullName);
    const kinds = ['connectivity', 'containerCpu', 'containerMemory', 'externalHttp'] as RoleMonitorKind[];
    for (const kind of kinds) expect(webAlerts.monitorsOfKind(kind)).toHaveLength(1);
    template.hasResourceProperties(_RESOURCE_TYPES.MONITOR, { type: 'host', metric: 'container-cpu%', warning: 75, critical: 90, scopes: [role] });
    template.hasResourceProperties(_RESOURCE_TYPES.MONITOR, { type: 'connectivity', alertStatusOnGone: 'WARNING', scopes: [role] });
    template.hasResourceProperties(_RESOURCE_TYPES.MONITOR, {
      type: 'external',
      url: { 'Fn::Join': ['', ['http://', stacks.service.resolve(service.loadBalancer.loadBalancerDnsName), '/']] },
      service: stacks.service.resolve(mackerel.service.name),
    });
    template.hasResourceProperties(_RESOURCE_TYPES.NOTIFICATION_GROUP, {
      name: 'shop-ops',
      monitors: Match.arrayWith(webAlerts.monitors.map((m) => ({ id: stacks.service.resolve(m.monitorId), skipDefault: false }))),
    });
    expect(notificationGroup).toBeDefined();
  });

  it('watches the web service\'s running tasks from the ECS cluster\'s integration host, in the role the integration gives it', () => {
    const { clusterAlert, webAlerts, mackerel } = stacks.service;
    const ecsRole = stacks.service.resolve(mackerel.roles.ecs.fullName);
    template.hasResourceProperties(_RESOURCE_TYPES.MONITOR, {
      type: 'host', name: 'shop-web running tasks', metric: 'ecs.running_task.shop-web.count', operator: '<', warning: 2, duration: 10, scopes: [ecsRole],
    });
    template.hasResourceProperties(_RESOURCE_TYPES.AWS_INTEGRATION, { services: Match.objectLike({ ECSCluster: { enable: true, role: ecsRole } }) });
    template.hasResourceProperties('AWS::ECS::Service', { ServiceName: 'shop-web' });
    template.hasResourceProperties(_RESOURCE_TYPES.NOTIFICATION_GROUP, {
      name: 'shop-ops',
      monitors: [...webAlerts.monitors, clusterAlert].map((m) => ({ id: stacks.service.resolve(m.monitorId), skipDefault: false })),
    });
  });

  it('gives the on-call one dashboard: running tasks against the desired count, and the web and cluster alerts', () => {
    const { mackerel } = stacks.service;
    const [ecsRole, webRole] = [mackerel.roles.ecs, mackerel.roles.web].map((role) => stacks.service.resolve(role.fullName));
    template.hasResourceProperties(_RESOURCE_TYPES.DASHBOARD, {
      title: 'shop',
      urlPath: 'shop',
      widgets: [
        Match.objectLike({
          type: 'graph',
          graph: { type: 'expression', expression: { 'Fn::Join': ['', ['role(', ecsRole, ', ecs.running_task.shop-web.count)']] } },
          referenceLines: [{ label: 'desired', value: 2 }],
          layout: { x: 0, y: 0, width: 12, height: 6 },
        }),
        Match.objectLike({ type: 'alertStatus', roleFullname: webRole, layout: { x: 12, y: 0, width: 6, height: 6 } }),
        Match.objectLike({ type: 'alertStatus', roleFullname: ecsRole, layout: { x: 18, y: 0, width: 6, height: 6 } }),
      ],
    });
  });

  it('marks each deploy on the web role\'s graphs once the web service has rolled out', () => {
    const annotations = Object.values(template.findResources(_RESOURCE_TYPES.GRAPH_ANNOTATION));
    expect(annotations).toHaveLength(1);
    const [annotation] = annotations as Array<{ Properties: any; DependsOn: string[] }>;
    expect(annotation.Properties).toMatchObject({ title: 'deploy CdkMackerelFargateExample', roles: ['web'], revision: expect.stringMatching(/^[0-9a-f]{12}$/) });
    const ecsServices = Object.keys(template.findResources('AWS::ECS::Service'));
    expect(ecsServices.length).toBeGreaterThan(0);
    expect(annotation.DependsOn).toEqual(expect.arrayContaining(ecsServices));
  });

  it('mutes the running-tasks alert for 20 minutes from the start of each deploy, before the web service rolls out', () => {
    const { clusterAlert } = stacks.service;
    const downtimes = template.findResources(_RESOURCE_TYPES.DEPLOYMENT_DOWNTIME);
    expect(Object.values(downtimes)).toEqual([expect.objectContaining({
      Properties: {
        ServiceToken: expect.anything(),
        name: 'deploy CdkMackerelFargateExample',
        duration: 20,
        revision: expect.stringMatching(/^[0-9a-f]{12}$/),
        monitorScopes: [stacks.service.resolve(clusterAlert.monitorId)],
      },
    })]);
    const [webService] = Object.values(template.findResources('AWS::ECS::Service')) as Array<{ DependsOn: string[] }>;
    expect(webService.DependsOn).toContain(Object.keys(downtimes)[0]);
  });

  it('marks the web tasks that crash, fail to start or fail their health checks, queued for the provider handler', () => {
    const rules = Object.values(template.findResources('AWS::Events::Rule')) as Array<{ Properties: any }>;
    expect(rules).toHaveLength(1);
    const { EventPattern: pattern, Targets: [target] } = rules[0].Properties;
    const webService = stacks.service.getLogicalId(stacks.service.service.service.node.defaultChild as CfnElement);
    expect(pattern.detail.group).toEqual([{ 'Fn::Join': ['', ['service:', { 'Fn::GetAtt': [webService, 'Name'] }]] }]);
    expect(pattern.detail.$or).toHaveLength(2);
    const queues = template.findResources('AWS::SQS::Queue', { Properties: { ContentBasedDeduplication: true } });
    expect(Object.keys(queues)).toHaveLength(1);
    expect(target.Arn).toEqual({ 'Fn::GetAtt': [Object.keys(queues)[0], 'Arn'] });
    expect(target.InputTransformer.InputTemplate['Fn::Join'][1].slice(2)).toEqual(
      ['","roles":["web"],"mergeWindowSeconds":600,"queueUrl":"', { Ref: Object.keys(queues)[0] }, '","maxReceiveCount":8,"detail":<detail>}']);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: stacks.service.getLogicalId(stacks.service.mackerel.provider.handler.node.defaultChild as CfnElement) },
      EventSourceArn: { 'Fn::GetAtt': [Object.keys(queues)[0], 'Arn'] },
    });
  });

  it('matches the whole-template snapshot', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });
});

describe('examples/fargate: the batch stack, instrumented by the Aspect', () => {
  const AGENT = 'mackerel-container-agent';
  let batch: Template;
  beforeAll(() => {
    batch = Template.fromStack(stacks.batch);
  });

  function containersOf(taskDefinition: ecs.TaskDefinition): Array<{ [key: string]: any }> {
    const logical = stacks.batch.getLogicalId(taskDefinition.node.defaultChild as CfnElement);
    return batch.toJSON().Resources[logical].Properties.ContainerDefinitions;
  }
  function agentEnvironment(taskDefinition: ecs.TaskDefinition): { [name: string]: unknown } {
    const agents = containersOf(taskDefinition).filter((c) => c.Name === AGENT);
    expect(agents).toHaveLength(1);
    return Object.fromEntries(agents[0].Environment.map((e: { Name: string; Value: unknown }) => [e.Name, e.Value]));
  }

  it('adds exactly one agent to each of five task definitions of different kinds, with its roles', () => {
    const b = stacks.batch;
    const expected: Array<[ecs.TaskDefinition, string]> = [
      [b.api.taskDefinition, fullName(ROLE.API)],
      [b.worker.taskDefinition, fullName(ROLE.WORKER)],
      [b.nightly.taskDefinition, fullName(ROLE.BATCH)],
      [b.migrate, fullName(ROLE.BATCH)],
      [b.report, fullName(ROLE.BATCH)],
    ];
    expect(expected.filter(([t]) => t instanceof ecs.FargateTaskDefinition)).toHaveLength(4);
    expect(expected.filter(([t]) => t instanceof ecs.Ec2TaskDefinition)).toHaveLength(1);
    batch.resourceCountIs('AWS::ECS::TaskDefinition', expected.length);
    for (const [taskDefinition, role] of expected) {
      expect(agentEnvironment(taskDefinition)).toMatchObject({ MACKEREL_CONTAINER_PLATFORM: 'ecs', MACKEREL_ROLES: role });
    }
  });

  it('gives the API its plugins and a readiness probe on its own port, delivered from S3, and the others none', () => {
    const b = stacks.batch;
    const api = containersOf(b.api.taskDefinition).find((c) => c.Name === AGENT)!;
    expect(api.Image).toBe(MackerelAgentImage.DEFAULT_PLUGINS.imageName);
    const location = JSON.stringify(agentEnvironment(b.api.taskDefinition).MACKEREL_AGENT_CONFIG);
    const hash = /([0-9a-f]{64})\.yml/.exec(location)?.[1];
    expect(hash).toBeDefined();
    const config = YAML.parse(fs.readFileSync(path.join(outdir, `asset.${hash}.yml`), 'utf8'));
    expect(config).toEqual({
      plugin: {
        metrics: { 'linux-tcp': { command: ['mackerel-plugin-linux', '-type=tcp'], timeoutSeconds: 30 } },
        checks: { 'api-http': { command: ['check-http', '-u', 'http://localhost/'], memo: 'the API answers on its port' } },
      },
      readinessProbe: { http: { path: '/', port: 80 }, initialDelaySeconds: 5 },
    });
    for (const other of [b.worker.taskDefinition, b.nightly.taskDefinition, b.migrate, b.report]) {
      expect(agentEnvironment(other).MACKEREL_AGENT_CONFIG).toBeUndefined();
      expect(containersOf(other).find((c) => c.Name === AGENT)!.Image).toBe(MackerelAgentImage.DEFAULT.imageName);
    }
    batch.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [stacks.batch.resolve(b.api.taskDefinition.taskRole.roleName)],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 's3:GetObject' })]) },
    });
  });

  it('every app container waits for the agent to start', () => {
    const b = stacks.batch;
    for (const taskDefinition of [b.api.taskDefinition, b.worker.taskDefinition, b.nightly.taskDefinition, b.migrate, b.report]) {
      const apps = containersOf(taskDefinition).filter((c) => c.Name !== AGENT);
      for (const app of apps) expect(app.DependsOn).toEqual([{ ContainerName: AGENT, Condition: 'START' }]);
    }
  });

  it('deploys after the service stack, whose roles its agents register in', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'manifest.json'), 'utf8'));
    expect(manifest.artifacts[stacks.batch.artifactId].dependencies).toContain(stacks.service.artifactId);
  });

  it('leaves the service stack\'s agent (from the extension) to itself: the Aspect is scoped to the batch stack', () => {
    const containers = template.toJSON().Resources[stacks.service.getLogicalId(stacks.service.service.taskDefinition.node.defaultChild as CfnElement)]
      .Properties.ContainerDefinitions;
    expect(containers.filter((c: { Name: string }) => c.Name === AGENT)).toHaveLength(1);
  });

  it('matches the whole-template snapshot', () => {
    expect(batch.toJSON()).toMatchSnapshot();
  });
});
