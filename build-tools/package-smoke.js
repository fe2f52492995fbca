// Checks the npm package as users get it: the packed tarball is unpacked into a scratch project
// outside this repository, beside nothing but its peer dependencies (aws-cdk-lib, constructs),
// and must work there. A file left out of the package (the handler bundle, the command's
// script), or a runtime import of a development dependency, fails here and not in tests, which
// run from src/ with every development dependency installed.
//
// 0. The tarball holds the handler bundle, the command (executable) and the compiled library, and no
//    development file (sources, tests, build scripts, examples) or huge file.
// 1. An app instruments a Fargate task with the agent and declares a provider, a service, a monitor
//    and a Slack channel whose URL is a Secrets Manager secret; it synthesizes, and the provider's
//    Lambda code is the package's own handler bundle.
// 2. The packaged `cdk-mackerel apply --emulator` applies it, and `diff --emulator` then finds nothing.
// 3. Against an API base that is not the emulator's (so the secret is read from AWS), the packaged
//    command says that the AWS SDK client is missing and how to install it.
'use strict';
const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const root = path.resolve(__dirname, '..');
/** Each step (unpacking, synth, apply, diff, the emulator's start) takes seconds; a hang fails the check instead. */
const STEP_SECONDS = 120;
let scratch;
const tarballs = fs.readdirSync(path.join(root, 'dist', 'js')).filter((f) => f.endsWith('.tgz'));
if (tarballs.length !== 1) fail(`expected one tarball in dist/js, found ${tarballs.length} (${tarballs.join(', ')}); run npx projen package:js`);

scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-mackerel-package-'));
const modules = path.join(scratch, 'node_modules');
fs.mkdirSync(modules);
run('tar', ['xzf', path.join(root, 'dist', 'js', tarballs[0]), '-C', scratch]);
fs.renameSync(path.join(scratch, 'package'), path.join(modules, 'cdk-mackerel'));

// 0. what the tarball holds: what users need, and none of the repository's development files
const packaged = path.join(modules, 'cdk-mackerel');
const files = listFiles(packaged);
for (const required of ['package.json', 'README.md', 'LICENSE', '.jsii', 'lib/index.js', 'lib/index.d.ts', 'lib/cli/main.js',
  'assets/provider-handler/index.js', 'bin/cdk-mackerel']) {
  if (!files.includes(required)) fail(`the tarball has no ${required}`);
}
const development = files.filter((f) => /^(src|test|build-tools|examples|bench|projenrc|coverage|\.ci|\.projen)\//.test(f)
  || (f.endsWith('.ts') && !f.endsWith('.d.ts')) || f.startsWith('.mackerel-state'));
if (development.length > 0) fail(`the tarball holds development files: ${development.slice(0, 10).join(', ')}`);
const MAX_FILE_BYTES = 2 * 1024 * 1024;
const huge = files.filter((f) => fs.statSync(path.join(packaged, f)).size > MAX_FILE_BYTES);
if (huge.length > 0) fail(`the tarball holds files over ${MAX_FILE_BYTES} bytes: ${huge.join(', ')}`);
// npm links the bin into node_modules/.bin as it is: without its execute bit, npx cdk-mackerel fails to run
if ((fs.statSync(path.join(packaged, 'bin', 'cdk-mackerel')).mode & 0o111) === 0) fail('bin/cdk-mackerel is not executable in the tarball');

for (const peer of Object.keys(require(path.join(root, 'package.json')).peerDependencies)) {
  fs.symlinkSync(path.dirname(require.resolve(`${peer}/package.json`, { paths: [root] })), path.join(modules, peer), 'dir');
}

fs.writeFileSync(path.join(scratch, 'app.js'), `
const { App, Duration, Stack } = require('aws-cdk-lib');
const ecs = require('aws-cdk-lib/aws-ecs');
const secretsmanager = require('aws-cdk-lib/aws-secretsmanager');
const m = require('cdk-mackerel');
const app = new App({ outdir: 'cdk.out' });
const stack = new Stack(app, 'Smoke', { env: { account: '123456789012', region: 'us-east-1' } });
const apiKey = m.MackerelApiKey.fromSecretsManager(secretsmanager.Secret.fromSecretNameV2(stack, 'Key', 'mackerel/api-key'));
const task = new ecs.FargateTaskDefinition(stack, 'Task');
task.addContainer('web', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:1.27') });
task.addExtension(new m.MackerelAgentExtension({ apiKey, roles: ['smoke:web'] }));
new m.MackerelProvider(stack, 'Mackerel', { apiKey });
const service = new m.MackerelService(stack, 'Service', { name: 'smoke' });
new m.HostMetricMonitor(stack, 'Cpu', { name: 'cpu', metric: 'cpu%', operator: m.MonitorOperator.GREATER_THAN, warning: 80,
  duration: Duration.minutes(5), scopes: [m.MonitorScope.fromService(service)] });
const hook = secretsmanager.Secret.fromSecretNameV2(stack, 'Hook', 'slack/hook');
new m.SlackChannel(stack, 'Slack', { name: 'smoke', url: hook.secretValue });
app.synth();
`);
run(process.execPath, ['app.js'], { cwd: scratch });

// 1. the template, and the provider's code is the packaged handler bundle
const out = path.join(scratch, 'cdk.out');
const template = JSON.parse(fs.readFileSync(path.join(out, 'Smoke.template.json'), 'utf8'));
const resources = Object.values(template.Resources);
const containers = resources.filter((r) => r.Type === 'AWS::ECS::TaskDefinition').flatMap((r) => r.Properties.ContainerDefinitions);
const agent = containers.find((c) => c.Name === 'mackerel-container-agent');
if (!agent || !agent.Environment.some((e) => e.Name === 'MACKEREL_CONTAINER_PLATFORM' && e.Value === 'ecs')) {
  fail(`the task has no agent container with MACKEREL_CONTAINER_PLATFORM=ecs: ${JSON.stringify(containers.map((c) => c.Name))}`);
}
for (const type of ['Custom::MackerelService', 'Custom::MackerelMonitor', 'Custom::MackerelChannel']) {
  if (!resources.some((r) => r.Type === type)) fail(`the template has no ${type}`);
}
const bundle = fs.readFileSync(path.join(modules, 'cdk-mackerel', 'assets', 'provider-handler', 'index.js'));
const staged = fs.readdirSync(out).filter((f) => f.startsWith('asset.') && fs.existsSync(path.join(out, f, 'index.js'))
  && fs.readFileSync(path.join(out, f, 'index.js')).equals(bundle));
const functions = resources.filter((r) => r.Type === 'AWS::Lambda::Function' && staged.some((dir) => r.Properties.Code.S3Key === `${dir.slice('asset.'.length)}.zip`));
if (functions.length !== 1) fail(`expected one Lambda function running the packaged handler bundle, found ${functions.length}`);

// 2. the packaged command applies the app to its own emulator, and then sees no difference
const cli = path.join(modules, 'cdk-mackerel', 'bin', 'cdk-mackerel');
const applied = run(process.execPath, [cli, 'apply', 'cdk.out', '--emulator'], { cwd: scratch });
if (!applied.stdout.includes('Done: 3 created.')) fail(`apply --emulator did not create the 3 objects:\n${applied.stdout}`);
const diffed = run(process.execPath, [cli, 'diff', 'cdk.out', '--emulator'], { cwd: scratch });
if (!diffed.stdout.includes('No differences.')) fail(`diff --emulator after apply found differences:\n${diffed.stdout}`);

// 3. a base that is not the emulator's: the secret is read from AWS, and the SDK is not installed
if (os.platform() === 'linux') {
  missingSdk().then(finish, (e) => fail(e.message));
} else {
  console.log('package-smoke: the missing-SDK check needs the 127.0.0.2 loopback address (Linux); skipped');
  finish();
}

function missingSdk() {
  return new Promise((resolve, reject) => {
    const emulator = spawn(process.execPath, [cli, 'emulator', '--port', '0', '--host', '127.0.0.2'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let printed = '';
    // A hung emulator must fail the build, not stall it.
    const timer = setTimeout(() => {
      emulator.removeAllListeners('exit');
      emulator.kill();
      reject(new Error(`the emulator did not listen within ${STEP_SECONDS} s: ${printed}`));
    }, STEP_SECONDS * 1000);
    emulator.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the emulator exited (${code}) before it listened: ${printed}`));
    });
    emulator.stdout.on('data', (chunk) => {
      printed += chunk;
      const base = /listening on (http:\/\/\S+)/.exec(printed);
      if (!base) return;
      clearTimeout(timer);
      emulator.removeAllListeners('exit');
      const result = spawnSync(process.execPath, [cli, 'apply', 'cdk.out', '--api-base', base[1], '--state', 'other.json'],
        { cwd: scratch, encoding: 'utf8', timeout: STEP_SECONDS * 1000, env: { ...process.env, MACKEREL_APIKEY: 'emulator-write-key' } });
      emulator.kill();
      const expected = 'npm install --save-dev @aws-sdk/client-secrets-manager';
      if (result.status === 2 && result.stderr.includes(expected)) resolve();
      else reject(new Error(`apply to a non-emulator base should fail naming "${expected}"; exit ${result.status}:\n${result.stdout}${result.stderr}`));
    });
  });
}

function finish() {
  fs.rmSync(scratch, { recursive: true, force: true });
  console.log(`package-smoke: ${tarballs[0]} holds no development file and works installed beside only its peer dependencies `
    + '(synth with the packaged handler bundle, apply and diff --emulator, the missing-SDK message)');
}

/** Every file under `dir`, as paths relative to it with forward slashes. */
function listFiles(dir, prefix = '') {
  return fs.readdirSync(path.join(dir, prefix), { withFileTypes: true }).flatMap((entry) => {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    return entry.isDirectory() ? listFiles(dir, relative) : [relative];
  });
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: STEP_SECONDS * 1000, ...options });
  const how = result.error ? result.error.message : `exit ${result.status}`;
  if (result.status !== 0) fail(`${path.basename(command)} ${args.join(' ')} failed (${how}):\n${result.stdout}${result.stderr}`);
  return result;
}

function fail(message) {
  console.error(`package-smoke: ${message}${scratch ? `\n(scratch project kept in ${scratch})` : ''}`);
  process.exit(1);
}
