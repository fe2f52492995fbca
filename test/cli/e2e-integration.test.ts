import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { beforeEach, describe, expect, test } from 'vitest';
import { addProvider, cli, useEmulatorPerFile, workDir } from './_fixture';
import { AwsIntegrationService, MackerelAwsIntegration } from '../../src/integration';
import { MackerelService } from '../../src/service';

const shared = useEmulatorPerFile();
beforeEach(() => shared.emulator.reset());

/** The construct id and name of the integration, and its stack's name, can be changed. */
interface Version {
  readonly id?: string;
  readonly name?: string;
  readonly stackName?: string;
  /** An RDS service too, with the role shop:db. */
  readonly rds?: boolean;
}

function synth(dir: string, v: Version = {}): string {
  const outdir = join(dir, 'cdk.out');
  const app = new App({ outdir });
  const stack = new Stack(app, v.stackName ?? 'Aws', { env: { account: '444455556666', region: 'ap-northeast-1' } });
  addProvider(stack);
  new MackerelService(stack, 'Shop', { name: 'shop' }).addRole('ecs');
  const aws = new MackerelAwsIntegration(stack, v.id ?? 'Integration', { name: v.name ?? 'prod' });
  aws.addService(AwsIntegrationService.ECS_CLUSTER, { role: 'shop:ecs' });
  if (v.rds) aws.addService(AwsIntegrationService.RDS, { role: 'shop:ecs' });
  app.synth();
  return outdir;
}

describe('an AWS integration: IAM role placeholders and the stack environment', () => {
  test('the role ARN is a placeholder in the stack\'s account, the region the stack\'s; destroy removes the integration', async () => {
    const assembly = synth(workDir());
    const base = ['--api-base', shared.emulator.url];
    const run = await cli(['apply', assembly, ...base]);
    expect(run.code).toBe(0);
    expect(run.err).toMatch(/^notice: Integration\w*\.Arn \(AWS::IAM::Role\) is not a Mackerel resource; using the placeholder arn:aws:iam::444455556666:role\/cdk-mackerel-placeholder\/Integration\w+$/m);
    expect(run.out).toMatch(/created\s+AwsIntegrationExternalId/);
    expect(run.out).toMatch(/created\s+AwsIntegration\s+Aws\/Integration\w* \S+ "prod"/);
    const [integration] = shared.emulator.state().awsIntegrations as any[];
    expect(integration).toMatchObject({ name: 'prod', region: 'ap-northeast-1', roleArn: expect.stringMatching(/^arn:aws:iam::444455556666:role\/cdk-mackerel-placeholder\/Integration/) });
    expect((await cli(['diff', assembly, ...base])).out).toBe('No differences.');

    expect((await cli(['apply', assembly, ...base, '--destroy'])).code).toBe(0);
    expect(shared.emulator.state().awsIntegrations).toEqual([]);
    expect(shared.emulator.state().services).toEqual([]);
  });
});

describe('an AWS integration moved to a new logical ID', () => {
  const writes = (from: number) => shared.emulator.requests().slice(from).filter((r) => r.method !== 'GET');

  test('apply and diff refuse the move before anything is sent; a new name for one apply moves it', async () => {
    // GIVEN an applied integration named "prod"
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url];
    expect((await cli(['apply', synth(dir), ...base])).code).toBe(0);
    const [before] = shared.emulator.state().awsIntegrations as any[];
    const from = shared.emulator.requests().length;

    // WHEN its construct gets a new id, keeping the name
    const moved = synth(dir, { id: 'Moved' });
    const diff = await cli(['diff', moved, ...base]);
    const run = await cli(['apply', moved, ...base]);

    // THEN both refuse, saying why and what to do, and nothing is sent (no external ID is issued)
    const why = 'Aws/Moved\\w* would create an AWS integration named "prod", the name of Custom::MackerelAwsIntegration Aws/Integration\\w*, '
      + 'which this run deletes only after the create \\(as CloudFormation does\\); AWS integration names are unique in the Mackerel organization, '
      + 'so the create would fail on every run, each time leaving an unused external ID. Keep the integration\'s construct id \\(and stack\\) '
      + 'so that it stays Integration\\w*, or give it a new name for one apply and the old name back in the next';
    expect(diff.code).toBe(2);
    expect(diff.err).toMatch(new RegExp(`^cdk-mackerel: apply would refuse this run: ${why}`));
    expect(run.code).toBe(2);
    expect(run.err).toMatch(new RegExp(`^cdk-mackerel: ${why}; nothing was changed$`));
    expect(writes(from)).toEqual([]);
    expect(shared.emulator.state().awsIntegrations).toEqual([before]);

    // WHEN it moves under a new name for one apply, then takes the old name back
    expect((await cli(['apply', synth(dir, { id: 'Moved', name: 'prod-moving' }), ...base])).code).toBe(0);
    const back = await cli(['apply', synth(dir, { id: 'Moved' }), ...base]);

    // THEN the old integration is gone and the moved one is named "prod" again, updated in place
    expect(back.code).toBe(0);
    expect(back.out).toMatch(/updated\s+AwsIntegration\s+Aws\/Moved\w*/);
    const after = shared.emulator.state().awsIntegrations as any[];
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ name: 'prod' });
    expect(after[0].id).not.toBe(before.id);
  });

  test('a create under the name of an integration the run keeps (another stack of the state) is refused too', async () => {
    // GIVEN stack Aws applied with "prod", and a new stack that the same state file will hold
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url];
    expect((await cli(['apply', synth(dir), ...base])).code).toBe(0);
    const from = shared.emulator.requests().length;

    // WHEN an app without stack Aws creates "prod" in stack Other
    const run = await cli(['apply', synth(dir, { stackName: 'Other' }), ...base]);

    // THEN it is refused before anything is sent
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/^cdk-mackerel: Other\/Integration\w* would create an AWS integration named "prod", the name of Custom::MackerelAwsIntegration Aws\/Integration\w*, which stays after this run; .* Give one of them another name, or remove Custom::MackerelAwsIntegration Aws\/Integration\w* first; nothing was changed$/);
    expect(writes(from)).toEqual([]);
  });
});

describe('an AWS integration made outside cdk-mackerel under the name', () => {
  const post = async (path: string, body: object) => fetch(`${shared.emulator.url}api/v0/${path}`, {
    method: 'POST', headers: { 'X-Api-Key': shared.emulator.apiKey, 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });

  test('diff says the create will fail, as apply then fails on it, and keeps its stdout', async () => {
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
    const outdir = synth(dir);
    const before = await cli(['diff', outdir, ...base]);
    // GIVEN an integration named "prod" made outside cdk-mackerel
    const { externalId } = await (await post('aws-integrations-external-id', {})).json() as { externalId: string };
    const made = await post('aws-integrations', { name: 'prod', region: 'us-east-1', roleArn: 'arn:aws:iam::111122223333:role/theirs', externalId });
    expect(made.status).toBe(200);
    const { id } = await made.json() as { id: string };

    // WHEN diff runs
    const diff = await cli(['diff', outdir, ...base]);

    // THEN its stdout is as before, and stderr says that Mackerel will refuse the create
    expect(diff.out).toBe(before.out);
    expect(diff.out).toMatch(/^\+ create +AwsIntegration +Aws\/Integration\w* "prod"$/m);
    const logicalId = /Aws\/(Integration\w*) "prod"/.exec(diff.out)![1];
    expect(diff.err.split('\n').filter((l) => l.startsWith('notice: Aws/Integration'))).toEqual([
      `notice: Aws/${logicalId}: apply's create will fail: an AWS integration named "prod" exists in Mackerel (ID "${id}"), which no resource of the `
        + 'state file holds: made outside cdk-mackerel, or left by a create whose result was not saved; AWS integration names are unique in the Mackerel '
        + 'organization and the handler takes no existing AWS integration over, so Mackerel refuses the create, on every run. Give the AWS integration '
        + 'another name, or delete that one in Mackerel',
    ]);
    const apply = await cli(['apply', outdir, ...base]);
    expect(apply.code).toBe(2);
    expect(apply.err).toMatch(/an AWS integration named "prod" already exists/);

    // AND an integration of another name says nothing
    const renamed = await cli(['diff', synth(dir, { name: 'staging' }), ...base]);
    expect(renamed.err).not.toMatch(/apply's create will fail/);
  });
});

test('an AWS integration the state holds, deleted outside, that apply re-creates where another has its name: diff says the create will fail', async () => {
  const dir = workDir();
  const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
  const headers = { 'X-Api-Key': shared.emulator.apiKey, 'Content-Type': 'application/json' };
  expect((await cli(['apply', synth(dir), ...base])).code).toBe(0);
  const [held] = shared.emulator.state().awsIntegrations as any[];
  // GIVEN the integration deleted in Mackerel, and another one named "prod" made there
  expect((await fetch(`${shared.emulator.url}api/v0/aws-integrations/${held.id}`, { method: 'DELETE', headers })).status).toBe(200);
  const { externalId } = await (await fetch(`${shared.emulator.url}api/v0/aws-integrations-external-id`, { method: 'POST', headers, body: '{}' })).json() as any;
  const made = await fetch(`${shared.emulator.url}api/v0/aws-integrations`, {
    method: 'POST', headers, body: JSON.stringify({ name: 'prod', region: 'us-east-1', roleArn: 'arn:aws:iam::111122223333:role/theirs', externalId }),
  });
  const { id } = await made.json() as { id: string };
  // WHEN the template changes it, so that apply re-creates it
  const outdir = synth(dir, { rds: true });
  const diff = await cli(['diff', outdir, ...base]);
  // THEN diff says that the create will fail, as it then does
  expect(diff.out).toMatch(/^! replace +AwsIntegration +Aws\/Integration\w* \w+ "prod"/m);
  expect(diff.err).toContain(`: apply's create will fail: an AWS integration named "prod" exists in Mackerel (ID "${id}"), which no resource of the state file holds`);
  const apply = await cli(['apply', outdir, ...base]);
  expect(apply.code).toBe(2);
  expect(apply.err).toMatch(/an AWS integration named "prod" already exists/);
});
