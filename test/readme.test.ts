import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ts from 'typescript';
import { beforeAll, describe, expect, test } from 'vitest';
import * as library from '../src';
import { cli } from './cli/_fixture';
import { _NOT_CREDENTIAL_HEADERS } from '../src/agent/config/_render';

/**
 * Every ```ts sample of README.md, typechecked against the library as a reader would use it: the
 * sample verbatim, with `'cdk-mackerel'` resolving to `src/index.ts`, inside the context its
 * surrounding text gives it (the names an earlier sample or the prose defines, `this` as a stack
 * being constructed, an object-literal piece as a property of the props it belongs to). The
 * quick start, a whole app, is also run and its template checked against what the README says.
 */

const ROOT = path.join(__dirname, '..');
const README = path.join(ROOT, 'README.md');
const LIBRARY_INDEX = path.join(ROOT, 'src', 'index.ts');

/** A fenced ```ts block of the README. */
interface Block {
  /** The README line of the opening fence; the sample starts on the next line. */
  readonly fenceLine: number;
  readonly code: string;
  /** Its first non-blank line, with runs of spaces made one: the key of its context. */
  readonly firstLine: string;
}

function tsBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split('\n');
  let open: { fenceLine: number; lang: string; lines: string[] } | undefined;
  lines.forEach((line, i) => {
    const fence = /^\s*```\s*([\w+-]*)/.exec(line);
    if (!open) {
      if (fence) open = { fenceLine: i + 1, lang: fence[1].toLowerCase(), lines: [] };
      return;
    }
    if (fence && fence[1] === '') {
      if (['ts', 'typescript', 'tsx'].includes(open.lang)) {
        blocks.push({ fenceLine: open.fenceLine, code: open.lines.join('\n'), firstLine: (open.lines.find((l) => l.trim()) ?? '').trim().replace(/\s+/g, ' ') });
      }
      open = undefined;
      return;
    }
    open.lines.push(line);
  });
  if (open) throw new Error(`README.md:${open.fenceLine}: a fenced block is never closed`);
  return blocks;
}

/**
 * How a sample is read. `app`: a whole program, checked as it is (its own imports). `module`: top-level
 * statements after the common imports. `stack`: statements in the constructor of a `Stack` subclass, where
 * `this` is the stack. `agentProps`: properties of a `MackerelAgentExtension`'s props object literal, so a
 * misspelled or unknown property is an excess-property error.
 */
type Wrap = 'app' | 'module' | 'stack' | 'agentProps';

interface Context {
  readonly wrap: Wrap;
  /** Top-level declarations of the names the sample takes from earlier samples or the prose. */
  readonly declare?: string;
}

/** The first line of the quick start, a whole app, which the test also runs. */
const QUICK_START = "import { App, Duration, Stack } from 'aws-cdk-lib';";
/** The first line of the sample of a user's own test, which the test runs on the quick start's stack. */
const OWN_TEST = 'const template = Template.fromStack(stack);';
/** The first line of the sample that acknowledges a warning and an info, which the test runs on a stack that raises both. */
const ACKNOWLEDGE = "Annotations.of(stack).acknowledgeWarning('cdk-mackerel:agentWithoutRoles', 'batch tasks join no role on purpose');";

/**
 * The names the README's prose and earlier samples give each sample, keyed by the sample's first line (runs of
 * spaces made one). A sample whose first line is not here fails the test: add its context rather than leave it unchecked.
 */
const CONTEXTS: Record<string, Context> = {
  // Quick start: a whole app.
  [QUICK_START]: { wrap: 'app' },
  // App-wide instrumentation: `app` and `apiKey` of the quick start, and three workloads of the app.
  '// roles per workload, decided by your own code (any jsii language can implement the interface)': {
    wrap: 'module',
    declare: `
      declare const app: App;
      declare const apiKey: MackerelApiKey;
      declare const api: ecsPatterns.ApplicationLoadBalancedFargateService;
      declare const apiContainer: ecs.ContainerDefinition;
      declare const migration: ecsPatterns.ScheduledFargateTask;`,
  },
  // Acknowledging a warning or an info: the quick start's stack.
  [ACKNOWLEDGE]: {
    wrap: 'module',
    declare: 'declare const stack: Stack;',
  },
  // Your own tests: the stack under test.
  [OWN_TEST]: {
    wrap: 'module',
    declare: 'declare const stack: Stack;',
  },
  // Agent configuration: `config` of the construct, the extension, the Aspect or `configure`, with the app container.
  'config: {': {
    wrap: 'agentProps',
    declare: `
      declare const apiKey: MackerelApiKey;
      declare const appContainer: ecs.ContainerDefinition;`,
  },
  // Alerting: the shop service, its web role and the cpu monitor of the quick start.
  "const slack = new SlackChannel(this, 'Slack', {": {
    wrap: 'stack',
    declare: `
      declare const shop: MackerelService;
      declare const web: MackerelRole;
      declare const cpu: HostMetricMonitor;`,
  },
  // Default alerts: an ecs-patterns service, the key and the Slack channel of the alerting sample.
  "const web = shop.addRole('web');": {
    wrap: 'stack',
    declare: `
      declare const shop: MackerelService;
      declare const service: ecsPatterns.ApplicationLoadBalancedFargateService;
      declare const apiKey: MackerelApiKey;
      declare const slack: SlackChannel;`,
  },
  // Deploys on the graphs.
  "new DeploymentAnnotation(this, 'Deploys', { service: shop, roles: [web] });": {
    wrap: 'stack',
    declare: `
      declare const shop: MackerelService;
      declare const web: MackerelRole;`,
  },
  // Task stops on the graphs: `api` is an ecs-patterns service, as in the quick start.
  "new TaskStopAnnotations(this, 'Crashes', { service: shop, roles: [web], ecsServices: [api.service] });": {
    wrap: 'stack',
    declare: `
      declare const shop: MackerelService;
      declare const web: MackerelRole;
      declare const api: ecsPatterns.ApplicationLoadBalancedFargateService;`,
  },
  // Alerts muted while a deploy rolls out.
  "new DeploymentDowntime(this, 'QuietDeploys', { monitors: [runningTasks], duration: Duration.minutes(20) });": {
    wrap: 'stack',
    declare: `
      declare const runningTasks: HostMetricMonitor;`,
  },
  // Dashboards.
  "const board = new Dashboard(this, 'Board', { title: 'shop', urlPath: 'shop/web' });": {
    wrap: 'stack',
    declare: `
      declare const shop: MackerelService;
      declare const web: MackerelRole;`,
  },
  // The AWS integration: a stack, its cluster and load balancer.
  "const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' }); // region: the stack's": {
    wrap: 'module',
    declare: `
      declare const stack: Stack;
      declare const cluster: ecs.Cluster;
      declare const alb: elbv2.ApplicationLoadBalancer;`,
  },
};

/** What the README's fragments take for granted: aws-cdk-lib's usual imports and every name the package exports. */
function commonImports(libraryNames: string[]): string {
  return [
    "import { Annotations, App, Aspects, Duration, RemovalPolicy, SecretValue, Stack } from 'aws-cdk-lib';",
    "import { Template } from 'aws-cdk-lib/assertions';",
    "import * as ecs from 'aws-cdk-lib/aws-ecs';",
    "import * as ecsPatterns from 'aws-cdk-lib/aws-ecs-patterns';",
    "import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';",
    "import { Construct } from 'constructs';",
    "import { expect } from 'vitest';",
    `import { ${libraryNames.join(', ')} } from 'cdk-mackerel';`,
  ].join('\n');
}

/** A sample as a TypeScript file: the text before it, the sample verbatim, the text after it. */
interface Generated {
  readonly fileName: string;
  readonly text: string;
  /** The file's line (0-based) that holds the sample's first line. */
  readonly firstSampleLine: number;
  readonly sampleLines: number;
}

function generate(block: Block, context: Context, libraryNames: string[]): Generated {
  let before: string;
  let after: string;
  const declarations = (context.declare ?? '').split('\n').map((l) => l.trim()).filter((l) => l).join('\n');
  const preamble = `${commonImports(libraryNames)}\n${declarations}`;
  switch (context.wrap) {
    case 'app':
      before = '';
      after = '';
      break;
    case 'module':
      before = preamble;
      after = '';
      break;
    case 'stack':
      before = `${preamble}\nexport class ReadmeStack extends Stack {\nconstructor(scope: Construct, id: string) {\nsuper(scope, id);`;
      after = '}\n}';
      break;
    case 'agentProps':
      before = `${preamble}\nexport const extension = new MackerelAgentExtension({\napiKey, roles: ['shop:web'],`;
      after = '});';
      break;
  }
  const prefix = before ? `${before}\n` : '';
  return {
    fileName: path.join(ROOT, 'test', `__readme_L${block.fenceLine}.ts`),
    text: `${prefix}${block.code}\n${after}\nexport {};\n`,
    firstSampleLine: prefix ? prefix.split('\n').length - 1 : 0,
    sampleLines: block.code.split('\n').length,
  };
}

/** The compiler options of test/tsconfig.json, with `'cdk-mackerel'` mapped to src/index.ts; samples may leave names unused. */
function compilerOptions(): ts.CompilerOptions {
  const parsed = ts.getParsedCommandLineOfConfigFile(path.join(ROOT, 'test', 'tsconfig.json'), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n')); },
  })!;
  return {
    ...parsed.options,
    noEmit: true,
    noUnusedLocals: false,
    noUnusedParameters: false,
    paths: { 'cdk-mackerel': [LIBRARY_INDEX] },
  };
}

/** The names src/index.ts exports, as `import { ... } from 'cdk-mackerel'` sees them. */
function exportedNames(program: ts.Program): string[] {
  const checker = program.getTypeChecker();
  const module = checker.getSymbolAtLocation(program.getSourceFile(LIBRARY_INDEX)!)!;
  return checker.getExportsOfModule(module).map((symbol) => symbol.name).sort();
}

/**
 * A compiler host over the real files that also serves the generated samples from memory, and parses each
 * real file once for both programs (the library's, for its exported names, and the samples').
 */
function host(options: ts.CompilerOptions, generated: Map<string, string>): ts.CompilerHost {
  const compilerHost = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = compilerHost;
  const parsed = new Map<string, ts.SourceFile | undefined>();
  compilerHost.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    const text = generated.get(fileName);
    if (text !== undefined) return ts.createSourceFile(fileName, text, languageVersion, true);
    if (!parsed.has(fileName)) parsed.set(fileName, getSourceFile.call(compilerHost, fileName, languageVersion, onError, shouldCreate));
    return parsed.get(fileName);
  };
  compilerHost.fileExists = (fileName) => generated.has(fileName) || fileExists.call(compilerHost, fileName);
  compilerHost.readFile = (fileName) => generated.get(fileName) ?? readFile.call(compilerHost, fileName);
  return compilerHost;
}

/** The diagnostics of one sample, each located on its README line (or in the test's own context for the sample). */
function problems(program: ts.Program, block: Block, g: Generated): string[] {
  const sourceFile = program.getSourceFile(g.fileName)!;
  const diagnostics = [...program.getSyntacticDiagnostics(sourceFile), ...program.getSemanticDiagnostics(sourceFile)];
  return diagnostics.map((d) => {
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    const { line, character } = sourceFile.getLineAndCharacterOfPosition(d.start ?? 0);
    const sampleLine = line - g.firstSampleLine;
    const where = sampleLine >= 0 && sampleLine < g.sampleLines
      ? `README.md:${block.fenceLine + 1 + sampleLine}:${character + 1}`
      : `the test's context for the sample at README.md:${block.fenceLine} (generated line ${line + 1})`;
    return `${where}: TS${d.code}: ${message}`;
  });
}

const blocks = tsBlocks(fs.readFileSync(README, 'utf8'));

describe('README.md samples', () => {
  let program: ts.Program;
  const generated = new Map<Block, Generated>();

  beforeAll(() => {
    const options = compilerOptions();
    const samples = new Map<string, string>();
    const compilerHost = host(options, samples);
    const libraryProgram = ts.createProgram({ rootNames: [LIBRARY_INDEX], options, host: compilerHost });
    const names = exportedNames(libraryProgram);
    for (const block of blocks) {
      const context = CONTEXTS[block.firstLine];
      if (!context) continue;
      const g = generate(block, context, names);
      generated.set(block, g);
      samples.set(g.fileName, g.text);
    }
    program = ts.createProgram({ rootNames: [...samples.keys()], options, host: compilerHost, oldProgram: libraryProgram });
    // Two TypeScript programs over the whole library: about 15 s alone, past the 60 s hook limit on a loaded 2-CPU machine.
  }, 180_000);

  test('every ```ts sample has a context here, and every context a sample', () => {
    const unknown = blocks.filter((b) => !CONTEXTS[b.firstLine]).map((b) => `README.md:${b.fenceLine}: ${b.firstLine}`);
    expect(unknown, 'a README sample this test has no context for: add one to CONTEXTS').toEqual([]);
    const firstLines = blocks.map((b) => b.firstLine);
    const stale = Object.keys(CONTEXTS).filter((line) => firstLines.filter((l) => l === line).length !== 1);
    expect(stale, 'a context that matches no README sample, or more than one').toEqual([]);
  });

  test.each(blocks.map((block) => ({ block, name: `README.md:${block.fenceLine} ${block.firstLine.slice(0, 60)}` })))(
    'compiles against the library: $name', ({ block }) => {
      const g = generated.get(block);
      expect(g, `README.md:${block.fenceLine}: no context for this sample`).toBeDefined();
      expect(problems(program, block, g!)).toEqual([]);
    });
});

/**
 * Runs a sample as its reader would: `'cdk-mackerel'` is src/index.ts, and the other modules it imports are the
 * instances this test file loaded (those the library uses). `given` are the names it takes from its context; it
 * hands back the values named in `returned`.
 */
function run<T>(block: Block, given: Record<string, unknown>, returned: string[] = []): T {
  const modules: Record<string, unknown> = {
    'aws-cdk-lib': cdk,
    'aws-cdk-lib/aws-ecs': ecs,
    'aws-cdk-lib/aws-secretsmanager': secretsmanager,
    'cdk-mackerel': library,
  };
  const js = ts.transpileModule(block.code, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
  const require = (id: string): unknown => {
    if (!(id in modules)) throw new Error(`README.md:${block.fenceLine}: the sample imports ${id}, which this test does not provide`);
    return modules[id];
  };
  const body = `${js}\nreturn { ${returned.join(', ')} };`;
  // The README's own sample, run as its reader would.
  return new Function('require', 'exports', ...Object.keys(given), body)(require, {}, ...Object.values(given)) as T;
}


describe('README.md quick start, run', () => {
  const sample = (firstLine: string): Block => {
    const block = blocks.find((b) => b.firstLine === firstLine);
    if (!block) throw new Error(`README.md has no sample starting ${firstLine}`);
    return block;
  };
  let stack: cdk.Stack;
  let template: Template;
  /** The quick start's cloud assembly, as `npx cdk synth` writes cdk.out. */
  let cdkOut: string;
  let messages: Array<{ level: string; id: string; message: unknown }>;

  beforeAll(() => {
    const quickStart = run<{ app: cdk.App; stack: cdk.Stack }>(sample(QUICK_START), {}, ['app', 'stack']);
    stack = quickStart.stack;
    const assembly = quickStart.app.synth();
    cdkOut = assembly.directory;
    messages = assembly.getStackArtifact(stack.artifactId).messages
      .filter((m) => m.level !== 'info')
      .map((m) => ({ level: m.level, id: m.id, message: m.entry.data }));
    template = Template.fromStack(stack);
  });

  test('the task definition gets the agent, non-essential, with the key as an ECS secret and the role shop:web', () => {
    const agents = library.MackerelTemplate.agents(template);
    expect(agents.map((a) => ({ container: a.containerName, roles: a.roles, essential: a.essential, waiting: a.waitingContainers }))).toEqual([
      { container: 'mackerel-container-agent', roles: ['shop:web'], essential: false, waiting: ['app'] },
    ]);
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: Match.arrayWith([Match.objectLike({
        Name: 'mackerel-container-agent',
        Secrets: [Match.objectLike({ Name: 'MACKEREL_APIKEY' })],
        Environment: Match.arrayWith([{ Name: 'MACKEREL_CONTAINER_PLATFORM', Value: 'ecs' }]),
      })]),
    });
  });

  test('Mackerel objects served by one provider: the service shop with its role web, and two monitors scoped to shop:web', () => {
    template.hasResourceProperties('Custom::MackerelService', { name: 'shop' });
    template.hasResourceProperties('Custom::MackerelRole', { name: 'web' });
    const monitors = library.MackerelTemplate.monitors(template).map((m) => ({ type: m.monitorType, name: m.name, scopes: m.scopes }));
    expect(monitors).toHaveLength(2);
    expect(monitors).toContainEqual({ type: 'connectivity', name: expect.any(String), scopes: ['shop:web'] });
    expect(monitors).toContainEqual({ type: 'host', name: 'web cpu', scopes: ['shop:web'] });
    template.hasResourceProperties('Custom::MackerelMonitor', { type: 'connectivity', alertStatusOnGone: 'WARNING' });
    template.hasResourceProperties('Custom::MackerelMonitor', {
      type: 'host', metric: 'container-cpu%', operator: '>', warning: 80, critical: 90, duration: 3, notificationInterval: 60,
    });
    const mackerelResources = Object.values(template.toJSON().Resources as Record<string, { Type: string; Properties: { ServiceToken: unknown } }>)
      .filter((r) => r.Type.startsWith('Custom::Mackerel'));
    expect(new Set(mackerelResources.map((r) => JSON.stringify(r.Properties.ServiceToken))).size).toBe(1);
  });

  test("the README's own test sample passes on the quick start's stack", () => {
    run(sample(OWN_TEST), { stack, Template, MackerelTemplate: library.MackerelTemplate, expect });
  });

  test('synthesizes with no warning: a role of the app (`web.fullName`, a Ref) is known at synth', () => {
    expect(messages).toEqual([]);
  });

  test('the "Done: N created." the quick start says apply prints counts its Mackerel resources', () => {
    const said = /# "created" for [^\n]*"Done: (\d+) created\."/.exec(quickStartProse());
    expect(said, 'the quick start shows what `cdk-mackerel apply cdk.out --emulator` prints').not.toBeNull();
    const resources = Object.values(template.toJSON().Resources as Record<string, { Type: string }>).filter((r) => r.Type.startsWith('Custom::Mackerel'));
    expect(resources).toHaveLength(Number(said![1]));
  });

  test('`cdk-mackerel apply cdk.out --emulator` and then `diff` print what the quick start says they print', async () => {
    const prose = quickStartProse();
    const apply = /^npx cdk-mackerel apply cdk\.out --emulator +# "created" for [^\n]*"(Done: \d+ created\.)"$/m.exec(prose);
    const diff = /^npx cdk-mackerel diff cdk\.out --emulator +# "(No differences\.)", exit code (\d)$/m.exec(prose);
    expect(apply, 'the quick start shows what `cdk-mackerel apply cdk.out --emulator` prints').not.toBeNull();
    expect(diff, 'the quick start shows what `cdk-mackerel diff cdk.out --emulator` prints, and its exit code').not.toBeNull();
    // The state beside cdk.out, as the CLI puts it by default: here a directory of the test's own.
    const state = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-mackerel-readme-')), '.mackerel-state.emulator.json');

    const applied = await cli(['apply', cdkOut, '--emulator', '--state', state]);
    expect(applied.code).toBe(0);
    const created = applied.out.split('\n').map((line) => /^\[\s*\d+\/\d+\] created\s+(\w+)/.exec(line)?.[1]).filter((type) => type !== undefined);
    expect(created.sort()).toEqual(['Monitor', 'Monitor', 'Role', 'Service']);
    expect(applied.out).toMatch(new RegExp(`^${apply![1].replace(/\./g, '\\.')}$`, 'm'));
    const diffed = await cli(['diff', cdkOut, '--emulator', '--state', state]);
    expect(diffed.out).toBe(diff![1]);
    expect(diffed.code).toBe(Number(diff![2]));
  });
});

describe('README.md acknowledging a warning and an info', () => {
  /**
   * The ids of the warnings and infos a stack whose agent has no roles synthesizes with, after `acknowledge` ran on it
   * first (or, with `after`, once the agent is added).
   */
  function annotationIds(acknowledge: (stack: cdk.Stack) => void, after?: (app: cdk.App) => void): string[] {
    const app = new cdk.App();
    const stack = new cdk.Stack(app, 'Shop');
    acknowledge(stack);
    const secret = secretsmanager.Secret.fromSecretNameV2(stack, 'Key', 'mackerel/api-key');
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task');
    taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:stable') });
    taskDefinition.addExtension(new library.MackerelAgentExtension({ apiKey: library.MackerelApiKey.fromSecretsManager(secret) }));
    after?.(app);
    return app.synth().getStackArtifact(stack.artifactId).messages
      .map((m) => /\[ack: ([^\]]+)\]$/.exec(String(m.entry.data))?.[1] ?? String(m.entry.data)).sort();
  }

  test('the sample removes the warning and the info it names from the synth output', () => {
    const block = blocks.find((b) => b.firstLine === ACKNOWLEDGE);
    expect(block, 'README.md has the acknowledgement sample').toBeDefined();
    // without it, both are there: the sample has something to remove
    expect(annotationIds(() => {})).toEqual(['cdk-mackerel:agentHostBilled', 'cdk-mackerel:agentWithoutRoles']);
    expect(annotationIds((stack) => run(block!, { stack, Annotations: cdk.Annotations }))).toEqual([]);
  });

  test('on the app, the sample removes them only once the constructs are added, as the README says', () => {
    const block = blocks.find((b) => b.firstLine === ACKNOWLEDGE)!;
    const prose = fs.readFileSync(README, 'utf8').replace(/\s+/g, ' ');
    expect(prose).toContain('(the task definition, the stack), before or after the constructs are added');
    expect(prose).toContain('On the app itself, acknowledge it after the constructs are added');
    expect(annotationIds(() => {}, (app) => run(block, { stack: app, Annotations: cdk.Annotations }))).toEqual([]);
    // When aws-cdk-lib applies an acknowledgement on the app to later messages, this fails: the README's caveat is then out of date.
    expect(annotationIds((stack) => run(block, { stack: stack.node.root, Annotations: cdk.Annotations })))
      .toEqual(['cdk-mackerel:agentHostBilled', 'cdk-mackerel:agentWithoutRoles']);
  });

  test('what `cdk synth` says to acknowledge with, Validations.acknowledge, removes none, as the README warns', () => {
    // When aws-cdk-lib fixes aws/aws-cdk#37764 this fails: the README's advice against it is then out of date.
    expect(/`Validations\.of\(scope\)\.acknowledge\(\.\.\.\)`: with aws-cdk-lib [\d.]+ that removes none of these/
      .test(fs.readFileSync(README, 'utf8').replace(/\s+/g, ' '))).toBe(true);
    const ids = annotationIds((stack) => cdk.Validations.of(stack).acknowledge(
      { id: 'cdk-mackerel:agentWithoutRoles', reason: 'batch' }, { id: 'Annotation::cdk-mackerel:agentWithoutRoles', reason: 'batch' }));
    expect(ids).toContain('cdk-mackerel:agentWithoutRoles');
  });
});

/** The quick start section of the README, prose and samples. */
function quickStartProse(): string {
  const readme = fs.readFileSync(README, 'utf8');
  const start = readme.indexOf('\n## Quick start\n');
  expect(start, 'README.md has a "## Quick start" section').toBeGreaterThanOrEqual(0);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

describe('README.md quick start, as someone installing the package reads it', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    name: string; peerDependencies: Record<string, string>; engines: { node: string };
  };

  test('says how to install the package with its peer dependencies, at the ranges package.json gives them', () => {
    const install = /^npm install (.+)$/m.exec(quickStartProse());
    expect(install, 'the quick start has an `npm install` line').not.toBeNull();
    const args = install![1].trim().split(/\s+/);
    expect(args[0]).toBe(pkg.name);
    expect(args.slice(1).sort()).toEqual(Object.entries(pkg.peerDependencies).map(([name, range]) => `${name}@${range}`).sort());
  });

  test('says how to create the API key secret the sample imports, which deploy needs', () => {
    const prose = quickStartProse();
    const imported = /Secret\.fromSecretNameV2\(stack, '\w+', '([^']+)'\)/.exec(prose);
    expect(imported, 'the quick start imports the key by secret name').not.toBeNull();
    expect(prose).toContain(`aws secretsmanager create-secret --name ${imported![1]} --secret-string`);
    expect(prose).toMatch(/Read and Write\s+permission/);
  });

  test('states the lowest versions the peer dependency ranges and engines allow', () => {
    const prose = quickStartProse().replace(/\s+/g, ' ');
    for (const [name, range] of Object.entries(pkg.peerDependencies)) {
      const lowest = /^\^(\d+\.\d+\.\d+)$/.exec(range);
      expect(lowest, `${name}'s peer range ${range} is a caret range`).not.toBeNull();
      expect(prose).toContain(`${name} ${lowest![1]} or later`);
    }
    const node = /^>=\s*(\d+)\.(\d+)\.\d+$/.exec(pkg.engines.node);
    expect(node, `engines.node ${pkg.engines.node}`).not.toBeNull();
    expect(prose).toContain(`Node.js ${node![1]}.${node![2]} or later`);
  });
});

describe('README.md on a fresh machine', () => {
  test('states the Node.js versions the installed toolchain accepts, each line\'s lowest', () => {
    const readme = fs.readFileSync(README, 'utf8');
    const start = readme.indexOf('\n## Two commands on a fresh machine\n');
    expect(start, 'README.md has a "## Two commands on a fresh machine" section').toBeGreaterThanOrEqual(0);
    const section = readme.slice(start, readme.indexOf('\n## ', start + 1)).replace(/\s+/g, ' ');
    const vite = JSON.parse(fs.readFileSync(require.resolve('vite/package.json'), 'utf8')) as { engines: { node: string } };
    // `^20.19.0 || >=22.12.0`: the lines vite accepts, which the README names
    const lines = [...vite.engines.node.matchAll(/(?:\^|>=)\s*(\d+)\.\d+\.\d+/g)].map((m) => Number(m[1]));
    expect(lines.length, `vite's engines.node ${vite.engines.node}`).toBeGreaterThan(0);
    // Each line's lowest is the highest any package npm ci installs asks of it (`^22.13.0` or `>=20.19.0`, by
    // typescript-eslint's eslint-visitor-keys as by vite): npm ci warns EBADENGINE below it. A package that asks
    // a later line only (`>=22`: the release tooling, which the build does not run) says nothing of a line.
    const lock = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package-lock.json'), 'utf8')) as { packages: Record<string, { engines?: { node?: string } }> };
    for (const line of lines) {
      const asked = Object.values(lock.packages).flatMap((p) => [...(p.engines?.node ?? '').matchAll(/(?:\^|>=)\s*(\d+)\.(\d+)\.\d+/g)])
        .filter((m) => Number(m[1]) === line).map((m) => Number(m[2]));
      expect(section).toContain(`${line}.${Math.max(...asked)} or later`);
    }
  });
});

describe('README.md names the synth warnings and infos', () => {
  /** Every `cdk-mackerel:<id>` the library gives as a string of its own, in `src/` (the CLI and emulator give none). */
  function annotationIds(): string[] {
    const ids = new Set<string>();
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const file = path.join(dir, entry.name);
        if (entry.isDirectory()) {
          walk(file);
        } else if (entry.name.endsWith('.ts')) {
          // a quoted id alone: `cdk-mackerel:ExecutionPolicy:${path}` is a construct's unique key, not an annotation
          for (const match of fs.readFileSync(file, 'utf8').matchAll(/['"`]cdk-mackerel:([a-zA-Z]+)['"`]/g)) ids.add(match[1]);
        }
      }
    };
    walk(path.join(ROOT, 'src'));
    return [...ids].sort();
  }

  test('names exactly the probe headers the credential warning leaves alone, as the probe\'s headers doc does', () => {
    // the names after "but not" in the list of credential headers, read from the text with its line breaks and JSDoc stars made spaces
    const exempted = (text: string) => {
      const list = /a name holding token, secret, key or password, but not ((?:`[^`]+`(?:,? (?:or )?)?)+)/.exec(text.replace(/\s*\n\s*(\* )?/g, ' '));
      return [...(list?.[1] ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1]);
    };
    expect(exempted(fs.readFileSync(README, 'utf8'))).toEqual(_NOT_CREDENTIAL_HEADERS);
    expect(exempted(fs.readFileSync(path.join(ROOT, 'src', 'agent', 'config', 'probe.ts'), 'utf8'))).toEqual(_NOT_CREDENTIAL_HEADERS);
  });

  test('each id a user may meet (and acknowledge) is named in the README, where what it means is said', () => {
    const ids = annotationIds();
    // the walk finds the ids of the agent, the monitors and the alerting constructs
    expect(ids).toEqual(expect.arrayContaining(['agentHostBilled', 'warningAfterCritical', 'downtimeOver']));
    const readme = fs.readFileSync(README, 'utf8');
    expect(ids.filter((id) => !readme.includes(`cdk-mackerel:${id}`))).toEqual([]);
  });
});
