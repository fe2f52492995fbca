import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import { _pollingMinutes, _renderConfig } from './_render';
import { MackerelAgentConfig } from './config';

/** The file name of the rendered config inside the asset. @internal */
export const _CONFIG_FILE_NAME = 'mackerel-container-agent.yml';

/**
 * Writes the config as an S3 asset, points the agent at it and lets the task role read exactly
 * that object (the agent fetches it with the task role's credentials).
 * @internal
 */
export function _deliverConfig(scope: Construct, taskDefinition: ecs.TaskDefinition, container: ecs.ContainerDefinition,
  config: MackerelAgentConfig): s3assets.Asset {
  const yaml = _renderConfig(scope, config);
  const minutes = _pollingMinutes(scope, config);
  // The asset hash is of the content, so the temporary directory's name does not matter.
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'mackerel-agent-config-'));
  const file = path.join(directory, _CONFIG_FILE_NAME);
  fs.writeFileSync(file, yaml);
  const asset = new s3assets.Asset(scope, 'Config', { path: file });
  container.addEnvironment('MACKEREL_AGENT_CONFIG', `s3://${asset.s3BucketName}/${asset.s3ObjectKey}`);
  if (minutes !== undefined) container.addEnvironment('MACKEREL_AGENT_CONFIG_POLLING_DURATION_MINUTES', String(minutes));
  taskDefinition.taskRole.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['s3:GetObject'],
    resources: [asset.bucket.arnForObjects(asset.s3ObjectKey)],
  }));
  return asset;
}
