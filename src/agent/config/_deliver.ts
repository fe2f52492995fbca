import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Annotations, Stack, Token } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import { _checkConfigReadable } from './_config-readable';
import { _hasAgentSettings, _hasPlugins, _pollingMinutes, _renderConfig } from './_render';
import { MackerelAgentConfig } from './config';
import { _MACKEREL_PARTITION, _partitionOf } from '../../_partition';
import { _fail } from '../../_validation';
import { _agentVolumeName } from '../_checks';

/** The file name of the rendered config inside the asset. @internal */
export const _CONFIG_FILE_NAME = 'mackerel-container-agent.yml';
/** Where plugins keep their state when the root file system is read-only. @internal */
export const _PLUGIN_WORK_DIRECTORY = '/var/tmp/mackerel-plugin';

/**
 * The `MACKEREL_AGENT_CONFIG` each agent container was given: the object its task role may read, or the user's location.
 * Later code setting another value (`container.addEnvironment`, an escape hatch) would point the agent elsewhere.
 * @internal
 */
export const _DELIVERED_CONFIG = new WeakMap<ecs.ContainerDefinition, string>();

/**
 * Writes the config as an S3 asset (or takes the user's location), points the agent at it and lets
 * the task role read exactly that object (the agent fetches it with the task role's credentials).
 * @internal
 */
export function _deliverConfig(scope: Construct, taskDefinition: ecs.TaskDefinition, container: ecs.ContainerDefinition,
  config: MackerelAgentConfig, readonlyRootFilesystem: boolean): void {
  checkProbeContainer(scope, taskDefinition, config);
  const minutes = _pollingMinutes(scope, config);
  // An empty file means what no file means: nothing is written, granted or set.
  if (!_hasAgentSettings(config)) {
    if (minutes !== undefined) warnPollingNothing(scope);
    return;
  }
  const location = config.location
    ? userLocation(scope, taskDefinition, config)
    : assetLocation(scope, taskDefinition, config);
  container.addEnvironment('MACKEREL_AGENT_CONFIG', location);
  _DELIVERED_CONFIG.set(container, location);
  if (location.startsWith('s3://')) warnS3OutsideAwsPartition(scope);
  if (minutes !== undefined) container.addEnvironment('MACKEREL_AGENT_CONFIG_POLLING_DURATION_MINUTES', Token.isUnresolved(minutes) ? Token.asString(minutes) : String(minutes));
  // A file the user maintains may run plugins too: its content is not known at synth, and the volume costs nothing.
  if (readonlyRootFilesystem && (config.location !== undefined || _hasPlugins(config))) keepPluginWorkWritable(scope, taskDefinition, container);
  warnLocalProbeInBridgeMode(scope, taskDefinition, config);
}

/** A polling interval alone is a config that was probably meant to hold more: a location, say, left out. */
function warnPollingNothing(scope: Construct): void {
  Annotations.of(scope).addWarningV2('cdk-mackerel:agentConfigPollingUnused',
    'config.pollingInterval is set, but the config has no plugin, readiness probe or location, so no config file is delivered '
    + 'and there is nothing to read again. Add what the agent should read, or leave config out');
}

/**
 * The agent asks for an S3 bucket's region with an unsigned HeadBucket sent to ap-northeast-1 of
 * the aws partition, which knows no bucket of China or GovCloud: there it probably cannot fetch
 * the config (inferred from its code; not observed).
 */
function warnS3OutsideAwsPartition(scope: Construct): void {
  const region = Stack.of(scope).region;
  const partition = _partitionOf(region);
  if (partition === undefined || partition === _MACKEREL_PARTITION) return;
  Annotations.of(scope).addWarningV2('cdk-mackerel:agentConfigS3Partition',
    `The agent's config is read from S3 in ${region}, of the ${partition} partition, but the agent looks up a bucket's region in the aws partition `
    + '(ap-northeast-1), so it probably cannot fetch it and exits. Give config.location as MackerelAgentConfigLocation.fromUrl (https) or fromFile');
}

/** A probe of an app container in another task definition would never succeed: the host would never register. */
function checkProbeContainer(scope: Construct, taskDefinition: ecs.TaskDefinition, config: MackerelAgentConfig): void {
  const container = config.readinessProbe?._container;
  if (!container || container.taskDefinition === taskDefinition) return;
  _fail(scope, 'config.readinessProbe', container.node.path,
    `targets a container of task definition ${container.taskDefinition.node.path}, not of ${taskDefinition.node.path}, so the agent would wait on it forever and never register the host`,
    `httpToContainer with a container of ${taskDefinition.node.path}`);
}

function userLocation(scope: Construct, taskDefinition: ecs.TaskDefinition, config: MackerelAgentConfig): string {
  const content = { metricPlugins: config.metricPlugins, checkPlugins: config.checkPlugins, readinessProbe: config.readinessProbe };
  const given = Object.entries(content).filter(([, value]) => value !== undefined).map(([name]) => name);
  if (given.length > 0) {
    _fail(scope, 'config', given.join(', '), 'is set together with config.location, which would ignore it',
      'either a location or settings to write');
  }
  return config.location!._bind(scope, taskDefinition.taskRole);
}

function assetLocation(scope: Construct, taskDefinition: ecs.TaskDefinition, config: MackerelAgentConfig): string {
  const yaml = _renderConfig(scope, config);
  // The asset hash is of the content, so the temporary directory's name does not matter.
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'mackerel-agent-config-'));
  const file = path.join(directory, _CONFIG_FILE_NAME);
  fs.writeFileSync(file, yaml);
  const asset = new s3assets.Asset(scope, 'Config', { path: file });
  // A staged asset is copied into the cloud assembly as it is constructed, so its source is no
  // longer read; without staging (`--no-staging`, SAM) the assembly points at this file, which stays.
  if (!scope.node.tryGetContext(cxapi.DISABLE_ASSET_STAGING_CONTEXT)) fs.rmSync(directory, { recursive: true, force: true });
  const read = taskDefinition.taskRole.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['s3:GetObject'],
    resources: [asset.bucket.arnForObjects(asset.s3ObjectKey)],
  }));
  _checkConfigReadable(scope, taskDefinition.taskRole, read, `the config asset ${asset.node.path} (its object key is ${asset.s3ObjectKey})`);
  return `s3://${asset.s3BucketName}/${asset.s3ObjectKey}`;
}

/** Plugins keep state files (in `$MACKEREL_PLUGIN_WORKDIR`, else `/tmp`), which a read-only root forbids. */
function keepPluginWorkWritable(scope: Construct, taskDefinition: ecs.TaskDefinition, container: ecs.ContainerDefinition): void {
  const sourceVolume = _agentVolumeName(scope, container.containerName, '-plugin-work');
  taskDefinition.addVolume({ name: sourceVolume });
  container.addMountPoints({ sourceVolume, containerPath: _PLUGIN_WORK_DIRECTORY, readOnly: false });
  container.addEnvironment('MACKEREL_PLUGIN_WORKDIR', _PLUGIN_WORK_DIRECTORY);
}

function warnLocalProbeInBridgeMode(scope: Construct, taskDefinition: ecs.TaskDefinition, config: MackerelAgentConfig): void {
  const probe = config.readinessProbe;
  if (!probe || probe._kind === 'exec' || taskDefinition.networkMode !== ecs.NetworkMode.BRIDGE) return;
  const host = (probe._options as { host?: string }).host;
  if (reachesOwnContainer(host)) {
    Annotations.of(scope).addWarningV2('cdk-mackerel:readinessProbeLocalhostBridge',
      `The readiness probe targets ${host || 'localhost'}, which in the bridge network mode is the agent's own container, not the app: `
      + 'the host would never register. Use the awsvpc or host network mode, or an exec probe');
  }
}

/**
 * Whether a probe host is the agent's own network namespace: no host (the agent's default,
 * localhost), a loopback name or address in any of its spellings, or an unspecified address
 * (0.0.0.0, ::), which Linux connects to the local host. A host from a token is not known.
 */
function reachesOwnContainer(host: string | undefined): boolean {
  if (host === undefined || host === '') return true;
  if (Token.isUnresolved(host)) return false;
  // Host names are case-insensitive, and a trailing dot only marks a name as fully qualified.
  const bare = host.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '').toLowerCase();
  // Docker's /etc/hosts names ::1 ip6-localhost and ip6-loopback too.
  if (['localhost', 'ip6-localhost', 'ip6-loopback', '0.0.0.0'].includes(bare)) return true;
  if (/^127(\.\d{1,3}){3}$/.test(bare)) return true;
  if (!bare.includes(':')) return false;
  let canonical: string;
  try {
    // The WHATWG URL parser writes an IPv6 address in its one short form: [::1] for 0:0:0:0:0:0:0:1.
    canonical = new URL(`http://[${bare}]/`).hostname;
  } catch {
    return false;
  }
  // An IPv4-mapped address (::ffff:127.0.0.1, written [::ffff:7f00:1]) is dialled as that IPv4 address.
  return canonical === '[::1]' || canonical === '[::]' || canonical === '[::ffff:0:0]' || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(canonical);
}
