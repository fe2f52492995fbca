import { awscdk, javascript, TextFile } from 'projen';

const project = new awscdk.AwsCdkConstructLibrary({
  name: 'cdk-mackerel',
  description: 'Mackerel monitoring for Amazon ECS from AWS CDK: the container-agent sidecar, the agentless AWS integration and monitors as code.',
  author: 'cdk-mackerel maintainers',
  authorAddress: 'maintainers@cdk-mackerel.dev',
  repositoryUrl: 'https://github.com/cdk-mackerel/cdk-mackerel.git',
  defaultReleaseBranch: 'main',
  keywords: ['cdk', 'aws-cdk', 'mackerel', 'ecs', 'fargate', 'monitoring', 'sidecar'],
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,

  cdkVersion: '2.261.0',
  constructsVersion: '10.5.1',
  jsiiVersion: '~6.0.0',
  minNodeVersion: '20.16.0',

  github: false,
  jest: false,
  sampleCode: false,
  // The provider handler is bundled by our own task below: lambda auto-discovery would
  // generate a public XxxFunction class that is not part of the design contract.
  lambdaAutoDiscover: false,

  // Named so that the jsii assembly carries every language's coordinates. Only the js
  // target can be packaged on this machine (no PyPI, Maven Central, NuGet or Go proxy),
  // so `package` below runs package:js; `package-all` builds the rest on a release host.
  publishToPypi: { distName: 'cdk-mackerel', module: 'cdk_mackerel' },
  publishToMaven: {
    javaPackage: 'dev.cdkmackerel',
    mavenGroupId: 'dev.cdk-mackerel',
    mavenArtifactId: 'cdk-mackerel',
  },
  publishToNuget: { dotNetNamespace: 'CdkMackerel', packageId: 'CdkMackerel' },
  publishToGo: { moduleName: 'github.com/cdk-mackerel/cdk-mackerel-go' },

  bin: { 'cdk-mackerel': 'bin/cdk-mackerel' },

  devDeps: [
    '@types/node@^20',
    '@types/aws-lambda',
    '@aws-sdk/client-secrets-manager',
    '@aws-sdk/client-ssm',
    'vitest@^4.1.12',
    '@vitest/coverage-v8@^4.1.12',
    'aws-cdk@^2.1148.1',
    'cdk-nag@^3.0.2',
    'datadog-cdk-constructs-v2@5.1.0',
    'esbuild',
    'tsx',
    'yaml',
  ],

  // Also '/node_modules' without the slash: a node_modules symlink (a clone sharing another's install) is no directory, and 'node_modules/' let one be committed.
  gitignore: ['/assets/', '/node_modules', '/coverage/', 'examples/**/cdk.out', 'examples/**/*.js', 'examples/**/*.d.ts', '.mackerel-state*', '/bench/out/'],
  tsconfigDev: {
    include: ['../examples/**/*.ts', '../bench/**/*.ts'],
    compilerOptions: {},
  },
});

for (const pattern of ['/coverage/', '/examples/', '/bench/', '/build-tools/', 'vitest.config.mts', '/.ci/']) {
  project.npmignore?.exclude(pattern);
}

project.tasks.addEnvironment('JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION', '20');
project.tasks.addEnvironment('AWS_EC2_METADATA_DISABLED', 'true');
project.tasks.addEnvironment('CDK_DISABLE_CLI_TELEMETRY', 'true');

// The mirror this project installs from lacks @unrs/resolver-binding-*@1.13.0 (toolchain.md §8.5).
project.package.addField('overrides', { 'unrs-resolver': '1.12.2' });

// Only the js bindings can be built here; the other targets stay configured for a release host.
project.packageTask.reset();
project.packageTask.spawn(project.tasks.tryFind('package:js')!);
// The tarball as users install it, beside only its peer dependencies (build-tools/package-smoke.js).
project.packageTask.exec('node build-tools/package-smoke.js', { name: 'package-smoke' });

// The provider Lambda: one small bundle, Node built-ins and the runtime's AWS SDK v3 only.
// Whitespace and syntax minified, identifiers kept: a fifth smaller, and an unexpected error's
// stack in the Lambda's log still names the handler's functions (test/provider/handler/bundle.test.ts).
const bundle = project.addTask('bundle:provider-handler', {
  description: 'Bundle the Mackerel custom-resource handler with esbuild',
  exec: [
    'esbuild --bundle src/provider/handler/index.ts',
    '--target=node20 --platform=node --format=cjs',
    '--minify-whitespace --minify-syntax',
    '--outfile=assets/provider-handler/index.js',
    '--external:@aws-sdk/*',
    '--tsconfig=tsconfig.json',
    '--log-level=warning',
  ].join(' '),
});
project.preCompileTask.spawn(bundle);

// tsc compiles `export *` to an eager require of every module: lib/index.js would load the whole
// library (monitors, provider, aws-cdk-lib's Lambda...) into an app that only adds the agent. Made
// lazy after jsii, per name, as aws-cdk-lib's own barrels are; the .jsii assembly and .d.ts are unchanged.
project.compileTask.exec('node build-tools/lazify.js', { name: 'lazify' });

// vitest replaces jest (projen has no vitest component that installs here).
project.testTask.reset();
project.testTask.exec('tsc --noEmit -p test/tsconfig.json', { name: 'typecheck' });
project.testTask.exec('vitest run');
project.testTask.spawn(project.eslint!.eslintTask);
project.addTask('test:watch', { exec: 'vitest' });
project.addTask('test:update', { exec: 'vitest run -u' });
project.eslint?.addLintPattern('examples');
project.eslint?.addLintPattern('bench');
project.eslint?.allowDevDeps('examples/**');
project.eslint?.allowDevDeps('bench/**');

const examplesSynth = project.addTask('examples:synth', {
  description: 'Synthesize the example apps (no AWS credentials needed)',
  cwd: 'examples/fargate',
  exec: 'cdk synth -q --no-notices --ci',
});
project.testTask.spawn(examplesSynth);

const example = project.addTask('example', {
  description: 'The main job: synthesize the example Fargate app and apply its Mackerel side to an emulator started for the run',
});
// The command-line tool runs from lib/: build it first when it is missing (a fresh clone) or
// older than a source file (an edit since the last build).
example.spawn(project.tasks.tryFind('pre-compile')!, { condition: 'node build-tools/lib-stale.js' });
example.spawn(project.compileTask, { condition: 'node build-tools/lib-stale.js' });
example.exec('cdk synth -q --no-notices --ci', { cwd: 'examples/fargate' });
example.exec('node ../../bin/cdk-mackerel apply cdk.out --emulator', { cwd: 'examples/fargate' });

project.addTask('emulator', {
  description: 'Start the local Mackerel API emulator on port 4321 (key: emulator-write-key)',
  exec: 'tsx src/emulator/main.ts --port 4321',
});

// Compiles first: the benchmarks load the library as users get it (lib/), not transpiled from src/.
const bench = project.addTask('bench', {
  description: 'Benchmarks: synth cost of the agent against plain and Datadog, handler size and call counts',
});
bench.spawn(project.compileTask);
bench.exec('tsx bench/run.ts');

new TextFile(project, 'vitest.config.mts', {
  lines: [
    '// ~~ Generated by projen. To modify, edit .projenrc.ts and run "npx projen".',
    "import { defineConfig } from 'vitest/config';",
    '',
    'export default defineConfig({',
    '  test: {',
    "    include: ['test/**/*.test.ts'],",
    "    environment: 'node',",
    "    setupFiles: ['test/setup.ts'],",
    '    testTimeout: 60_000,',
    '    hookTimeout: 60_000,',
    "    coverage: { provider: 'v8', include: ['src/**/*.ts'] },",
    '  },',
    '});',
  ],
});

project.synth();
