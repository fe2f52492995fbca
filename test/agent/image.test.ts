import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { describe, expect, test } from 'vitest';
import { fargateTask } from './_fixture';
import { MackerelAgentImage, MackerelContainerAgent } from '../../src/agent';

describe('MackerelAgentImage', () => {
  test('the default is the pinned v0.13.2 on ECR Public', () => {
    expect(MackerelAgentImage.DEFAULT.imageName).toBe('public.ecr.aws/mackerel/mackerel-container-agent:v0.13.2');
    expect(MackerelAgentImage.DEFAULT_PLUGINS.imageName).toBe('public.ecr.aws/mackerel/mackerel-container-agent:v0.13.2-plugins');
  });

  test('a release and its plugins variant by version', () => {
    expect(MackerelAgentImage.of('v0.12.0').imageName).toBe('public.ecr.aws/mackerel/mackerel-container-agent:v0.12.0');
    expect(MackerelAgentImage.ofPlugins('v0.12.0').imageName).toBe('public.ecr.aws/mackerel/mackerel-container-agent:v0.12.0-plugins');
    expect(MackerelAgentImage.ofPlugins('v0.12.0')._version()).toEqual([0, 12, 0]);
  });

  test('rejects a version that is not a release tag', () => {
    expect(() => MackerelAgentImage.of('0.13.2')).toThrow(/version "0.13.2" is not a release tag; expected vX.Y.Z/);
  });

  test('rejects latest given as a version', () => {
    expect(() => MackerelAgentImage.ofPlugins('latest')).toThrow(/version "latest" is not a release tag/);
  });

  test.each([
    ['mackerel/mackerel-container-agent:latest', 'moving tag "latest"'],
    ['mackerel/mackerel-container-agent:plugins', 'moving tag "plugins"'],
    ['localhost:5000/mackerel-container-agent', 'has no tag'],
  ])('%s is not pinned: %s', (name, why) => {
    expect(MackerelAgentImage.fromRegistry(name)._floatingTag()).toContain(why);
  });

  test.each([
    'localhost:5000/mackerel-container-agent:v0.13.2',
    'mackerel/mackerel-container-agent@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
    'my-agent:2026-11-01',
  ])('%s is pinned', (name) => {
    expect(MackerelAgentImage.fromRegistry(name)._floatingTag()).toBeUndefined();
  });

  test('an untagged image is warned about on the agent', () => {
    const { stack, taskDefinition, apiKey } = fargateTask();
    const agent = new MackerelContainerAgent(stack, 'Agent', {
      taskDefinition, apiKey, roles: ['shop:web'], image: MackerelAgentImage.fromRegistry('mackerel/mackerel-container-agent'),
    });
    Annotations.fromStack(stack).hasWarning(`/${agent.node.path}`, Match.stringLikeRegexp('has no tag'));
  });
});
