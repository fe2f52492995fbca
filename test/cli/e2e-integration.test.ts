import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, test } from 'vitest';
import { cli, useEmulatorPerFile, workDir } from './_fixture';
import { MackerelApiKey } from '../../src/api-key';
import { AwsIntegrationService, MackerelAwsIntegration } from '../../src/integration';
import { MackerelProvider } from '../../src/provider/provider';
import { MackerelService } from '../../src/service';

const shared = useEmulatorPerFile();

function synth(dir: string): string {
  const outdir = join(dir, 'cdk.out');
  const app = new App({ outdir });
  const stack = new Stack(app, 'Aws', { env: { account: '444455556666', region: 'ap-northeast-1' } });
  new MackerelProvider(stack, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(new secretsmanager.Secret(stack, 'Key')) });
  new MackerelService(stack, 'Shop', { name: 'shop' }).addRole('ecs');
  const aws = new MackerelAwsIntegration(stack, 'Integration', { name: 'prod' });
  aws.addService(AwsIntegrationService.ECS_CLUSTER, { role: 'shop:ecs' });
  app.synth();
  return outdir;
}

describe('an AWS integration: IAM role placeholders and the stack environment', () => {
  test('the role ARN is a placeholder in the stack\'s account, the region the stack\'s; destroy removes the integration', async () => {
    const assembly = synth(workDir());
    const base = ['--api-base', shared.emulator.url];
    const run = await cli(['apply', assembly, ...base]);
    expect(run.code).toBe(0);
    expect(run.err).toMatch(/^notice: Integration\w*\.Arn \(AWS::IAM::Role\) is not a Mackerel resource; using the placeholder arn:aws:iam::444455556666:role\/Integration\w+$/m);
    expect(run.out).toMatch(/created\s+AwsIntegrationExternalId/);
    expect(run.out).toMatch(/created\s+AwsIntegration\s+Aws\/Integration\w* \S+ "prod"/);
    const [integration] = shared.emulator.state().awsIntegrations as any[];
    expect(integration).toMatchObject({ name: 'prod', region: 'ap-northeast-1', roleArn: expect.stringMatching(/^arn:aws:iam::444455556666:role\/Integration/) });
    expect((await cli(['diff', assembly, ...base])).out).toBe('No differences.');

    expect((await cli(['apply', assembly, ...base, '--destroy'])).code).toBe(0);
    expect(shared.emulator.state().awsIntegrations).toEqual([]);
    expect(shared.emulator.state().services).toEqual([]);
  });
});
