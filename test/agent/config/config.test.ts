import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Aspects, Aws, CfnParameter, Duration, Stack, Token } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { parse } from 'yaml';
import {
  MackerelAgentConfig, MackerelAgentConfigLocation, MackerelAgentExtension, MackerelAgentImage, MackerelContainerAgent,
  MackerelInstrumentation, MackerelPluginCommand, MackerelProbeScheme, MackerelReadinessProbe,
} from '../../../src/agent';
import { MackerelApiKey } from '../../../src/api-key';
import { APP_IMAGE, agentStack, containerNamed, environmentOf, fargateTask } from '../_fixture';

const AGENT = 'mackerel-container-agent';

function withConfig(config: MackerelAgentConfig, image?: MackerelAgentImage) {
  const fixture = fargateTask();
  const agent = new MackerelContainerAgent(fixture.stack, 'Agent', {
    taskDefinition: fixture.taskDefinition, apiKey: fixture.apiKey, roles: ['shop:web'], config, image,
  });
  return { ...fixture, agent };
}

/** The YAML written into the asset, parsed back. */
function writtenConfig(agent: MackerelContainerAgent): { yaml: string; parsed: any } {
  const asset = agent.node.findChild('Config') as s3assets.Asset;
  const assembly = (Stack.of(agent).node.root as any).synth();
  const yaml = fs.readFileSync(path.join(assembly.directory, asset.assetPath), 'utf8');
  return { yaml, parsed: parse(yaml) };
}

describe('agent config: YAML', () => {
  test('plugins and an HTTP probe are written with the agent\'s exact keys, and never an apikey', () => {
    const { agent } = withConfig({
      metricPlugins: {
        jvm: { command: MackerelPluginCommand.shell('mackerel-plugin-jvm -javaname=app'), timeout: Duration.seconds(20) },
      },
      checkPlugins: {
        'access-log': {
          command: MackerelPluginCommand.exec('check-log', '--file', '/var/log/app.log', '--pattern', 'ERROR'),
          user: 'nobody',
          env: { LANG: 'C', yes: 'no' },
          memo: 'errors in the app log',
        },
      },
      readinessProbe: MackerelReadinessProbe.http({
        path: '/health',
        scheme: MackerelProbeScheme.HTTPS,
        method: 'HEAD',
        port: 8443,
        headers: { Host: 'shop.example.com' },
        initialDelay: Duration.seconds(5),
        period: Duration.seconds(15),
        timeout: Duration.seconds(2),
      }),
    });
    const { yaml, parsed } = writtenConfig(agent);
    expect(parsed).toEqual({
      plugin: {
        metrics: { jvm: { command: 'mackerel-plugin-jvm -javaname=app', timeoutSeconds: 20 } },
        checks: {
          'access-log': {
            command: ['check-log', '--file', '/var/log/app.log', '--pattern', 'ERROR'],
            user: 'nobody',
            env: { LANG: 'C', yes: 'no' },
            memo: 'errors in the app log',
          },
        },
      },
      readinessProbe: {
        http: { path: '/health', scheme: 'https', method: 'HEAD', port: 8443, headers: [{ name: 'Host', value: 'shop.example.com' }] },
        initialDelaySeconds: 5,
        periodSeconds: 15,
        timeoutSeconds: 2,
      },
    });
    expect(yaml).not.toMatch(/apikey/i);
  });

  test('every documented probe field is written: exec user and env, HTTP host and proxy', () => {
    const exec = withConfig({
      readinessProbe: MackerelReadinessProbe.exec({ command: MackerelPluginCommand.exec('ready'), user: 'app', env: { MODE: 'probe' } }),
    });
    expect(writtenConfig(exec.agent).parsed).toEqual({ readinessProbe: { exec: { command: ['ready'], user: 'app', env: { MODE: 'probe' } } } });
    const http = withConfig({
      readinessProbe: MackerelReadinessProbe.http({ path: '/health', host: 'app.internal', port: 8080, proxy: 'http://proxy:3128' }),
    });
    expect(writtenConfig(http.agent).parsed).toEqual({
      readinessProbe: { http: { path: '/health', host: 'app.internal', port: 8080, proxy: 'http://proxy:3128' } },
    });
  });

  test('memo is written for check plugins only, never on a metric plugin', () => {
    const { agent } = withConfig({
      metricPlugins: { jvm: { command: MackerelPluginCommand.shell('x'), memo: 'not read by the agent' } as any },
      checkPlugins: { up: { command: MackerelPluginCommand.shell('true'), memo: 'the app answers' } },
    });
    const { parsed } = writtenConfig(agent);
    expect(parsed.plugin.metrics.jvm).toEqual({ command: 'x' });
    expect(parsed.plugin.checks.up).toEqual({ command: 'true', memo: 'the app answers' });
  });

  test('a probe host is written as given where the agent reads it: a name:port for HTTP without a port, a bare IPv6 address with one', () => {
    const written = (readinessProbe: MackerelReadinessProbe) => writtenConfig(withConfig({ readinessProbe }).agent).parsed.readinessProbe;
    expect(written(MackerelReadinessProbe.http({ path: '/health', host: 'app:8080' })).http).toEqual({ path: '/health', host: 'app:8080' });
    expect(written(MackerelReadinessProbe.tcp({ port: 80, host: 'fd00::5' })).tcp).toEqual({ port: 80, host: 'fd00::5' });
    expect(written(MackerelReadinessProbe.http({ path: '/health', host: '[fd00::5]:8080' })).http).toEqual({ path: '/health', host: '[fd00::5]:8080' });
  });

  test('a probe host whose zone follows "%25", as in a URL, is warned about: the agent reads the host as an address, so the zone would be "25eth0"', () => {
    const warnings = (readinessProbe: MackerelReadinessProbe) => Annotations.fromStack(withConfig({ readinessProbe }).stack)
      .findWarning('/Stack/Agent', Match.stringLikeRegexp('readinessProbeHostZoneEscaped')).map((w) => w.entry.data);
    // net.Dial reads "fe80::1%25eth0" (joined as "[fe80::1%25eth0]:5432") with the zone "25eth0"; u.String() escapes the "%" of
    // "[fe80::1%25eth0]" to "%2525eth0", which reads back as the same zone "25eth0".
    expect(warnings(MackerelReadinessProbe.tcp({ port: 5432, host: 'fe80::1%25eth0' }))).toEqual([
      'config.readinessProbe.host "fe80::1%25eth0" writes its zone after "%25", as a URL does, but the agent reads the host as an address and escapes '
      + 'a "%" itself where it builds a URL: its zone would be "25eth0", and the probe would fail forever unless an interface bears that name. '
      + 'Write the zone after a plain "%", "fe80::1%eth0" [ack: cdk-mackerel:readinessProbeHostZoneEscaped]',
    ]);
    expect(warnings(MackerelReadinessProbe.http({ path: '/health', host: '[fe80::1%25eth0]' }))).toEqual([
      expect.stringContaining('host "[fe80::1%25eth0]" writes its zone after "%25", as a URL does, but the agent reads the host as an address and escapes a "%" itself where it builds a URL: its zone would be "25eth0",'),
    ]);
    expect(warnings(MackerelReadinessProbe.http({ path: '/health', host: '[fe80::1%25eth0]:8080' })))
      .toEqual([expect.stringContaining('its zone would be "25eth0", and the probe would fail forever unless an interface bears that name. Write the zone after a plain "%", "[fe80::1%eth0]:8080"')]);
    // a plain "%" is the zone as written
    for (const probe of [MackerelReadinessProbe.tcp({ port: 5432, host: 'fe80::1%eth0' }), MackerelReadinessProbe.http({ path: '/health', host: '[fe80::1%eth0]' })]) {
      expect(warnings(probe)).toEqual([]);
    }
  });

  test('a probe host with "%25" and no zone after it, or one that is no IPv6 address, is not told to write a zone after a plain "%"', () => {
    const warnings = (readinessProbe: MackerelReadinessProbe) => Annotations.fromStack(withConfig({ readinessProbe }).stack)
      .findWarning('/Stack/Agent', Match.stringLikeRegexp('readinessProbeHostZoneEscaped')).map((w) => w.entry.data);
    // "%25" alone is the zone "25" (an interface index): URL text would write no zone at all, and a plain "%" would leave it empty.
    for (const probe of [MackerelReadinessProbe.tcp({ port: 5432, host: 'fe80::1%25' }), MackerelReadinessProbe.http({ path: '/health', host: '[fe80::1%25]' }),
      MackerelReadinessProbe.http({ path: '/health', host: '[fe80::1%25]:8080' }),
      // only an IPv6 address has a zone
      MackerelReadinessProbe.tcp({ port: 5432, host: '10.0.0.5%25eth0' }), MackerelReadinessProbe.http({ path: '/health', host: 'db%25eth0' })]) {
      expect(warnings(probe)).toEqual([]);
    }
    // "%2525" written as URL text is the zone "25": as an address it is "2525"
    expect(warnings(MackerelReadinessProbe.http({ path: '/health', host: '[fe80::1%2525]' })))
      .toEqual([expect.stringContaining('its zone would be "2525", and the probe would fail forever unless an interface bears that name. Write the zone after a plain "%", "[fe80::1%25]"')]);
    // nor does the error of such a host in brackets with a port tell it to
    expect(() => withConfig({ readinessProbe: MackerelReadinessProbe.tcp({ port: 5432, host: '[fe80::1%25]' }) }))
      .toThrow(/^Stack\/Agent: config.readinessProbe.host "\[fe80::1%25\]" is in brackets, but the agent adds its own when it joins it with port 5432 \(as \[\[fe80::1%25\]\]:5432\); expected the address without brackets, "fe80::1%25"$/);
  });

  test('a probe host holding a user name and password is refused without showing them, as a probe path\'s or proxy\'s are not', () => {
    for (const readinessProbe of [MackerelReadinessProbe.http({ path: '/health', host: 'admin:s3cret@app' }),
      MackerelReadinessProbe.tcp({ port: 5432, host: 'http://admin:s3cret@db' })]) {
      let message = '';
      try {
        withConfig({ readinessProbe });
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toMatch(/^Stack\/Agent: config.readinessProbe.host "(http:\/\/)?\*\*\*\*@(app|db)" is not a host name or IP address/);
      expect(message).not.toContain('s3cret');
    }
  });

  test('exec and TCP probes', () => {
    const exec = withConfig({ readinessProbe: MackerelReadinessProbe.exec({ command: MackerelPluginCommand.shell('test -f /tmp/ready') }) });
    expect(writtenConfig(exec.agent).parsed).toEqual({ readinessProbe: { exec: { command: 'test -f /tmp/ready' } } });
    const tcp = withConfig({ readinessProbe: MackerelReadinessProbe.tcp({ port: 5432, host: '127.0.0.1' }) });
    expect(writtenConfig(tcp.agent).parsed).toEqual({ readinessProbe: { tcp: { port: 5432, host: '127.0.0.1' } } });
  });
});

describe('agent config: delivery', () => {
  test('MACKEREL_AGENT_CONFIG points at the asset, and the task role may get exactly that object', () => {
    const { stack, agent, taskDefinition } = withConfig({ readinessProbe: MackerelReadinessProbe.tcp({ port: 80 }) });
    const asset = agent.node.findChild('Config') as s3assets.Asset;
    const env = environmentOf(containerNamed(taskDefinition, AGENT));
    expect(env.MACKEREL_AGENT_CONFIG).toEqual(stack.resolve(`s3://${asset.s3BucketName}/${asset.s3ObjectKey}`));
    expect(env.MACKEREL_AGENT_CONFIG_POLLING_DURATION_MINUTES).toBeUndefined();
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      Roles: [stack.resolve((taskDefinition.taskRole.node.defaultChild as any).ref)],
      PolicyDocument: {
        Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: stack.resolve(asset.bucket.arnForObjects(asset.s3ObjectKey)) }],
        Version: '2012-10-17',
      },
    });
  });

  test('official plugins with Mackerel\'s agent-only image are warned about: that image does not have them', () => {
    const warned = (config: MackerelAgentConfig, image: MackerelAgentImage) => Annotations.fromStack(withConfig(config, image).stack)
      .findWarning('/Stack/Agent', Match.stringLikeRegexp('pluginsNotInImage')).map((w) => w.entry.data);
    const official = {
      metricPlugins: { nginx: { command: MackerelPluginCommand.exec('mackerel-plugin-nginx', '-port', '80') } },
      checkPlugins: { http: { command: MackerelPluginCommand.shell('/usr/local/bin/check-http -u http://localhost/') } },
    };
    expect(warned(official, MackerelAgentImage.DEFAULT)).toEqual([
      'config runs official plugins (mackerel-plugin-nginx, check-http), but the agent image public.ecr.aws/mackerel/mackerel-container-agent:v0.13.2 '
      + 'is the variant without them: the commands fail and their metrics and checks never report. '
      + 'Use the -plugins variant, such as MackerelAgentImage.DEFAULT_PLUGINS [ack: cdk-mackerel:pluginsNotInImage]',
    ]);
    expect(warned(official, MackerelAgentImage.fromRegistry('ghcr.io/mackerelio/mackerel-container-agent:v0.12.0'))).toHaveLength(1);
    // the multi-call binaries and mkr are only in the plugins image too
    const multiCall = {
      metricPlugins: { nginx: { command: MackerelPluginCommand.exec('mackerel-plugin', 'nginx') } },
      checkPlugins: {
        http: { command: MackerelPluginCommand.shell('/usr/bin/mackerel-check http -u http://localhost/') },
        alive: { command: MackerelPluginCommand.exec('mkr', 'status', 'x') },
      },
    };
    expect(warned(multiCall, MackerelAgentImage.DEFAULT)).toEqual([
      expect.stringMatching(/^config runs official plugins \(mackerel-plugin, mackerel-check, mkr\), but the agent image /),
    ]);
    // the plugins variant, an image of your own, or commands of your own: nothing to say
    expect(warned(official, MackerelAgentImage.DEFAULT_PLUGINS)).toEqual([]);
    expect(warned(official, MackerelAgentImage.fromRegistry('my-registry/agent-with-plugins:v0.13.2'))).toEqual([]);
    expect(warned({ checkPlugins: { up: { command: MackerelPluginCommand.shell('true') } } }, MackerelAgentImage.DEFAULT)).toEqual([]);
    expect(warned({ checkPlugins: { up: { command: MackerelPluginCommand.exec('mackerel-checker', 'x') } } }, MackerelAgentImage.DEFAULT)).toEqual([]);
  });

  test('an official plugin run after assignments or through a wrapper is warned about too: the program run is what counts', () => {
    const programs = (commands: MackerelPluginCommand[]) => {
      const checkPlugins = Object.fromEntries(commands.map((command, i) => [`c${i}`, { command }]));
      const found = Annotations.fromStack(withConfig({ checkPlugins }, MackerelAgentImage.DEFAULT).stack)
        .findWarning('/Stack/Agent', Match.stringLikeRegexp('pluginsNotInImage')).map((w) => String(w.entry.data));
      return found.map((message) => /official plugins \(([^)]*)\)/.exec(message)![1]);
    };
    // The shell takes FOO=1 as the command's environment; env, timeout and sudo run the command after their options.
    expect(programs([MackerelPluginCommand.shell('LANG=C TZ=UTC check-http -u http://localhost/')])).toEqual(['check-http']);
    expect(programs([MackerelPluginCommand.shell('env -i FOO=1 /usr/bin/mackerel-plugin-nginx')])).toEqual(['mackerel-plugin-nginx']);
    expect(programs([MackerelPluginCommand.exec('env', '-u', 'HOME', 'FOO=1', 'check-tcp', '-p', '80')])).toEqual(['check-tcp']);
    expect(programs([MackerelPluginCommand.shell('timeout -s KILL 20 nice -n 5 mkr status x')])).toEqual(['mkr']);
    expect(programs([MackerelPluginCommand.exec('env', '-S', 'FOO=1 mackerel-check', 'http')])).toEqual(['mackerel-check']);
    // Exec'd, FOO=1 is the program's own name, no assignment; env alone runs nothing; a program of one's own is none of Mackerel's.
    expect(programs([
      MackerelPluginCommand.exec('FOO=1', 'check-http'), MackerelPluginCommand.shell('env FOO=1'),
      MackerelPluginCommand.shell('FOO=1 my-check check-http'), MackerelPluginCommand.shell('env --help check-http'),
    ])).toEqual([]);
  });

  test('a polling interval sets the polling variable in minutes', () => {
    const { taskDefinition } = withConfig({ pollingInterval: Duration.minutes(5), readinessProbe: MackerelReadinessProbe.tcp({ port: 80 }) });
    expect(environmentOf(containerNamed(taskDefinition, AGENT)).MACKEREL_AGENT_CONFIG_POLLING_DURATION_MINUTES).toBe('5');
  });

  test('a polling interval from a deploy-time value (a token in minutes) is written to the variable as it is', () => {
    // GIVEN
    const fixture = fargateTask();
    const minutes = new CfnParameter(fixture.stack, 'PollMinutes', { type: 'Number', default: 5 });
    // WHEN
    new MackerelContainerAgent(fixture.stack, 'Agent', {
      taskDefinition: fixture.taskDefinition,
      apiKey: fixture.apiKey,
      roles: ['shop:web'],
      config: { pollingInterval: Duration.minutes(minutes.valueAsNumber), readinessProbe: MackerelReadinessProbe.tcp({ port: 80 }) },
    });
    // THEN
    expect(containerNamed(fixture.taskDefinition, AGENT).Environment)
      .toContainEqual({ Name: 'MACKEREL_AGENT_CONFIG_POLLING_DURATION_MINUTES', Value: { Ref: 'PollMinutes' } });
  });

  test('a polling interval from a token in another unit is rejected: it cannot be converted to minutes at synth', () => {
    const fixture = fargateTask();
    const seconds = new CfnParameter(fixture.stack, 'PollSeconds', { type: 'Number', default: 300 });
    expect(() => new MackerelContainerAgent(fixture.stack, 'Agent', {
      taskDefinition: fixture.taskDefinition,
      apiKey: fixture.apiKey,
      roles: ['shop:web'],
      config: { pollingInterval: Duration.seconds(seconds.valueAsNumber) },
    })).toThrow('Stack/Agent: config.pollingInterval "<token> seconds" comes from a token in another unit, which cannot be converted to minutes at synth; '
      + 'expected Duration.minutes(n) with n >= 1');
  });

  test('plugins select the plugins image, unless an image is given; no config keeps the plain image', () => {
    const plugins = { checkPlugins: { up: { command: MackerelPluginCommand.shell('true') } } };
    expect(containerNamed(withConfig(plugins).taskDefinition, AGENT).Image).toBe(MackerelAgentImage.DEFAULT_PLUGINS.imageName);
    const pinned = MackerelAgentImage.fromRegistry('public.ecr.aws/mackerel/mackerel-container-agent:v0.13.2');
    expect(containerNamed(withConfig(plugins, pinned).taskDefinition, AGENT).Image).toBe(pinned.imageName);
    expect(containerNamed(withConfig({ readinessProbe: MackerelReadinessProbe.tcp({ port: 80 }) }).taskDefinition, AGENT).Image)
      .toBe(MackerelAgentImage.DEFAULT.imageName);
  });

  describe('the rendered file', () => {
    const made: string[] = [];
    afterEach(() => {
      vi.unstubAllEnvs();
      made.splice(0).forEach((dir) => fs.rmSync(dir, { recursive: true, force: true }));
    });
    /** A fresh temporary directory as os.tmpdir(), and what the config rendering left in it. */
    const privateTmp = () => {
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-mackerel-config-test-'));
      made.push(tmp);
      vi.stubEnv('TMPDIR', tmp);
      return () => fs.readdirSync(tmp).filter((name) => name.startsWith('mackerel-agent-config-')).map((name) => path.join(tmp, name));
    };
    const probe = { readinessProbe: MackerelReadinessProbe.tcp({ port: 80 }) };

    test('is removed once the asset is staged into the assembly, which still holds the config', () => {
      const left = privateTmp();
      const { agent } = withConfig(probe);
      expect(left()).toEqual([]);
      expect(writtenConfig(agent).parsed.readinessProbe).toEqual({ tcp: { port: 80 } });
    });

    test('stays where the assembly points at it when asset staging is disabled', () => {
      const left = privateTmp();
      const app = new App({ context: { 'aws:cdk:disable-asset-staging': true } });
      const stack = new Stack(app, 'Stack');
      const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task', { memoryLimitMiB: 512, cpu: 256 });
      taskDefinition.addContainer('app', { image: APP_IMAGE });
      const apiKey = MackerelApiKey.fromSecretsManager(new secretsmanager.Secret(stack, 'ApiKey'));
      const agent = new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'], config: probe });
      const asset = agent.node.findChild('Config') as s3assets.Asset;
      const [directory] = left();
      expect(asset.assetPath).toBe(path.join(directory, 'mackerel-container-agent.yml'));
      expect(parse(fs.readFileSync(asset.assetPath, 'utf8')).readinessProbe).toEqual({ tcp: { port: 80 } });
    });
  });

  test('without config, no asset, no variable and no S3 grant', () => {
    const fixture = fargateTask();
    new MackerelContainerAgent(fixture.stack, 'Agent', { taskDefinition: fixture.taskDefinition, apiKey: fixture.apiKey, roles: ['shop:web'] });
    expect(environmentOf(containerNamed(fixture.taskDefinition, AGENT)).MACKEREL_AGENT_CONFIG).toBeUndefined();
    Template.fromStack(fixture.stack).resourcePropertiesCountIs('AWS::IAM::Policy',
      { PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 's3:GetObject' })]) } }, 0);
  });
});

describe('agent config: rejected input', () => {
  const probe = (options: Partial<Parameters<typeof MackerelReadinessProbe.http>[0]>) =>
    ({ readinessProbe: MackerelReadinessProbe.http({ path: '/health', ...options }) });
  const cases: Array<[string, MackerelAgentConfig, RegExp]> = [
    ['a bad plugin name', { metricPlugins: { 'my plugin': { command: MackerelPluginCommand.shell('x') } } },
      /Stack\/Agent: config.metricPlugins name "my plugin" is not a valid plugin name/],
    ['an env key with =', { checkPlugins: { up: { command: MackerelPluginCommand.shell('x'), env: { 'A=B': '1' } } } },
      /config.checkPlugins.up.env name "A=B" is empty or contains "="/],
    ['a fractional timeout', { checkPlugins: { up: { command: MackerelPluginCommand.shell('x'), timeout: Duration.millis(1500) } } },
      /config.checkPlugins.up.timeout "1 second 500 millis" is not a whole number of seconds of at least 1/],
    ['an empty command', { checkPlugins: { up: { command: MackerelPluginCommand.exec() } } },
      /config.checkPlugins.up.command \[\] is empty/],
    ['a port out of range', { readinessProbe: MackerelReadinessProbe.tcp({ port: 70000 }) },
      /config.readinessProbe.port 70000 is not a port number/],
    ['a relative path', probe({ path: 'health' }), /config.readinessProbe.path "health" does not start with "\/"/],
    ['a lower-case method', probe({ method: 'get' }), /config.readinessProbe.method "get" is not an HTTP method/],
    ['a bad proxy', probe({ proxy: 'proxy:3128' }), /config.readinessProbe.proxy "proxy:3128" is not an http or https URL/],
    ['a bad proxy with credentials, shown without them', probe({ proxy: 'proxyuser:s3cret@proxy:3128' }),
      /config.readinessProbe.proxy "\*\*\*\*@proxy:3128" is not an http or https URL/],
    ['a fractional period', probe({ period: Duration.millis(500) }),
      /config.readinessProbe.period "500 millis" is not a whole number of seconds of at least 1/],
    ['a polling interval under a minute', { pollingInterval: Duration.seconds(30) },
      /config.pollingInterval "30 seconds" is not a positive whole number of minutes/],
    ['an unknown probe scheme', probe({ scheme: 'ftp' as MackerelProbeScheme }),
      /config.readinessProbe.scheme "ftp" is not a known value; expected one of "http", "https"/],
    ['a fractional initial delay', probe({ initialDelay: Duration.millis(2500) }),
      /config.readinessProbe.initialDelay "2 seconds 500 millis" is not a whole number of seconds of at least 0/],
    ['a fractional probe timeout', probe({ timeout: Duration.millis(100) }),
      /config.readinessProbe.timeout "100 millis" is not a whole number of seconds of at least 1/],
    // The agent reads a probe's period and timeout of 0 as its defaults, 10 seconds and 1 second.
    ['a probe period of 0', probe({ period: Duration.seconds(0) }),
      /^Stack\/Agent: config.readinessProbe.period "0 seconds" is not a whole number of seconds of at least 1; expected Duration.seconds\(n\) with n >= 1\. The agent reads 0 as its default, 10 seconds: leave it out for that$/],
    ['a probe timeout of 0', { readinessProbe: MackerelReadinessProbe.tcp({ port: 80, timeout: Duration.seconds(0) }) },
      /^Stack\/Agent: config.readinessProbe.timeout "0 seconds" is not a whole number of seconds of at least 1; expected Duration.seconds\(n\) with n >= 1\. The agent reads 0 as its default, 1 second: leave it out for that$/],
    ['a plugin timeout of 0', { metricPlugins: { jvm: { command: MackerelPluginCommand.shell('x'), timeout: Duration.seconds(0) } } },
      /config.metricPlugins.jvm.timeout "0 seconds" is not a whole number of seconds of at least 1/],
    // The agent multiplies seconds (minutes) into Go's time.Duration, int64 nanoseconds, which wraps around past about 292 years.
    ['a plugin timeout past what Go\'s time.Duration holds', { checkPlugins: { up: { command: MackerelPluginCommand.shell('x'), timeout: Duration.seconds(9223372037) } } },
      /^Stack\/Agent: config.checkPlugins.up.timeout "9223372037 seconds" is longer than the agent's Go time.Duration can hold \(it would wrap around into another, often negative, duration\); expected Duration.seconds\(n\) with 1 <= n <= 9223372036 \(about 292 years\)$/],
    ['a probe period of 300 years', probe({ period: Duration.days(300 * 365) }),
      /^Stack\/Agent: config.readinessProbe.period "9460800000 seconds" is longer than the agent's Go time.Duration can hold/],
    ['a probe initial delay past what Go\'s time.Duration holds', probe({ initialDelay: Duration.seconds(1e12) }),
      /config.readinessProbe.initialDelay "1000000000000 seconds" is longer than the agent's Go time.Duration can hold .*; expected Duration.seconds\(n\) with 0 <= n <= 9223372036/],
    ['a probe timeout past what Go\'s time.Duration holds', { readinessProbe: MackerelReadinessProbe.tcp({ port: 80, timeout: Duration.seconds(9223372037) }) },
      /config.readinessProbe.timeout "9223372037 seconds" is longer than the agent's Go time.Duration can hold/],
    ['a polling interval past what Go\'s time.Duration holds', { pollingInterval: Duration.minutes(153722868), readinessProbe: MackerelReadinessProbe.tcp({ port: 80 }) },
      /^Stack\/Agent: config.pollingInterval "153722868 minutes" is longer than the agent's Go time.Duration can hold \(it would wrap around into another interval\); expected Duration.minutes\(n\) with 1 <= n <= 153722867 \(about 292 years\)$/],
    ['an empty shell line', { checkPlugins: { up: { command: MackerelPluginCommand.shell('  ') } } },
      /config.checkPlugins.up.command "  " is empty/],
    ['a plugin name over 64 characters', { checkPlugins: { ['a'.repeat(65)]: { command: MackerelPluginCommand.shell('x') } } },
      /config.checkPlugins name "a{65}" is not a valid plugin name/],
    ['a plugin name starting with a dot', { metricPlugins: { '.hidden': { command: MackerelPluginCommand.shell('x') } } },
      /config.metricPlugins name ".hidden" is not a valid plugin name; expected 1-64 letters, digits, "-", "_" or ".", starting with a letter or digit/],
    // Go's HTTP client refuses these, so the probe would fail forever and the host never register.
    ['a header name that is no HTTP token', probe({ port: 80, headers: { 'X Custom': '1' } }),
      /Stack\/Agent: config.readinessProbe.headers name "X Custom" is not an HTTP header name; expected letters, digits and !#\$%&'\*\+-\.\^_`\|~/],
    ['an empty header name', probe({ port: 80, headers: { '': '1' } }), /config.readinessProbe.headers name "" is not an HTTP header name/],
    ['a header value with a line break, not shown as it may be a credential', probe({ port: 80, headers: { Authorization: 'Bearer s3cret\n' } }),
      /^Stack\/Agent: config.readinessProbe.headers "Authorization" has a value with a control character \(such as a line break\), which the agent's HTTP client refuses; expected a value of printable characters and tabs\. The probe would fail forever and the host never register$/],
    // Go's exec cannot pass a NUL to a process: the command would never run.
    ['a shell line with a NUL', { checkPlugins: { up: { command: MackerelPluginCommand.shell('check-procs\0 -p app') } } },
      /^Stack\/Agent: config.checkPlugins.up.command "check-procs\\u0000 -p app" holds a NUL character, which the agent cannot pass to a process; expected text without NUL characters\. The command would never run$/],
    ['a command argument with a NUL', { metricPlugins: { m: { command: MackerelPluginCommand.exec('mackerel-plugin-x', '-a\0') } } },
      /^Stack\/Agent: config.metricPlugins.m.command\[1\] "-a\\u0000" holds a NUL character/],
    ['an exec probe command with a NUL', { readinessProbe: MackerelReadinessProbe.exec({ command: MackerelPluginCommand.exec('\0') }) },
      /^Stack\/Agent: config.readinessProbe.command\[0\] "\\u0000" holds a NUL character/],
    ['an env name with a NUL', { checkPlugins: { up: { command: MackerelPluginCommand.shell('x'), env: { 'A\0B': '1' } } } },
      /^Stack\/Agent: config.checkPlugins.up.env name "A\\u0000B" holds a NUL character/],
    ['an env value with a NUL', { readinessProbe: MackerelReadinessProbe.exec({ command: MackerelPluginCommand.shell('x'), env: { LANG: 'C\0' } }) },
      /^Stack\/Agent: config.readinessProbe.env.LANG "C\\u0000" holds a NUL character/],
    ['a credential env value with a NUL, not shown', { checkPlugins: { up: { command: MackerelPluginCommand.shell('x'), env: { DB_PASSWORD: 's3cret\0' } } } },
      /^Stack\/Agent: config.checkPlugins.up.env "DB_PASSWORD" has a value that holds a NUL character, which the agent cannot pass to a process; expected text without NUL characters\. The command would never run$/],
    ['a plugin user with a NUL', { metricPlugins: { m: { command: MackerelPluginCommand.shell('x'), user: 'app\0' } } },
      /^Stack\/Agent: config.metricPlugins.m.user "app\\u0000" holds a NUL character/],
    ['an exec probe user with a NUL', { readinessProbe: MackerelReadinessProbe.exec({ command: MackerelPluginCommand.shell('x'), user: '\0' }) },
      /^Stack\/Agent: config.readinessProbe.user "\\u0000" holds a NUL character/],
    // The agent parses the path as a URL on every try: these fail the parse, or probe another path.
    ['a probe path with a line break', probe({ port: 80, path: '/health\n' }),
      /^Stack\/Agent: config.readinessProbe.path "\/health\\n" holds a control character \(such as a line break\) before any "#", which the agent's URL parser refuses; expected a request path such as "\/health", with a "%" of its path written as "%25"\. The probe would fail forever and the host never register$/],
    ['a probe path with a bare "%"', probe({ port: 80, path: '/disk/100%' }),
      /^Stack\/Agent: config.readinessProbe.path "\/disk\/100%" holds a "%" not followed by two hex digits outside its query/],
    ['a probe path with a bad escape in its fragment', probe({ port: 80, path: '/health#%zz' }),
      /config.readinessProbe.path "\/health#%zz" holds a "%" not followed by two hex digits outside its query/],
    // Go decodes the path and the fragment apart: an escape cut short by the "#" is bad, though the text around it would join into one.
    ['a probe path with an escape cut short by its fragment', probe({ port: 80, path: '/disk/100%#41' }),
      /config.readinessProbe.path "\/disk\/100%#41" holds a "%" not followed by two hex digits outside its query/],
    ['a probe path with an escape cut short by its fragment, one digit before it', probe({ port: 80, path: '/a%4#1' }),
      /config.readinessProbe.path "\/a%4#1" holds a "%" not followed by two hex digits outside its query/],
    // Go's client escapes a space of the path, but sends the query as written: the request line would be split.
    ['a probe path with a space in its query', probe({ port: 80, path: '/search?q=a b' }),
      /^Stack\/Agent: config.readinessProbe.path "\/search\?q=a b" has a space in its query, which the agent sends unescaped, splitting the HTTP request line; expected a query with each space written as "%20"\. The server would refuse the request, the probe fail forever and the host never register$/],
    ['a probe path of "//" and a query, whose empty host the agent replaces', probe({ port: 80, path: '//?ready=1' }),
      /config.readinessProbe.path "\/\/\?ready=1" starts with "\/\/", so the agent reads "" as a URL's host/],
    ['a probe path starting with "//"', probe({ port: 80, path: '//app/health' }),
      /^Stack\/Agent: config.readinessProbe.path "\/\/app\/health" starts with "\/\/", so the agent reads "app" as a URL's host, which it replaces, and probes the rest of the path alone; expected a request path with one leading "\/"$/],
    // Go reads what comes before the authority's last "@" as the URL's userinfo: the host the agent replaces is after it.
    ['a probe path starting with "//" and a user name', probe({ port: 80, path: '//user@app/health' }),
      /^Stack\/Agent: config.readinessProbe.path "\/\/\*{4}@app\/health" starts with "\/\/", so the agent reads "app" as a URL's host \(and what comes before its "@" as the URL's user\), which it replaces/],
    ['a probe path starting with "//" and a password, not shown', probe({ port: 80, path: '//user:s3cret@app/health' }),
      /^Stack\/Agent: config.readinessProbe.path "\/\/\*{4}@app\/health" starts with "\/\/", so the agent reads "app" as a URL's host \(and what comes before its "@" as the URL's user and password\)/],
    // A "/" typed in the password ends the authority before its "@": none of the password is shown, as host or as path.
    ['a probe path starting with "//" and a password holding "/", not shown', probe({ port: 80, path: '//user:pa/ss@app/health' }),
      /^Stack\/Agent: config.readinessProbe.path "\/\/\*{4}@app\/health" starts with "\/\/", so the agent reads "app" as a URL's host \(and what comes before its "@" as the URL's user and password\), which it replaces/],
    // net.JoinHostPort adds brackets only to a host with a colon, and the agent escapes a zone's "%" itself where it builds a URL.
    ['a TCP probe host of empty brackets', { readinessProbe: MackerelReadinessProbe.tcp({ port: 5432, host: '[]' }) },
      /^Stack\/Agent: config.readinessProbe.host "\[\]" is empty brackets, which name no host: the agent would dial ":5432", the local host, as with no host; expected a host name or address, such as "app" or "fd00::5", or no host for localhost$/],
    ['an HTTP probe host of a name in brackets and a port', probe({ port: 8080, host: '[app]' }),
      /^Stack\/Agent: config.readinessProbe.host "\[app\]" is in brackets, which only an IPv6 address takes in a URL; expected the name or address without brackets, "app"$/],
    ['a TCP probe host of an IPv6 address with a URL-escaped zone in brackets', { readinessProbe: MackerelReadinessProbe.tcp({ port: 5432, host: '[fd00::5%25eth0]' }) },
      /^Stack\/Agent: config.readinessProbe.host "\[fd00::5%25eth0\]" is in brackets, but the agent adds its own when it joins it with port 5432 \(as \[\[fd00::5%25eth0\]\]:5432\); expected the address without brackets, "fd00::5%eth0"\. Its zone goes after a plain "%", which the agent escapes where it needs to$/],
    ['an HTTP probe host of an IPv6 address with a zone in brackets and a port', probe({ port: 80, host: '[fe80::1%eth0]' }),
      /config.readinessProbe.host "\[fe80::1%eth0\]" is in brackets, .*; expected the address without brackets, "fe80::1%eth0"$/],
    // The agent joins host and port (net.JoinHostPort) or puts host in the URL: these never connect, and the probe is retried forever.
    ['a probe host that is a URL', probe({ port: 80, host: 'http://app' }),
      /Stack\/Agent: config.readinessProbe.host "http:\/\/app" is not a host name or IP address; expected a name such as "app" or an address such as "10.0.0.5"/],
    ['a TCP probe host with a port of its own', { readinessProbe: MackerelReadinessProbe.tcp({ port: 5432, host: 'db:5432' }) },
      /config.readinessProbe.host "db:5432" holds a port, but the agent joins it with port 5432 \(as \[db:5432\]:5432\); expected the host alone, with the port in port/],
    ['an HTTP probe host with a port of its own and a port', probe({ port: 8080, host: '[::1]:8080' }),
      /config.readinessProbe.host "\[::1\]:8080" holds a port, but the agent joins it with port 8080/],
    ['a TCP probe host of an IPv6 address in brackets, which the agent adds itself', { readinessProbe: MackerelReadinessProbe.tcp({ port: 5432, host: '[fd00::5]' }) },
      /^Stack\/Agent: config.readinessProbe.host "\[fd00::5\]" is in brackets, but the agent adds its own when it joins it with port 5432 \(as \[\[fd00::5\]\]:5432\); expected the address without brackets, "fd00::5"$/],
    ['an HTTP probe host that is a bare IPv6 address without a port', probe({ host: 'fd00::5' }),
      /config.readinessProbe.host "fd00::5" is an IPv6 address without brackets, which the agent cannot put in a URL without a port; expected "\[fd00::5\]", or a port/],
    // The agent trims spaces off env names and drops a name left empty: the variable would be set under another name, or not at all.
    ['an env name with a space around it', { checkPlugins: { up: { command: MackerelPluginCommand.shell('x'), env: { ' TOKEN_FILE': '/run/t' } } } },
      /Stack\/Agent: config.checkPlugins.up.env name " TOKEN_FILE" has spaces around it, which the agent trims off \(dropping a name left empty\); expected a name without leading or trailing spaces/],
    ['an env name of spaces only', { readinessProbe: MackerelReadinessProbe.exec({ command: MackerelPluginCommand.shell('x'), env: { '  ': '1' } }) },
      /config.readinessProbe.env name "  " has spaces around it/],
    ['an exec probe env key with =', { readinessProbe: MackerelReadinessProbe.exec({ command: MackerelPluginCommand.shell('x'), env: { 'A=B': '1' } }) },
      /config.readinessProbe.env name "A=B" is empty or contains "="/],
    // A lone surrogate can only be written as a \udXXX escape, which the agent's yaml.v3 refuses: the agent would exit at start.
    ['a memo with a lone high surrogate', { checkPlugins: { up: { command: MackerelPluginCommand.shell('x'), memo: 'a\ud800b' } } },
      /^Stack\/Agent: config.checkPlugins.up.memo "a\\ud800b" holds a lone UTF-16 surrogate \(U\+D800\), which the agent's YAML parser refuses, so the agent would exit at start; expected well-formed Unicode text, with a surrogate only as half of a pair$/],
    ['a command argument with a lone low surrogate', { metricPlugins: { m: { command: MackerelPluginCommand.exec('mackerel-plugin-x', '\udc00') } } },
      /^Stack\/Agent: config.metricPlugins.m.command\[1\] "\\udc00" holds a lone UTF-16 surrogate \(U\+DC00\)/],
    ['an env value with a high surrogate cut from its pair', { checkPlugins: { up: { command: MackerelPluginCommand.shell('x'), env: { LABEL: '\ud83d' } } } },
      /^Stack\/Agent: config.checkPlugins.up.env.LABEL "\\ud83d" holds a lone UTF-16 surrogate \(U\+D83D\)/],
    ['a probe path with a lone surrogate', probe({ port: 80, path: '/h\udfff' }),
      /^Stack\/Agent: config.readinessProbe.path "\/h\\udfff" holds a lone UTF-16 surrogate \(U\+DFFF\)/],
    ['a header value with a lone surrogate, not shown as it may be a credential', probe({ port: 80, headers: { Authorization: 'Bearer s3cret\ud800' } }),
      /^Stack\/Agent: config.readinessProbe.headers "Authorization" has a value that holds a lone UTF-16 surrogate \(U\+D800\), which the agent's YAML parser refuses, so the agent would exit at start; expected well-formed Unicode text, with a surrogate only as half of a pair$/],
    ['a probe proxy with a lone surrogate in its password, not shown', probe({ port: 80, proxy: 'http://user:s3cret\ud800@proxy:3128' }),
      /^Stack\/Agent: config.readinessProbe.proxy "http:\/\/\*{4}@proxy:3128" holds a lone UTF-16 surrogate \(U\+D800\)/],
  ];
  for (const [name, config, message] of cases) {
    test(`${name} is rejected`, () => {
      expect(() => withConfig(config)).toThrow(message);
    });
  }

  test('durations up to the longest Go\'s time.Duration holds are written as given', () => {
    const { agent, taskDefinition } = withConfig({
      pollingInterval: Duration.minutes(153722867),
      metricPlugins: { m: { command: MackerelPluginCommand.shell('x'), timeout: Duration.seconds(9223372036) } },
      readinessProbe: MackerelReadinessProbe.tcp({ port: 80, period: Duration.seconds(9223372036) }),
    });
    const { parsed } = writtenConfig(agent);
    expect(parsed.plugin.metrics.m.timeoutSeconds).toBe(9223372036);
    expect(parsed.readinessProbe.periodSeconds).toBe(9223372036);
    expect(environmentOf(containerNamed(taskDefinition, AGENT)).MACKEREL_AGENT_CONFIG_POLLING_DURATION_MINUTES).toBe('153722867');
  });

  test('a probe path with escapes, and a "%" in its query, which the agent keeps as written, is accepted', () => {
    const { agent } = withConfig({ readinessProbe: MackerelReadinessProbe.http({ path: '/a%20b/health?min=90%&x=%zz#top', port: 80 }) });
    expect(writtenConfig(agent).parsed.readinessProbe.http.path).toBe('/a%20b/health?min=90%&x=%zz#top');
  });

  test('a probe path with a space before its query or in its fragment, which the agent escapes or does not send, is accepted', () => {
    for (const given of ['/a b/health?x=1', '/health#a b']) {
      const { agent } = withConfig({ readinessProbe: MackerelReadinessProbe.http({ path: given, port: 80 }) });
      expect(writtenConfig(agent).parsed.readinessProbe.http.path).toBe(given);
    }
  });

  test('a probe path with a control character in its fragment, which Go\'s url.Parse accepts and the agent never sends, is accepted', () => {
    const { agent } = withConfig({ readinessProbe: MackerelReadinessProbe.http({ path: '/health#a\tb\n', port: 80 }) });
    expect(writtenConfig(agent).parsed.readinessProbe.http.path).toBe('/health#a\tb\n');
    // before the "#" (in the path or the query) it is still refused
    for (const given of ['/he\talth#x', '/health?x=\n#y']) {
      expect(() => withConfig({ readinessProbe: MackerelReadinessProbe.http({ path: given, port: 80 }) }))
        .toThrow(/config.readinessProbe.path ".*" holds a control character \(such as a line break\) before any "#"/);
    }
  });

  test('a probe path starting with "///", which the agent keeps whole rather than read a host from, is accepted', () => {
    for (const given of ['///health', '///']) {
      const { agent } = withConfig({ readinessProbe: MackerelReadinessProbe.http({ path: given, port: 80 }) });
      expect(writtenConfig(agent).parsed.readinessProbe.http.path).toBe(given);
    }
  });

  test('a token in the config is rejected, named as the property the user set', () => {
    const withToken = (config: MackerelAgentConfig) => () => withConfig(config);
    const unknown = (property: string) => new RegExp(`^Stack/Agent: ${property.replace(/[.[\]]/g, '\\$&')} "\\$\\{Token\\[[^"]+\\]\\}" is not known at synth; expected a literal value`);
    expect(withToken({ checkPlugins: { up: { command: MackerelPluginCommand.shell(Aws.ACCOUNT_ID) } } }))
      .toThrow(unknown('config.checkPlugins.up.command'));
    expect(withToken({ metricPlugins: { load: { command: MackerelPluginCommand.exec('mackerel-plugin-load', '-r', Aws.REGION) } } }))
      .toThrow(unknown('config.metricPlugins.load.command[2]'));
    expect(withToken({ checkPlugins: { up: { command: MackerelPluginCommand.shell('true'), env: { REGION: Aws.REGION } } } }))
      .toThrow(unknown('config.checkPlugins.up.env.REGION'));
    expect(withToken({ checkPlugins: { up: { command: MackerelPluginCommand.shell('true'), memo: Aws.STACK_NAME } } }))
      .toThrow(unknown('config.checkPlugins.up.memo'));
    expect(withToken({ readinessProbe: MackerelReadinessProbe.tcp({ port: 80, host: Aws.URL_SUFFIX }) }))
      .toThrow(unknown('config.readinessProbe.host'));
    expect(withToken({ readinessProbe: MackerelReadinessProbe.http({ path: '/health', port: 80, headers: { Host: Aws.URL_SUFFIX } }) }))
      .toThrow(/^Stack\/Agent: config.readinessProbe.headers "Host" has a value that is not known at synth; expected a literal value/);
    expect(withToken({ readinessProbe: MackerelReadinessProbe.tcp({ port: 80, period: Duration.seconds(Token.asNumber(Aws.NO_VALUE)) }) }))
      .toThrow(/^Stack\/Agent: config.readinessProbe.period "<token> seconds" is not known at synth/);
  });

  test('a probe proxy built around a token is rejected without its literal user name and password', () => {
    // GIVEN the proxy's host from another stack's value, its credentials written in the URL
    expect(() => withConfig({ readinessProbe: MackerelReadinessProbe.http({ path: '/health', port: 80, proxy: `http://probe:s3cret@${Aws.URL_SUFFIX}:3128` }) }))
      .toThrow(/^Stack\/Agent: config.readinessProbe.proxy "http:\/\/\*\*\*\*@\$\{Token\[[^"]+\]\}:3128" is not known at synth; expected a literal value/);
  });
});


describe('agent config: plugins work directory and the probe helper', () => {
  test('plugins with a read-only root get a writable work directory', () => {
    const fixture = fargateTask();
    new MackerelContainerAgent(fixture.stack, 'Agent', {
      taskDefinition: fixture.taskDefinition,
      apiKey: fixture.apiKey,
      roles: ['shop:web'],
      readonlyRootFilesystem: true,
      config: { metricPlugins: { jvm: { command: MackerelPluginCommand.shell('mackerel-plugin-jvm') } } },
    });
    const agent = containerNamed(fixture.taskDefinition, AGENT);
    expect(environmentOf(agent).MACKEREL_PLUGIN_WORKDIR).toBe('/var/tmp/mackerel-plugin');
    expect(agent.MountPoints).toEqual(expect.arrayContaining([
      { SourceVolume: `${AGENT}-plugin-work`, ContainerPath: '/var/tmp/mackerel-plugin', ReadOnly: false },
    ]));
    Template.fromStack(fixture.stack).hasResourceProperties('AWS::ECS::TaskDefinition', {
      Volumes: Match.arrayWith([{ Name: `${AGENT}-plugin-work` }]),
    });
  });

  test('a config file of the user\'s with a read-only root gets a writable work directory too, as it may run plugins', () => {
    const fixture = fargateTask();
    new MackerelContainerAgent(fixture.stack, 'Agent', {
      taskDefinition: fixture.taskDefinition,
      apiKey: fixture.apiKey,
      roles: ['shop:web'],
      readonlyRootFilesystem: true,
      config: { location: MackerelAgentConfigLocation.fromUrl('https://config.example.com/agent.yml') },
    });
    const agent = containerNamed(fixture.taskDefinition, AGENT);
    expect(environmentOf(agent).MACKEREL_PLUGIN_WORKDIR).toBe('/var/tmp/mackerel-plugin');
    expect(agent.MountPoints).toEqual(expect.arrayContaining([
      { SourceVolume: `${AGENT}-plugin-work`, ContainerPath: '/var/tmp/mackerel-plugin', ReadOnly: false },
    ]));
    Template.fromStack(fixture.stack).hasResourceProperties('AWS::ECS::TaskDefinition', {
      Volumes: Match.arrayWith([{ Name: `${AGENT}-plugin-work` }]),
    });
  });

  test('plugins with a writable root get no work directory', () => {
    const { taskDefinition } = withConfig({ metricPlugins: { jvm: { command: MackerelPluginCommand.shell('mackerel-plugin-jvm') } } });
    expect(environmentOf(containerNamed(taskDefinition, AGENT)).MACKEREL_PLUGIN_WORKDIR).toBeUndefined();
  });

  test('httpToContainer probes the container\'s first port on localhost', () => {
    const fixture = fargateTask();
    fixture.appContainer.addPortMappings({ containerPort: 8080 });
    const agent = new MackerelContainerAgent(fixture.stack, 'Agent', {
      taskDefinition: fixture.taskDefinition,
      apiKey: fixture.apiKey,
      roles: ['shop:web'],
      config: { readinessProbe: MackerelReadinessProbe.httpToContainer(fixture.appContainer, '/health') },
    });
    expect(writtenConfig(agent).parsed).toEqual({ readinessProbe: { http: { path: '/health', port: 8080 } } });
    Annotations.fromStack(fixture.stack).hasNoWarning('*', Match.stringLikeRegexp('bridge'));
  });

  test('httpToContainer with a container of another task definition is rejected: the host would never register', () => {
    // GIVEN
    const fixture = fargateTask();
    const other = new ecs.FargateTaskDefinition(fixture.stack, 'Other', { cpu: 256, memoryLimitMiB: 512 });
    const web = other.addContainer('web', { image: APP_IMAGE, portMappings: [{ containerPort: 8080 }] });
    // THEN
    expect(() => new MackerelContainerAgent(fixture.stack, 'Agent', {
      taskDefinition: fixture.taskDefinition,
      apiKey: fixture.apiKey,
      roles: ['shop:web'],
      config: { readinessProbe: MackerelReadinessProbe.httpToContainer(web, '/healthz') },
    })).toThrow('Stack/Agent: config.readinessProbe "Stack/Other/web" targets a container of task definition Stack/Other, not of Stack/Task, '
      + 'so the agent would wait on it forever and never register the host; expected httpToContainer with a container of Stack/Task');
  });

  test('httpToContainer sees a port mapping added after the call, before the agent is added', () => {
    // GIVEN the probe made before the app container has its port
    const fixture = fargateTask();
    const readinessProbe = MackerelReadinessProbe.httpToContainer(fixture.appContainer, '/health');
    fixture.appContainer.addPortMappings({ containerPort: 8080 });
    // WHEN
    const agent = new MackerelContainerAgent(fixture.stack, 'Agent', {
      taskDefinition: fixture.taskDefinition, apiKey: fixture.apiKey, roles: ['shop:web'], config: { readinessProbe },
    });
    // THEN
    expect(writtenConfig(agent).parsed).toEqual({ readinessProbe: { http: { path: '/health', port: 8080 } } });
  });

  test('httpToContainer on a container without a port when the agent is added is rejected, saying when the port is read', () => {
    const { stack, taskDefinition, apiKey, appContainer } = fargateTask();
    const readinessProbe = MackerelReadinessProbe.httpToContainer(appContainer, '/health');
    expect(() => new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'], config: { readinessProbe } })).toThrow(
      'Stack/Task/app: portMappings [] is empty, so the readiness probe has no port to target; expected a container with a port mapping '
      + 'when the agent is added, as its config file is written then. Add the port mapping before the agent, or use MackerelReadinessProbe.http with a port');
  });

  test('httpToContainer on a container whose first port mapping, added after the call, is a range is rejected when the agent is added', () => {
    const { stack, taskDefinition, apiKey, appContainer } = fargateTask();
    const readinessProbe = MackerelReadinessProbe.httpToContainer(appContainer, '/health');
    appContainer.addPortMappings({ containerPort: ecs.ContainerDefinition.CONTAINER_PORT_USE_RANGE, containerPortRange: '8000-8010' });
    expect(() => new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'], config: { readinessProbe } }))
      .toThrow(/^Stack\/Task\/app: portMappings\[0\].containerPortRange "8000-8010" is a port range/);
  });

  test('httpToContainer on a container whose first port mapping is UDP is rejected: an HTTP probe of it would never answer', () => {
    const { appContainer } = fargateTask();
    appContainer.addPortMappings({ containerPort: 514, protocol: ecs.Protocol.UDP }, { containerPort: 8080 });
    expect(() => MackerelReadinessProbe.httpToContainer(appContainer, '/health')).toThrow(
      /^Stack\/Task\/app: portMappings\[0\].protocol "udp" is not TCP, so an HTTP readiness probe of port 514 would never be answered; expected a container whose first port mapping is TCP/);
  });

  test('httpToContainer on a container whose first port mapping is a range is rejected: it has no single port to probe', () => {
    const { appContainer } = fargateTask();
    appContainer.addPortMappings({ containerPort: ecs.ContainerDefinition.CONTAINER_PORT_USE_RANGE, containerPortRange: '8000-8010' });
    appContainer.addPortMappings({ containerPort: 9090 });
    expect(() => MackerelReadinessProbe.httpToContainer(appContainer, '/health')).toThrow(
      'Stack/Task/app: portMappings[0].containerPortRange "8000-8010" is a port range, so the readiness probe has no single port to target; '
      + 'expected a container whose first port mapping has a single containerPort. Use MackerelReadinessProbe.http with the port the app answers on');
  });

  test('httpToContainer on a container whose port comes from a parameter is rejected, naming the container\'s port, not a probe port never written', () => {
    const { stack, appContainer } = fargateTask();
    appContainer.addPortMappings({ containerPort: new CfnParameter(stack, 'Port', { type: 'Number' }).valueAsNumber });
    expect(() => MackerelReadinessProbe.httpToContainer(appContainer, '/health')).toThrow(
      'Stack/Task/app: portMappings[0].containerPort {"Ref":"Port"} is known only at deploy time, but the agent\'s config file is written at synth; '
      + 'expected a container whose first port mapping has a literal containerPort. Use MackerelReadinessProbe.http with the port the app answers on');
  });

  test('a localhost probe in the bridge network mode warns', () => {
    const fixture = agentStack();
    const taskDefinition = new ecs.Ec2TaskDefinition(fixture.stack, 'Task');
    taskDefinition.addContainer('app', { image: APP_IMAGE, memoryLimitMiB: 256, portMappings: [{ containerPort: 80 }] });
    new MackerelContainerAgent(fixture.stack, 'Agent', {
      taskDefinition,
      apiKey: fixture.apiKey,
      roles: ['shop:web'],
      config: { readinessProbe: MackerelReadinessProbe.httpToContainer(taskDefinition.defaultContainer!, '/') },
    });
    Annotations.fromStack(fixture.stack).hasWarning('/Stack/Agent', Match.stringLikeRegexp('bridge network mode is the agent\'s own container'));
  });

  describe('a probe host in the bridge network mode warns when it is the agent\'s own container, in any spelling', () => {
    const bridgeWarnings = (readinessProbe: MackerelReadinessProbe) => {
      const fixture = agentStack();
      const taskDefinition = new ecs.Ec2TaskDefinition(fixture.stack, 'Task');
      taskDefinition.addContainer('app', { image: APP_IMAGE, memoryLimitMiB: 256 });
      new MackerelContainerAgent(fixture.stack, 'Agent', { taskDefinition, apiKey: fixture.apiKey, roles: ['shop:web'], config: { readinessProbe } });
      return Annotations.fromStack(fixture.stack).findWarning('/Stack/Agent', Match.stringLikeRegexp('readinessProbeLocalhostBridge'))
        .map((w) => w.entry.data as string);
    };
    // A TCP probe takes a bare address with its port; an HTTP probe without a port takes the bracketed form.
    const local = [undefined, 'localhost', 'LOCALHOST', 'LocalHost.', 'ip6-localhost', '127.0.0.1', '127.1.2.3', '0.0.0.0',
      '::1', '0:0:0:0:0:0:0:1', '::', '::ffff:127.0.0.1', '::FFFF:7F00:1'];
    for (const host of local) {
      test(`tcp ${JSON.stringify(host)}`, () => {
        expect(bridgeWarnings(MackerelReadinessProbe.tcp({ port: 8080, host }))).toEqual([
          expect.stringMatching(new RegExp(`^The readiness probe targets ${(host || 'localhost').replace(/[.[\]]/g, '\\$&')}, which in the bridge network mode is the agent's own container`)),
        ]);
      });
    }
    for (const host of ['[::1]', '[0:0:0:0:0:0:0:1]', '[::]']) {
      test(`http ${host}`, () => {
        expect(bridgeWarnings(MackerelReadinessProbe.http({ path: '/health', host }))).toHaveLength(1);
      });
    }
    for (const host of ['app', '10.0.0.5', '172.17.0.1', '127.example.com', 'localhost.example.com', 'fd00::1', '::ffff:10.0.0.1']) {
      test(`not for tcp ${host}`, () => {
        expect(bridgeWarnings(MackerelReadinessProbe.tcp({ port: 8080, host }))).toEqual([]);
      });
    }
  });
});

describe('agent config: a location the user maintains', () => {
  test('a bucket object: the variable, GetObject on exactly that object and decrypt with the bucket key', () => {
    const fixture = fargateTask();
    const bucket = new s3.Bucket(fixture.stack, 'Configs', { encryption: s3.BucketEncryption.KMS });
    new MackerelContainerAgent(fixture.stack, 'Agent', {
      taskDefinition: fixture.taskDefinition,
      apiKey: fixture.apiKey,
      roles: ['shop:web'],
      image: MackerelAgentImage.DEFAULT_PLUGINS,
      config: { location: MackerelAgentConfigLocation.fromBucket(bucket, 'agents/web.yml'), pollingInterval: Duration.minutes(1) },
    });
    const env = environmentOf(containerNamed(fixture.taskDefinition, AGENT));
    expect(env.MACKEREL_AGENT_CONFIG).toEqual(fixture.stack.resolve(`s3://${bucket.bucketName}/agents/web.yml`));
    expect(env.MACKEREL_AGENT_CONFIG_POLLING_DURATION_MINUTES).toBe('1');
    const template = Template.fromStack(fixture.stack);
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [fixture.stack.resolve((fixture.taskDefinition.taskRole.node.defaultChild as any).ref)],
      PolicyDocument: {
        Statement: Match.arrayWith([
          { Effect: 'Allow', Action: 's3:GetObject', Resource: fixture.stack.resolve(bucket.arnForObjects('agents/web.yml')) },
          Match.objectLike({ Action: 'kms:Decrypt', Resource: fixture.stack.resolve(bucket.encryptionKey!.keyArn) }),
        ]),
      },
    });
    expect(fixture.stack.node.findAll().some((c) => c instanceof s3assets.Asset)).toBe(false);
  });

  test('a bucket key with an empty, "." or ".." segment is warned about: agents on the AWS SDK for Go v1 clean the path and ask for another object', () => {
    const warned = (key: string) => {
      const fixture = fargateTask();
      const bucket = s3.Bucket.fromBucketName(fixture.stack, 'Configs', 'configs');
      new MackerelContainerAgent(fixture.stack, 'Agent', {
        taskDefinition: fixture.taskDefinition, apiKey: fixture.apiKey, roles: ['shop:web'], config: { location: MackerelAgentConfigLocation.fromBucket(bucket, key) },
      });
      // the grant stays of exactly the key given, which the current agent reads
      Template.fromStack(fixture.stack).hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 's3:GetObject', Resource: fixture.stack.resolve(bucket.arnForObjects(key)) })]) },
      });
      return Annotations.fromStack(fixture.stack).findWarning('/Stack/Agent', Match.stringLikeRegexp('agentConfigKeyPathSegments')).map((w) => w.entry.data);
    };
    expect(warned('agents//web.yml')).toEqual([
      'config.location key "agents//web.yml" holds an empty segment ("//"). The agent reads the key as a URL path, which agent images built on the AWS SDK '
      + 'for Go v1 clean (collapsing "//", dropping "." and resolving ".." segments): such an agent asks for another object than the one its task role may '
      + 'read, and exits on AccessDenied. A "." or ".." segment may also be resolved by a proxy on the way. Use a key without empty, "." or ".." segments '
      + '[ack: cdk-mackerel:agentConfigKeyPathSegments]',
    ]);
    for (const key of ['agents/./web.yml', 'agents/../web.yml', './web.yml', '../web.yml', 'agents/..', 'agents/.']) {
      expect(warned(key)).toEqual([expect.stringContaining(`key ${JSON.stringify(key)} holds a "." or ".." segment`)]);
    }
    // dots inside a segment, and a trailing "/" (a key may end in one), are no path segments to clean
    for (const key of ['agents/web..yml', 'agents/.web.yml', 'agents/...', 'agents/web/']) expect(warned(key)).toEqual([]);
  });

  test('a bucket key with a token is warned about where its literal text makes an empty, "." or ".." segment whatever the token holds', () => {
    const warned = (key: (stage: string) => string) => {
      const fixture = fargateTask();
      const stage = new CfnParameter(fixture.stack, 'Stage').valueAsString;
      const bucket = s3.Bucket.fromBucketName(fixture.stack, 'Configs', 'configs');
      new MackerelContainerAgent(fixture.stack, 'Agent', {
        taskDefinition: fixture.taskDefinition, apiKey: fixture.apiKey, roles: ['shop:web'], config: { location: MackerelAgentConfigLocation.fromBucket(bucket, key(stage)) },
      });
      return Annotations.fromStack(fixture.stack).findWarning('/Stack/Agent', Match.stringLikeRegexp('agentConfigKeyPathSegments')).map((w) => w.entry.data);
    };
    expect(warned((stage) => `agents//${stage}.yml`)).toEqual([expect.stringMatching(/^config.location key "agents\/\/\$\{Token\[TOKEN\.\d+\]\}\.yml" holds an empty segment \("\/\/"\)/)]);
    expect(warned((stage) => `${stage}/../agent.yml`)).toEqual([expect.stringContaining('holds a "." or ".." segment')]);
    expect(warned((stage) => `agents/${stage}/./agent.yml`)).toEqual([expect.stringContaining('holds a "." or ".." segment')]);
    // a leading "/" is refused as it is without a token, not taken for an empty segment
    expect(() => warned((stage) => `/${stage}/agent.yml`))
      .toThrow(/^Stack\/Agent: config.location key "\/\$\{Token\[TOKEN\.\d+\]\}\/agent.yml" is not an S3 object key; expected a non-empty key without a leading "\/"$/);
    // what the token holds is not known: text next to it is no segment of its own
    for (const key of [(stage: string) => `agents/${stage}.yml`, (stage: string) => `agents/.${stage}/agent.yml`, (stage: string) => `${stage}/${stage}/`, (stage: string) => stage]) {
      expect(warned(key)).toEqual([]);
    }
  });

  test('a task role imported as immutable cannot take the read: warned about, for the asset and for a bucket object', () => {
    const warnings = (location?: (stack: Stack) => MackerelAgentConfigLocation) => {
      const { stack, apiKey } = agentStack();
      const taskRole = iam.Role.fromRoleArn(stack, 'TaskRole', 'arn:aws:iam::123456789012:role/task', { mutable: false });
      const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task', { memoryLimitMiB: 512, cpu: 256, taskRole });
      taskDefinition.addContainer('app', { image: APP_IMAGE });
      const config = location ? { location: location(stack) } : { metricPlugins: { nginx: { command: MackerelPluginCommand.exec('mackerel-plugin-nginx') } } };
      new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'], config });
      Template.fromStack(stack).resourcePropertiesCountIs('AWS::IAM::Policy',
        { PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 's3:GetObject' })]) } }, 0);
      return Annotations.fromStack(stack).findWarning('/Stack/Agent', Match.stringLikeRegexp('agentConfigNotGranted')).map((w) => w.entry.data as string);
    };
    const asset = warnings();
    expect(asset).toHaveLength(1);
    expect(asset[0]).toMatch(/^The task role Stack\/TaskRole takes no policy statements \(immutable\), so it was not granted s3:GetObject on the config asset Stack\/Agent\/Config \(its object key is \w+\.yml\), nor decrypt with the bucket's key\. Grant them where the role is defined, or the agent cannot read its config and exits/);
    expect(warnings((stack) => MackerelAgentConfigLocation.fromBucket(s3.Bucket.fromBucketName(stack, 'Configs', 'configs'), 'agents/web.yml')))
      .toEqual([expect.stringContaining('not granted s3:GetObject on the config object "agents/web.yml"')]);
    // a role that takes the statement, created or imported, is not warned about
    const { stack } = withConfig({ metricPlugins: { nginx: { command: MackerelPluginCommand.exec('mackerel-plugin-nginx') } } });
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('agentConfigNotGranted'));
    const imported = agentStack();
    const taskRole = iam.Role.fromRoleArn(imported.stack, 'TaskRole', 'arn:aws:iam::123456789012:role/task');
    const taskDefinition = new ecs.FargateTaskDefinition(imported.stack, 'Task', { memoryLimitMiB: 512, cpu: 256, taskRole });
    taskDefinition.addContainer('app', { image: APP_IMAGE });
    new MackerelContainerAgent(imported.stack, 'Agent', {
      taskDefinition, apiKey: imported.apiKey, roles: ['shop:web'], config: { location: MackerelAgentConfigLocation.fromBucket(s3.Bucket.fromBucketName(imported.stack, 'Configs', 'configs'), 'a.yml') },
    });
    Annotations.fromStack(imported.stack).hasNoWarning('*', Match.stringLikeRegexp('agentConfigNotGranted'));
  });

  describe('an S3 config outside the aws partition, where the agent looks up the bucket\'s region in the aws partition', () => {
    const PLUGINS = { metricPlugins: { nginx: { command: MackerelPluginCommand.exec('mackerel-plugin-nginx') } } };
    const partitionWarnings = (region: string | undefined, config: (stack: Stack) => MackerelAgentConfig) => {
      const stack = new Stack(new App(), 'Stack', region ? { env: { account: '123456789012', region } } : {});
      const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task', { memoryLimitMiB: 512, cpu: 256 });
      taskDefinition.addContainer('app', { image: APP_IMAGE });
      const apiKey = MackerelApiKey.fromSecretsManager(new secretsmanager.Secret(stack, 'ApiKey'));
      new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'], config: config(stack) });
      return Annotations.fromStack(stack).findWarning('/Stack/Agent', Match.stringLikeRegexp('agentConfigS3Partition')).map((w) => w.entry.data as string);
    };

    test.each([['cn-north-1', 'aws-cn'], ['us-gov-west-1', 'aws-us-gov']])('is warned about in %s (%s), for the written config and a bucket object', (region, partition) => {
      expect(partitionWarnings(region, () => PLUGINS)).toEqual([
        `The agent's config is read from S3 in ${region}, of the ${partition} partition, but the agent looks up a bucket's region in the aws partition `
        + '(ap-northeast-1), so it probably cannot fetch it and exits. Give config.location as MackerelAgentConfigLocation.fromUrl (https) or fromFile '
        + '[ack: cdk-mackerel:agentConfigS3Partition]',
      ]);
      expect(partitionWarnings(region, (stack) => ({ location: MackerelAgentConfigLocation.fromBucket(s3.Bucket.fromBucketName(stack, 'Configs', 'configs'), 'a.yml') })))
        .toHaveLength(1);
    });

    test('is not warned about for an https URL or a file there, for the aws partition, or for an environment-agnostic stack', () => {
      expect(partitionWarnings('cn-north-1', () => ({ location: MackerelAgentConfigLocation.fromUrl('https://config.example.com/agent.yml') }))).toEqual([]);
      expect(partitionWarnings('cn-north-1', () => ({ location: MackerelAgentConfigLocation.fromFile('/etc/mackerel/agent.yml') }))).toEqual([]);
      expect(partitionWarnings('us-east-1', () => PLUGINS)).toEqual([]);
      expect(partitionWarnings(undefined, () => PLUGINS)).toEqual([]);
    });
  });

  test('an https URL needs no grant', () => {
    const { taskDefinition, stack } = withConfig({ location: MackerelAgentConfigLocation.fromUrl('https://config.example.com/agent.yml') });
    expect(environmentOf(containerNamed(taskDefinition, AGENT)).MACKEREL_AGENT_CONFIG).toBe('https://config.example.com/agent.yml');
    Template.fromStack(stack).resourcePropertiesCountIs('AWS::IAM::Policy',
      { PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 's3:GetObject' })]) } }, 0);
  });

  test('a file in the agent container (an image of your own) is read in place, with no grant', () => {
    const image = MackerelAgentImage.fromRegistry('123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/agent:v0.13.2-shop');
    const { taskDefinition, stack } = withConfig({ location: MackerelAgentConfigLocation.fromFile('/etc/mackerel/agent.yml') }, image);
    expect(environmentOf(containerNamed(taskDefinition, AGENT)).MACKEREL_AGENT_CONFIG).toBe('/etc/mackerel/agent.yml');
    Template.fromStack(stack).resourcePropertiesCountIs('AWS::IAM::Policy',
      { PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 's3:GetObject' })]) } }, 0);
  });

  test('a file path that is not absolute is rejected', () => {
    expect(() => withConfig({ location: MackerelAgentConfigLocation.fromFile('etc/agent.yml') }))
      .toThrow(/Stack\/Agent: config.location "etc\/agent.yml" is not an absolute file path; expected a path in the agent container, such as \/etc\/mackerel\/agent.yml/);
  });

  test('a plain http URL is rejected', () => {
    expect(() => withConfig({ location: MackerelAgentConfigLocation.fromUrl('http://config.example.com/agent.yml') }))
      .toThrow(/config.location "http:\/\/config.example.com\/agent.yml" is not an https URL/);
  });

  test('a URL that is refused is shown without its user name and password', () => {
    expect(() => withConfig({ location: MackerelAgentConfigLocation.fromUrl('http://agent:s3cret@config.example.com/agent.yml') }))
      .toThrow('Stack/Agent: config.location "http://****@config.example.com/agent.yml" is not an https URL');
  });

  test('a URL quoted by an error or warning shows no query or fragment: a presigned URL\'s signature or a token may ride there', () => {
    const presigned = 'config.example.com/agent.yml?X-Amz-Credential=AKIAEXAMPLE&X-Amz-Signature=s3cret';
    expect(() => withConfig({ location: MackerelAgentConfigLocation.fromUrl(`http://${presigned}`) }))
      .toThrow('Stack/Agent: config.location "http://config.example.com/agent.yml?****" is not an https URL');
    expect(() => withConfig({ location: MackerelAgentConfigLocation.fromUrl('http://config.example.com/agent.yml#token=s3cret') }))
      .toThrow('Stack/Agent: config.location "http://config.example.com/agent.yml#****" is not an https URL');
    const { stack } = withConfig({ location: MackerelAgentConfigLocation.fromUrl(`https://agent@${presigned}`) });
    const warnings = Annotations.fromStack(stack).findWarning('/Stack/Agent', Match.anyValue()).map((w) => w.entry.data);
    expect(warnings).toEqual([expect.stringMatching(/^config.location "https:\/\/\*\*\*\*@config.example.com\/agent.yml\?\*\*\*\*" carries a user name, /)]);
    expect(JSON.stringify(warnings)).not.toMatch(/s3cret|AKIAEXAMPLE/);
  });

  test('a probe proxy quoted by an error or warning shows no query or fragment', () => {
    const probe = (options: Partial<Parameters<typeof MackerelReadinessProbe.http>[0]>) =>
      ({ readinessProbe: MackerelReadinessProbe.http({ path: '/health', ...options }) });
    expect(() => withConfig(probe({ port: 80, proxy: 'proxy:3128/?token=s3cret' })))
      .toThrow('Stack/Agent: config.readinessProbe.proxy "proxy:3128/?****" is not an http or https URL');
    expect(() => withConfig(probe({ port: 80, proxy: 'http://proxy\ud800:3128/#s3cret' })))
      .toThrow('Stack/Agent: config.readinessProbe.proxy "http://proxy\\ud800:3128/#****" holds a lone UTF-16 surrogate (U+D800)');
    const { stack } = withConfig(probe({ port: 80, proxy: 'http://user@proxy:3128/?token=s3cret' }));
    const warnings = Annotations.fromStack(stack).findWarning('/Stack/Agent', Match.anyValue()).map((w) => w.entry.data);
    expect(warnings).toEqual([expect.stringContaining('"http://****@proxy:3128/?****" carries a user name or password')]);
    expect(JSON.stringify(warnings)).not.toContain('s3cret');
  });

  test('an https URL with a user name or password is written as given, with a warning that the template holds them in plain text', () => {
    const warned = (url: string) => {
      const { stack, taskDefinition } = withConfig({ location: MackerelAgentConfigLocation.fromUrl(url) });
      expect(environmentOf(containerNamed(taskDefinition, AGENT)).MACKEREL_AGENT_CONFIG).toBe(url);
      return Annotations.fromStack(stack).findWarning('/Stack/Agent', Match.stringLikeRegexp('urlCredentialsInTemplate')).map((w) => w.entry.data);
    };
    expect(warned('https://agent:s3cret@config.example.com/agent.yml')).toEqual([
      'config.location "https://****@config.example.com/agent.yml" carries a user name and password, which are written into the template in plain text '
      + '(MACKEREL_AGENT_CONFIG of the agent container), readable by anyone who can read the stack or the task definition. '
      + 'Use MackerelAgentConfigLocation.fromBucket, which the task role reads with its own credentials, or a URL that needs none '
      + '[ack: cdk-mackerel:urlCredentialsInTemplate]',
    ]);
    expect(warned('https://deploy-token@config.example.com/agent.yml')).toEqual([
      expect.stringMatching(/^config.location "https:\/\/\*\*\*\*@config.example.com\/agent.yml" carries a user name, which is written /),
    ]);
    // an "@" in the path is no user name
    expect(warned('https://config.example.com/teams/@shop/agent.yml')).toEqual([]);
  });

  test('an https URL built around a token is warned about for the password it writes as text, which the warning does not show', () => {
    const fixture = fargateTask();
    const host = new CfnParameter(fixture.stack, 'ConfigHost').valueAsString;
    new MackerelContainerAgent(fixture.stack, 'Agent', {
      taskDefinition: fixture.taskDefinition,
      apiKey: fixture.apiKey,
      roles: ['shop:web'],
      config: { location: MackerelAgentConfigLocation.fromUrl(`https://agent:s3cret@${host}/agent.yml`) },
    });
    const warnings = Annotations.fromStack(fixture.stack).findWarning('/Stack/Agent', Match.stringLikeRegexp('urlCredentialsInTemplate')).map((w) => w.entry.data);
    expect(warnings).toEqual([expect.stringMatching(/^config.location "https:\/\/\*\*\*\*@\$\{Token\[[^"]+\]\}\/agent.yml" carries a user name and password, /)]);
    expect(JSON.stringify(warnings)).not.toContain('s3cret');
  });

  test('an object key or file path with "?", "#" or "%" is percent-encoded: the agent reads the variable as a URL and decodes its path', () => {
    // The agent passes MACKEREL_AGENT_CONFIG to Go's url.Parse: "?" starts a query, "#" a fragment and "%XX" is decoded,
    // so written as given these would make it fetch another key (or file) than the one granted.
    const fixture = fargateTask();
    const bucket = new s3.Bucket(fixture.stack, 'Configs');
    new MackerelContainerAgent(fixture.stack, 'Agent', {
      taskDefinition: fixture.taskDefinition,
      apiKey: fixture.apiKey,
      config: { location: MackerelAgentConfigLocation.fromBucket(bucket, 'agents/web?v=1#2 100%.yml') },
    });
    expect(environmentOf(containerNamed(fixture.taskDefinition, AGENT)).MACKEREL_AGENT_CONFIG)
      .toEqual(fixture.stack.resolve(`s3://${bucket.bucketName}/agents/web%3Fv=1%232 100%25.yml`));
    const { taskDefinition } = withConfig({ location: MackerelAgentConfigLocation.fromFile('/etc/mackerel/a#b?c%41.yml') },
      MackerelAgentImage.fromRegistry('123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/agent:v0.13.2-shop'));
    expect(environmentOf(containerNamed(taskDefinition, AGENT)).MACKEREL_AGENT_CONFIG).toBe('/etc/mackerel/a%23b%3Fc%2541.yml');
  });

  test('an object key with "*", "?" or "${" is granted as that one object: IAM reads them as wildcards and variables unless escaped', () => {
    const fixture = fargateTask();
    const bucket = new s3.Bucket(fixture.stack, 'Configs');
    new MackerelContainerAgent(fixture.stack, 'Agent', {
      taskDefinition: fixture.taskDefinition,
      apiKey: fixture.apiKey,
      config: { location: MackerelAgentConfigLocation.fromBucket(bucket, 'agents/*/web?${aws:username}.yml') },
    });
    Template.fromStack(fixture.stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          { Effect: 'Allow', Action: 's3:GetObject', Resource: fixture.stack.resolve(bucket.arnForObjects('agents/${*}/web${?}${$}{aws:username}.yml')) },
        ]),
      },
    });
  });

  test('a file path starting with "//" is rejected: the agent would read its first segment as a URL host', () => {
    expect(() => withConfig({ location: MackerelAgentConfigLocation.fromFile('//etc/mackerel/agent.yml') }))
      .toThrow(/Stack\/Agent: config.location "\/\/etc\/mackerel\/agent.yml" is not an absolute file path/);
  });

  test('a key, file path or URL holding a lone UTF-16 surrogate is rejected, the value escaped: it reaches the agent as UTF-8, which cannot encode it', () => {
    const token = Token.asString({ Ref: 'Prefix' });
    const inBucket = (key: string) => (stack: Stack) => MackerelAgentConfigLocation.fromBucket(s3.Bucket.fromBucketName(stack, 'Configs', 'configs'), key);
    const cases: Array<[(stack: Stack) => MackerelAgentConfigLocation, string]> = [
      [inBucket('agents/web\ud800.yml'), 'config.location key "agents/web\\ud800.yml" holds a lone UTF-16 surrogate (U+D800)'],
      [inBucket(`${token}/\udc00.yml`), `config.location key "${token}/\\udc00.yml" holds a lone UTF-16 surrogate (U+DC00)`],
      // aws-cdk-lib checks a bucket name only when it holds no token
      [(stack) => MackerelAgentConfigLocation.fromBucket(s3.Bucket.fromBucketName(stack, 'Configs', `${token}-configs\ud800`), 'agent.yml'),
        `config.location bucket "${token}-configs\\ud800" holds a lone UTF-16 surrogate (U+D800)`],
      [() => MackerelAgentConfigLocation.fromUrl('https://config.example.com/\ud800.yml?X-Amz-Signature=s3cret'),
        'config.location "https://config.example.com/\\ud800.yml?****" holds a lone UTF-16 surrogate (U+D800)'],
      [() => MackerelAgentConfigLocation.fromFile('/etc/mackerel/\udbff.yml'), 'config.location "/etc/mackerel/\\udbff.yml" holds a lone UTF-16 surrogate (U+DBFF)'],
      [() => MackerelAgentConfigLocation.fromUrl('https://agent:s3cret@config.example.com/\ud800.yml'),
        'config.location "https://****@config.example.com/\\ud800.yml" holds a lone UTF-16 surrogate (U+D800)'],
    ];
    for (const [location, start] of cases) {
      const fixture = fargateTask();
      expect(() => new MackerelContainerAgent(fixture.stack, 'Agent', {
        taskDefinition: fixture.taskDefinition, apiKey: fixture.apiKey, config: { location: location(fixture.stack) },
      })).toThrow(`Stack/Agent: ${start}, which UTF-8 cannot encode: passed on as UTF-8 by CloudFormation and ECS, the agent's `
        + 'MACKEREL_AGENT_CONFIG would hold another name, so the agent would not find its config and exit at start; expected well-formed Unicode text, with a surrogate only as half of a pair');
    }
    // A pair is one character (U+1F41F), written as it is.
    const { taskDefinition } = withConfig({ location: MackerelAgentConfigLocation.fromFile('/etc/mackerel/\ud83d\udc1f.yml') },
      MackerelAgentImage.fromRegistry('123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/agent:v0.13.2-shop'));
    expect(environmentOf(containerNamed(taskDefinition, AGENT)).MACKEREL_AGENT_CONFIG).toBe('/etc/mackerel/\u{1F41F}.yml');
  });

  test('an object key with a leading slash is rejected', () => {
    const fixture = fargateTask();
    const bucket = new s3.Bucket(fixture.stack, 'Configs');
    expect(() => new MackerelContainerAgent(fixture.stack, 'Agent', {
      taskDefinition: fixture.taskDefinition,
      apiKey: fixture.apiKey,
      config: { location: MackerelAgentConfigLocation.fromBucket(bucket, '/agent.yml') },
    })).toThrow(/config.location key "\/agent.yml" is not an S3 object key/);
  });

  test('settings together with a location are rejected', () => {
    expect(() => withConfig({
      location: MackerelAgentConfigLocation.fromUrl('https://config.example.com/agent.yml'),
      readinessProbe: MackerelReadinessProbe.tcp({ port: 80 }),
    })).toThrow(/config "readinessProbe" is set together with config.location/);
  });
});

describe('agent config: credentials written into the config file', () => {
  test('a probe header that carries a credential warns once per header, never showing its value: the config file is an S3 asset in the bootstrap bucket', () => {
    // GIVEN
    const { stack } = withConfig({
      readinessProbe: MackerelReadinessProbe.http({
        path: '/health',
        port: 8080,
        headers: {
          'Authorization': 'Bearer s3cret-a',
          'proxy-authorization': 'Basic s3cret-b',
          'COOKIE': 'session=s3cret-c',
          'X-Api-Key': 's3cret-d',
          'X-Auth-Token': 's3cret-e',
          'X-Client-Secret': 's3cret-f',
          'X-Password': 's3cret-g',
          'Host': 'shop.example.com',
          'Accept': 'application/json',
          'X-Empty-Token': '',
        },
      }),
    });
    // THEN
    const warnings = Annotations.fromStack(stack).findWarning('/Stack/Agent', Match.stringLikeRegexp('credentialInAgentConfig'));
    const properties = warnings.map((w) => /^(\S+) looks like a credential/.exec(w.entry.data as string)?.[1]);
    expect(properties.sort()).toEqual([
      'config.readinessProbe.headers.Authorization', 'config.readinessProbe.headers.COOKIE', 'config.readinessProbe.headers.X-Api-Key',
      'config.readinessProbe.headers.X-Auth-Token', 'config.readinessProbe.headers.X-Client-Secret', 'config.readinessProbe.headers.X-Password',
      'config.readinessProbe.headers.proxy-authorization',
    ]);
    for (const warning of warnings) {
      expect(warning.entry.data).not.toMatch(/s3cret/);
      expect(warning.entry.data).toMatch(/written in plain text into the agent's config file, an S3 asset: it is kept in the cloud assembly \(cdk\.out\) and in the CDK bootstrap bucket/);
      expect(warning.entry.data).toMatch(/Probe a path that needs no credential, or use MackerelReadinessProbe\.exec/);
    }
  });

  test('a probe proxy URL with a user name or password warns, masked; one without does not', () => {
    // GIVEN
    const { stack } = withConfig({
      readinessProbe: MackerelReadinessProbe.http({ path: '/health', port: 8080, proxy: 'http://probe:s3cret-a@proxy.internal:3128' }),
    });
    const { stack: plain } = withConfig({
      readinessProbe: MackerelReadinessProbe.http({ path: '/health', port: 8080, proxy: 'http://proxy.internal:3128' }),
    });
    // THEN
    const warnings = Annotations.fromStack(stack).findWarning('/Stack/Agent', Match.stringLikeRegexp('credentialInAgentConfig'));
    expect(warnings.map((w) => w.entry.data)).toEqual([expect.stringMatching(
      /^config\.readinessProbe\.proxy "http:\/\/\*\*\*\*@proxy\.internal:3128" carries a user name or password, which is written in plain text into the agent's config file, an S3 asset: .*Probe through a proxy that needs no credential/)]);
    expect(JSON.stringify(warnings)).not.toMatch(/s3cret/);
    expect(Annotations.fromStack(plain).findWarning('/Stack/Agent', Match.stringLikeRegexp('credentialInAgentConfig'))).toEqual([]);
  });

  test('a probe proxy URL with an empty userinfo (http://@proxy, http://:@proxy) carries no credential, so does not warn', () => {
    for (const proxy of ['http://@proxy.internal:3128', 'http://:@proxy.internal:3128']) {
      const { stack } = withConfig({ readinessProbe: MackerelReadinessProbe.http({ path: '/health', port: 8080, proxy }) });
      expect(Annotations.fromStack(stack).findWarning('/Stack/Agent', Match.stringLikeRegexp('credentialInAgentConfig'))).toEqual([]);
    }
  });

  test('a plugin or exec probe env value whose name ends in a credential\'s word warns, and a name that only mentions one does not', () => {
    // GIVEN
    const { stack } = withConfig({
      checkPlugins: {
        db: {
          command: MackerelPluginCommand.shell('check-mysql connection'),
          env: { MYSQL_PASSWORD: 's3cret-a', GITHUB_TOKEN: 's3cret-b', api_key: 's3cret-c', AWS_SECRET_ACCESS_KEY: 's3cret-d', TOKEN_FILE: '/run/t', SSH_KEY_PATH: '/k', CACHE_KEY: 'v1', LANG: 'C', EMPTY_SECRET: '' },
        },
      },
      readinessProbe: MackerelReadinessProbe.exec({ command: MackerelPluginCommand.shell('true'), env: { 'PROBE-SECRET': 's3cret-e' } }),
    });
    // THEN
    const warnings = Annotations.fromStack(stack).findWarning('/Stack/Agent', Match.stringLikeRegexp('credentialInAgentConfig'));
    const properties = warnings.map((w) => /^(\S+) looks like a credential/.exec(w.entry.data as string)?.[1]);
    expect(properties.sort()).toEqual([
      'config.checkPlugins.db.env.AWS_SECRET_ACCESS_KEY', 'config.checkPlugins.db.env.GITHUB_TOKEN', 'config.checkPlugins.db.env.MYSQL_PASSWORD',
      'config.checkPlugins.db.env.api_key', 'config.readinessProbe.env.PROBE-SECRET',
    ]);
    for (const warning of warnings) {
      expect(warning.entry.data).not.toMatch(/s3cret/);
      expect(warning.entry.data).toMatch(/Give it to the agent container as an ECS secret \(container\.addSecret\) instead: plugins and exec probes inherit the agent's environment/);
    }
  });
  test('the commonest database password variables warn too, and the shell\'s PWD does not', () => {
    // GIVEN libpq's PGPASSWORD, MySQL's MYSQL_PWD and the like, beside names that only look alike
    const { stack } = withConfig({
      checkPlugins: {
        db: {
          command: MackerelPluginCommand.shell('check-postgresql connection'),
          env: { PGPASSWORD: 's3cret-a', MYSQL_PWD: 's3cret-b', DATA_SOURCE_PASS: 's3cret-c', PWD: '/srv', OLDPWD: '/', BYPASS: 'yes', PATH: '/bin', HOME: '/root', PGHOST: 'db' },
        },
      },
    });
    // THEN
    const warnings = Annotations.fromStack(stack).findWarning('/Stack/Agent', Match.stringLikeRegexp('credentialInAgentConfig'));
    expect(warnings.map((w) => /^(\S+) looks like a credential/.exec(w.entry.data as string)?.[1]).sort()).toEqual([
      'config.checkPlugins.db.env.DATA_SOURCE_PASS', 'config.checkPlugins.db.env.MYSQL_PWD', 'config.checkPlugins.db.env.PGPASSWORD',
    ]);
  });

  test('a switch about a password (MYSQL_ALLOW_EMPTY_PASSWORD=yes) and a file path (POSTGRES_PASSWORD_FILE) carry no credential, so do not warn', () => {
    // GIVEN the database images' switches beside real passwords of the same names
    const { stack } = withConfig({
      checkPlugins: {
        db: {
          command: MackerelPluginCommand.shell('check-mysql connection'),
          env: {
            MYSQL_ALLOW_EMPTY_PASSWORD: 'yes',
            MYSQL_RANDOM_ROOT_PASSWORD: 'YES',
            MARIADB_ALLOW_EMPTY_ROOT_PASSWORD: '1',
            ALLOW_EMPTY_PASSWORD: 'true',
            MYSQL_ONETIME_PASSWORD: 'false',
            POSTGRES_PASSWORD_FILE: '/run/secrets/db',
            REDIS_PASSWORD: 'yes-s3cret-a',
            DB_PASSWORD: 's3cret-b',
            API_KEY: 'On1',
          },
        },
      },
    });
    // THEN
    const warnings = Annotations.fromStack(stack).findWarning('/Stack/Agent', Match.stringLikeRegexp('credentialInAgentConfig'));
    expect(warnings.map((w) => /^(\S+) looks like a credential/.exec(w.entry.data as string)?.[1]).sort()).toEqual([
      'config.checkPlugins.db.env.API_KEY', 'config.checkPlugins.db.env.DB_PASSWORD', 'config.checkPlugins.db.env.REDIS_PASSWORD',
    ]);
  });

  test('a probe header naming a key that is no credential (Idempotency-Key, Sec-WebSocket-Key) does not warn; X-Api-Key still does', () => {
    // GIVEN
    const { stack } = withConfig({
      readinessProbe: MackerelReadinessProbe.http({
        path: '/health',
        port: 8080,
        headers: {
          'Idempotency-Key': '8e03978e-40d5-43e8-bc93-6894a57f9324',
          'X-Idempotency-Key': 'probe-1',
          'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
          'X-Api-Key': 's3cret-a',
          'X-Idempotency-Key-Secret': 's3cret-b',
          'Ocp-Apim-Subscription-Key': 's3cret-c',
        },
      }),
    });
    // THEN
    const warnings = Annotations.fromStack(stack).findWarning('/Stack/Agent', Match.stringLikeRegexp('credentialInAgentConfig'));
    expect(warnings.map((w) => /^(\S+) looks like a credential/.exec(w.entry.data as string)?.[1]).sort()).toEqual([
      'config.readinessProbe.headers.Ocp-Apim-Subscription-Key', 'config.readinessProbe.headers.X-Api-Key',
      'config.readinessProbe.headers.X-Idempotency-Key-Secret',
    ]);
  });

  test('a URL with a password in any env value warns (DATABASE_URL), and one with a user name alone does not', () => {
    // GIVEN
    const { stack } = withConfig({
      checkPlugins: {
        db: {
          command: MackerelPluginCommand.shell('check-postgresql connection'),
          env: { DATABASE_URL: 'postgres://app:s3cret-a@db:5432/shop', CACHE: 'redis://:s3cret-b@cache:6379', REPO: 'ssh://git@github.com/shop', MAIL: 'ops@example.com', SITE: 'https://example.com:8443/a:b@c' },
        },
      },
    });
    // THEN
    const warnings = Annotations.fromStack(stack).findWarning('/Stack/Agent', Match.stringLikeRegexp('credentialInAgentConfig'));
    expect(warnings.map((w) => /^(\S+) looks like a credential/.exec(w.entry.data as string)?.[1]).sort()).toEqual([
      'config.checkPlugins.db.env.CACHE', 'config.checkPlugins.db.env.DATABASE_URL',
    ]);
    expect(JSON.stringify(warnings)).not.toMatch(/s3cret/);
  });

  test('an error about a credential\'s value (a lone surrogate, a token with literal text around it) names it without showing the value', () => {
    const check = (env: { [name: string]: string }) => ({ checkPlugins: { db: { command: MackerelPluginCommand.shell('check-mysql connection'), env } } });
    const header = (value: string) => ({ readinessProbe: MackerelReadinessProbe.http({ path: '/health', port: 8080, headers: { Authorization: value } }) });
    const token = Token.asString({ Ref: 'Suffix' });
    for (const [config, error] of [
      [check({ DB_PASSWORD: 's3cret\ud800' }),
        /^Stack\/Agent: config.checkPlugins.db.env "DB_PASSWORD" has a value that holds a lone UTF-16 surrogate \(U\+D800\), which the agent's YAML parser refuses/],
      [check({ DB_PASSWORD: `s3cret${token}` }),
        /^Stack\/Agent: config.checkPlugins.db.env "DB_PASSWORD" has a value that is not known at synth; expected a literal value, because the config file is written at synth$/],
      [header(`Bearer s3cret${token}`),
        /^Stack\/Agent: config.readinessProbe.headers "Authorization" has a value that is not known at synth; expected a literal value, because the config file is written at synth$/],
    ] as Array<[MackerelAgentConfig, RegExp]>) {
      let message = '';
      try {
        withConfig(config);
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toMatch(error);
      expect(message).not.toMatch(/s3cret/);
    }
  });
});

describe('agent config: a config with nothing the agent reads', () => {
  /** What a delivered config leaves in the stack: the asset, the variables and the task role's read. */
  const delivered = (stack: Stack, taskDefinition: ecs.TaskDefinition) => {
    const env = environmentOf(containerNamed(taskDefinition, AGENT));
    const reads = Template.fromStack(stack).findResources('AWS::IAM::Policy', {
      Properties: { PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 's3:GetObject' })]) } },
    });
    return {
      assets: stack.node.findAll().filter((c) => c instanceof s3assets.Asset).length,
      variables: Object.keys(env).filter((name) => name.startsWith('MACKEREL_AGENT_CONFIG')),
      reads: Object.keys(reads).length,
    };
  };

  for (const [name, config] of [
    ['an empty config', {}],
    ['empty plugin maps', { metricPlugins: {}, checkPlugins: {} }],
  ] as Array<[string, MackerelAgentConfig]>) {
    test(`${name} delivers nothing, as no config, without a warning`, () => {
      const { stack, taskDefinition } = withConfig(config);
      expect(delivered(stack, taskDefinition)).toEqual({ assets: 0, variables: [], reads: 0 });
      expect(containerNamed(taskDefinition, AGENT).Image).toBe(MackerelAgentImage.DEFAULT.imageName);
      Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
    });
  }

  test('a polling interval alone delivers nothing and warns: there is nothing to read again', () => {
    const { stack, taskDefinition } = withConfig({ pollingInterval: Duration.minutes(5) });
    expect(delivered(stack, taskDefinition)).toEqual({ assets: 0, variables: [], reads: 0 });
    Annotations.fromStack(stack).hasWarning('/Stack/Agent',
      'config.pollingInterval is set, but the config has no plugin, readiness probe or location, so no config file is delivered and there is nothing '
      + 'to read again. Add what the agent should read, or leave config out [ack: cdk-mackerel:agentConfigPollingUnused]');
  });

  test('a config with something to read is still delivered', () => {
    const { stack, taskDefinition } = withConfig({ readinessProbe: MackerelReadinessProbe.tcp({ port: 80 }) });
    expect(delivered(stack, taskDefinition)).toEqual({ assets: 1, variables: ['MACKEREL_AGENT_CONFIG'], reads: 1 });
  });

  test('through the extension too', () => {
    const { stack, taskDefinition, apiKey } = fargateTask();
    taskDefinition.addExtension(new MackerelAgentExtension({ apiKey, roles: ['shop:web'], config: {} }));
    expect(delivered(stack, taskDefinition)).toEqual({ assets: 0, variables: [], reads: 0 });
  });

  test('through the Aspect, whose check that the config variable was kept does not ask for one; configure(..., { config: {} }) gives a task definition none', () => {
    // GIVEN an Aspect with a config, and a task definition tuned to have none
    const { app, stack, apiKey } = agentStack();
    const withPlugins = new ecs.FargateTaskDefinition(stack, 'WithPlugins', { memoryLimitMiB: 512, cpu: 256 });
    withPlugins.addContainer('app', { image: APP_IMAGE });
    const without = new ecs.FargateTaskDefinition(stack, 'Without', { memoryLimitMiB: 512, cpu: 256 });
    without.addContainer('app', { image: APP_IMAGE });
    MackerelInstrumentation.configure(without, { config: {} });
    // WHEN
    Aspects.of(app).add(new MackerelInstrumentation({
      apiKey, roles: ['shop:batch'], config: { checkPlugins: { up: { command: MackerelPluginCommand.shell('true') } } },
    }), { priority: MackerelInstrumentation.PRIORITY });
    app.synth();
    // THEN
    expect(environmentOf(containerNamed(withPlugins, AGENT)).MACKEREL_AGENT_CONFIG).toMatch(/^s3:\/\//);
    expect(environmentOf(containerNamed(without, AGENT)).MACKEREL_AGENT_CONFIG).toBeUndefined();
    expect(stack.node.findAll().filter((c) => c instanceof s3assets.Asset).map((c) => c.node.path)).toEqual([
      `Stack/WithPlugins/${MackerelInstrumentation.AGENT_ID}/Config`,
    ]);
  });

  test('the Aspect leaving out a probe that leaves a polling interval alone delivers nothing, without a second warning', () => {
    const { app, stack, apiKey } = agentStack();
    const api = new ecs.FargateTaskDefinition(stack, 'Api', { memoryLimitMiB: 512, cpu: 256 });
    const apiContainer = api.addContainer('api', { image: APP_IMAGE, portMappings: [{ containerPort: 8080 }] });
    const batch = new ecs.FargateTaskDefinition(stack, 'Batch', { memoryLimitMiB: 512, cpu: 256 });
    batch.addContainer('app', { image: APP_IMAGE });
    Aspects.of(app).add(new MackerelInstrumentation({
      apiKey, roles: ['shop:web'], config: { readinessProbe: MackerelReadinessProbe.httpToContainer(apiContainer, '/healthz'), pollingInterval: Duration.minutes(5) },
    }), { priority: MackerelInstrumentation.PRIORITY });
    app.synth();
    expect(Object.keys(environmentOf(containerNamed(batch, AGENT))).filter((name) => name.startsWith('MACKEREL_AGENT_CONFIG'))).toEqual([]);
    expect(environmentOf(containerNamed(api, AGENT)).MACKEREL_AGENT_CONFIG_POLLING_DURATION_MINUTES).toBe('5');
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('agentConfigPollingUnused'));
  });
});
