import { App, CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { describe, expect, test } from 'vitest';
import { APP_IMAGE, agentStack, fargateTask } from './_fixture';
import {
  MackerelAgentDependency, MackerelAgentImage, MackerelAgentLogLevel, MackerelAgentOptions, MackerelContainerAgent,
  MackerelHostIdStore, MackerelHostStatus,
} from '../../src/agent';
import { _goRegExp } from '../../src/agent/_checks';

/** Adds an agent with the given options to a Fargate task; returns what adding throws. */
function addAgent(options: Partial<MackerelAgentOptions>) {
  const { stack, taskDefinition, apiKey } = fargateTask();
  return () => new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'], ...options });
}

describe('options rejected at construction, with the path, property, value and what is allowed', () => {
  test('a role without a valid service:role form', () => {
    expect(addAgent({ roles: ['shop:web', 'shop:web!'] }))
      .toThrow(/^Stack\/Agent: roles\[1\] "shop:web!" is not a Mackerel role full name; expected service:role, each part 2-63/);
  });

  test('a role given twice, which the agent would send twice: Mackerel does not say what it does with a repeated role', () => {
    expect(addAgent({ roles: ['shop:web', 'shop:batch', 'shop:web'] }))
      .toThrow(/^Stack\/Agent: roles\[2\] "shop:web" is given twice; expected each role once$/);
    // one parameter given twice, shown as the template writes it
    const { stack, taskDefinition, apiKey } = fargateTask();
    const role = new CfnParameter(stack, 'Role').valueAsString;
    expect(() => new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: [role, 'shop:web', role] }))
      .toThrow('Stack/Agent: roles[2] {"Ref":"Role"} is given twice; expected each role once');
    // the same service with two roles is no repeat
    expect(addAgent({ roles: ['shop:web', 'shop:batch'] })).not.toThrow();
  });

  test('a cpu the task has no room for, with the room left', () => {
    // GIVEN a 256-unit task whose app takes 200
    const { stack, apiKey } = agentStack();
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task', { memoryLimitMiB: 512, cpu: 256 });
    taskDefinition.addContainer('app', { image: APP_IMAGE, cpu: 200 });
    // THEN
    expect(() => new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'], cpu: 64 })).toThrow(
      'Stack/Agent: cpu 64 does not fit in the task Stack/Task: its 256 units minus 200 reserved by the other containers leaves 56; expected at most 56. '
      + 'Raise the task cpu, lower the other containers\' cpu, or leave cpu unset (the agent then reserves none)');
    expect(() => new MackerelContainerAgent(stack, 'Fits', { taskDefinition, apiKey, roles: ['shop:web'], cpu: 56 })).not.toThrow();
  });

  test('a role without its service', () => {
    expect(addAgent({ roles: ['web'] })).toThrow(/roles\[0\] "web" is not a Mackerel role full name; expected service:role/);
  });

  test.each([
    ['a part starting with -', '-shop:web'],
    ['a part starting with _', 'shop:_web'],
    ['a part of 64 characters', `shop:${'w'.repeat(64)}`],
    ['an empty entry', ''],
    ['a third part', 'shop:web:extra'],
  ])('a role with %s', (_, role) => {
    expect(addAgent({ roles: ['shop:web', role] })).toThrow(`roles[1] ${JSON.stringify(role)} is not a Mackerel role full name`);
  });

  test('a role part of 63 characters is the longest accepted', () => {
    expect(addAgent({ roles: [`shop:${'w'.repeat(63)}`] })).not.toThrow();
  });

  test('a role part of one character', () => {
    expect(addAgent({ roles: ['shop:w'] })).toThrow(/roles\[0\] "shop:w" is not a Mackerel role full name/);
  });

  test('an unknown host status', () => {
    expect(addAgent({ hostStatusOnStart: 'running' as MackerelHostStatus }))
      .toThrow(/hostStatusOnStart "running" is not a known value; expected one of "working", "standby", "maintenance", "poweroff"/);
  });

  test('an unknown host ID store', () => {
    expect(addAgent({ hostIdStore: 'disk' as MackerelHostIdStore }))
      .toThrow(/hostIdStore "disk" is not a known value; expected one of "file", "memory"/);
  });

  test('an unknown log level', () => {
    expect(addAgent({ logLevel: 'VERBOSE' as MackerelAgentLogLevel }))
      .toThrow(/logLevel "VERBOSE" is not a known value; expected one of "TRACE", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"/);
  });

  test('an unknown app container dependency', () => {
    expect(addAgent({ appContainerDependency: 'HEALTHY' as MackerelAgentDependency }))
      .toThrow(/appContainerDependency "HEALTHY" is not a known value; expected one of "START", "NONE"/);
  });

  test('an invalid container name', () => {
    expect(addAgent({ containerName: 'mackerel agent' }))
      .toThrow(/containerName "mackerel agent" is not a valid ECS container name; expected 1-255 letters, digits, - or _/);
  });

  test('a memory limit of zero', () => {
    expect(addAgent({ memoryLimitMiB: 0 })).toThrow(/memoryLimitMiB 0 is not a positive whole number; expected an integer of at least 1/);
  });

  test('a memory limit below Docker\'s 6 MiB minimum: the agent container could not be created', () => {
    expect(addAgent({ memoryLimitMiB: 5 })).toThrow('Stack/Agent: memoryLimitMiB 5 is below the 6 MiB Docker sets as a container\'s least memory, '
      + 'so the agent container could not be created and the tasks would run unmonitored; expected at least 6 (Mackerel\'s recipe uses 128)');
    expect(addAgent({ memoryLimitMiB: 6 })).not.toThrow();
  });

  test('a fractional CPU reservation', () => {
    expect(addAgent({ cpu: 1.5 })).toThrow(/cpu 1.5 is not a positive whole number/);
  });

  test('a stop timeout over Fargate\'s 120 s', () => {
    expect(addAgent({ stopTimeout: Duration.seconds(121) }))
      .toThrow(/stopTimeout "2 minutes 1 second" is out of range; expected whole seconds from 1 to 120 \(Fargate's maximum\)/);
  });

  test('a stop timeout of a fraction of a second', () => {
    expect(addAgent({ stopTimeout: Duration.millis(1500) })).toThrow(/stopTimeout "1 second 500 millis" is out of range; expected whole seconds/);
  });

  test('a stop timeout over Fargate\'s 120 s on a task definition for Fargate, EC2 and Managed Instances at once', () => {
    // aws-cdk-lib's isFargateCompatible is false for this compatibility, though the task may run on Fargate.
    const { stack, apiKey } = agentStack();
    const taskDefinition = new ecs.TaskDefinition(stack, 'Task', {
      compatibility: ecs.Compatibility.FARGATE_AND_EC2_AND_MANAGED_INSTANCES, networkMode: ecs.NetworkMode.AWS_VPC, cpu: '1024', memoryMiB: '2048',
    });
    taskDefinition.addContainer('app', { image: APP_IMAGE, memoryLimitMiB: 256 });
    expect(() => new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'], stopTimeout: Duration.seconds(121) }))
      .toThrow(/^Stack\/Agent: stopTimeout "2 minutes 1 second" is out of range; expected whole seconds from 1 to 120 \(Fargate's maximum\)/);
  });

  test('a stop timeout over 120 s is fine on EC2', () => {
    const { stack, apiKey } = agentStack();
    const taskDefinition = new ecs.Ec2TaskDefinition(stack, 'Task');
    taskDefinition.addContainer('app', { image: APP_IMAGE, memoryLimitMiB: 256 });
    expect(() => new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'], stopTimeout: Duration.minutes(5) }))
      .not.toThrow();
  });

  test('an ignore-container expression that does not compile', () => {
    expect(addAgent({ ignoreContainer: '\\A(mackerel\\z' }))
      .toThrow(/ignoreContainer "\\\\A\(mackerel\\\\z" is not a valid regular expression \(.*\); expected a Go RE2 regular expression/);
  });

  test('an ignore-container expression with a back-reference, which RE2 lacks', () => {
    expect(addAgent({ ignoreContainer: '(a)\\1' })).toThrow(/ignoreContainer "\(a\)\\\\1" uses back-references or look-around/);
  });

  test('an ignore-container expression with look-ahead, which RE2 lacks', () => {
    expect(addAgent({ ignoreContainer: 'mackerel(?=-agent)' })).toThrow(/ignoreContainer "mackerel\(\?=-agent\)" uses back-references or look-around/);
  });

  test('an API base without a scheme', () => {
    expect(addAgent({ apiBase: 'api.mackerelio.com' }))
      .toThrow(/apiBase "api.mackerelio.com" is not an http or https URL; expected an absolute URL/);
  });

  test('an HTTPS proxy that is not an http(s) URL', () => {
    expect(addAgent({ httpsProxy: 'socks5://proxy:1080' })).toThrow(/httpsProxy "socks5:\/\/proxy:1080" is not an http or https URL/);
  });

  test('an HTTP proxy given as host:port', () => {
    expect(addAgent({ httpProxy: 'proxy:3128' })).toThrow(/httpProxy "proxy:3128" is not an http or https URL/);
  });

  test('a proxy URL that is refused is shown without its user name and password', () => {
    // GIVEN credentials in a URL of another scheme, in one without its scheme, and a password holding "/" and "@"
    const refused: Array<[Partial<MackerelAgentOptions>, string]> = [
      [{ httpsProxy: 'socks5://proxyuser:s3cret@proxy:1080' }, 'httpsProxy "socks5://****@proxy:1080" is not an http or https URL'],
      [{ httpProxy: 'proxyuser:s3cret@proxy.internal:3128' }, 'httpProxy "****@proxy.internal:3128" is not an http or https URL'],
      [{ httpsProxy: 'ftp://proxyuser:s3/cr@t@proxy:21' }, 'httpsProxy "ftp://****@proxy:21" is not an http or https URL'],
      [{ apiBase: 'proxyuser:s3cret@api.internal' }, 'apiBase "****@api.internal" is not an http or https URL'],
    ];
    for (const [options, message] of refused) {
      // THEN the error says what is wrong, and nothing of the credentials
      const error = (() => {
        try {
          addAgent(options)();
        } catch (e) {
          return (e as Error).message;
        }
        return 'no error';
      })();
      expect(error).toContain(`Stack/Agent: ${message}`);
      expect(error).not.toMatch(/proxyuser|s3cret|s3\/cr/);
    }
  });

  test('a refused URL with an "@" in its path shows its host: userinfo ends where the authority does, at the first "/", "?" or "#"', () => {
    // GIVEN an "@" after the authority, with and without credentials before it, and without a scheme
    const refused: Array<[Partial<MackerelAgentOptions>, string]> = [
      [{ httpsProxy: 'socks5://proxy:1080/a@b' }, 'httpsProxy "socks5://proxy:1080/a@b" is not an http or https URL'],
      [{ httpsProxy: 'socks5://proxy:1080?user=a@b' }, 'httpsProxy "socks5://proxy:1080?****" is not an http or https URL'],
      [{ apiBase: 'api.internal/v0@x' }, 'apiBase "api.internal/v0@x" is not an http or https URL'],
      [{ httpsProxy: 'socks5://proxyuser:s3cret@proxy:1080/a@b' }, 'httpsProxy "socks5://****@proxy:1080/a@b" is not an http or https URL'],
      [{ httpsProxy: 'socks5://proxyuser:s3?cr#et@proxy:1080/a@b' }, 'httpsProxy "socks5://****@b" is not an http or https URL'],
    ];
    // THEN each error shows the host, and never the credentials
    for (const [options, message] of refused) {
      expect(addAgent(options)).toThrow(`Stack/Agent: ${message}`);
      expect(addAgent(options)).not.toThrow(/proxyuser|s3/);
    }
  });

  test('a URL quoted by an error or a warning shows no query or fragment, where a token may ride', () => {
    const message = (options: Partial<MackerelAgentOptions>) => {
      try {
        addAgent(options)();
      } catch (e) {
        return (e as Error).message;
      }
      return 'no error';
    };
    // GIVEN a token in the query or fragment of a URL that is refused
    expect(message({ apiBase: 'api.internal/?token=s3cret' })).toContain('Stack/Agent: apiBase "api.internal/?****" is not an http or https URL');
    expect(message({ httpsProxy: 'socks5://proxy:1080/#s3cret' })).toContain('Stack/Agent: httpsProxy "socks5://proxy:1080/#****" is not an http or https URL');
    // and of one holding a lone surrogate
    for (const property of ['apiBase', 'httpProxy', 'httpsProxy'] as const) {
      expect(message({ [property]: 'https://api\ud800.internal/?token=s3cret' }))
        .toContain(`Stack/Agent: ${property} "https://api\\ud800.internal/?****" holds a lone UTF-16 surrogate (U+D800)`);
    }
    // THEN none shows the token
    for (const options of [{ apiBase: 'api.internal/?token=s3cret' }, { httpsProxy: 'socks5://proxy:1080/#s3cret' }, { apiBase: 'https://api\ud800/?token=s3cret' }]) {
      expect(message(options)).not.toContain('s3cret');
    }
    // GIVEN a token in the query of a URL that is warned about, for its cleartext or its user name
    const { stack, taskDefinition, apiKey } = fargateTask();
    new MackerelContainerAgent(stack, 'Agent', {
      taskDefinition, apiKey, roles: ['shop:web'], apiBase: 'http://gateway:pw@api.internal/?token=s3cret', httpsProxy: 'http://user@proxy:3128/#s3cret',
    });
    // THEN each warning masks it
    const warnings = Annotations.fromStack(stack).findWarning('/Stack/Agent', Match.anyValue()).map((w) => w.entry.data as string);
    expect(warnings).toEqual(expect.arrayContaining([
      expect.stringMatching(/^apiBase "http:\/\/\*\*\*\*@api.internal\/\?\*\*\*\*" sends the Mackerel API key/),
      expect.stringMatching(/^apiBase "https?:\/\/\*\*\*\*@api.internal\/\?\*\*\*\*" carries a user name and password/),
      expect.stringMatching(/^httpsProxy "http:\/\/\*\*\*\*@proxy:3128\/#\*\*\*\*" carries a user name/),
    ]));
    expect(JSON.stringify(warnings)).not.toContain('s3cret');
  });

  test('a proxy URL built around a token with an "@" in its path carries no credentials, so it is not warned about', () => {
    const { stack, taskDefinition, apiKey } = fargateTask();
    const host = new CfnParameter(stack, 'ProxyHost').valueAsString;
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'], httpsProxy: `http://${host}:3128/route@edge` });
    Annotations.fromStack(stack).hasNoWarning('/Stack/Agent', Match.stringLikeRegexp('proxyCredentialsInTemplate'));
  });

  test('a no-proxy entry holding several entries', () => {
    expect(addAgent({ noProxy: ['.internal', 'a.example.com,b.example.com'] }))
      .toThrow(/noProxy\[1\] "a.example.com,b.example.com" is not a single host, domain or CIDR; expected one entry per item/);
  });

  test('a memory host ID store with an image older than v0.12.0, which would ignore it', () => {
    expect(addAgent({ hostIdStore: MackerelHostIdStore.MEMORY, image: MackerelAgentImage.of('v0.11.3') }))
      .toThrow(/hostIdStore "memory" needs agent v0.12.0 or later, but the image is public.ecr.aws\/mackerel\/mackerel-container-agent:v0.11.3/);
    // ignoring FILE keeps the file store the older agent uses anyway
    expect(addAgent({ hostIdStore: MackerelHostIdStore.FILE, image: MackerelAgentImage.of('v0.11.3') })).not.toThrow();
  });

  test('a log level with an image older than v0.8.0, which would ignore it and log at INFO', () => {
    expect(addAgent({ logLevel: MackerelAgentLogLevel.ERROR, image: MackerelAgentImage.of('v0.7.2') }))
      .toThrow('Stack/Agent: logLevel "ERROR" needs agent v0.8.0 or later, but the image is public.ecr.aws/mackerel/mackerel-container-agent:v0.7.2; '
        + 'expected an image of v0.8.0 or later, or no logLevel');
    expect(addAgent({ logLevel: MackerelAgentLogLevel.ERROR, image: MackerelAgentImage.of('v0.8.0') })).not.toThrow();
  });

  test('a display name with an image older than v0.11.0', () => {
    expect(addAgent({ displayName: 'web', image: MackerelAgentImage.ofPlugins('v0.10.1') }))
      .toThrow(/displayName "web" needs agent v0.11.0 or later/);
  });

  test('free text for the agent\'s environment holding a lone UTF-16 surrogate, which UTF-8 cannot pass on, the value escaped (a URL masked)', () => {
    const tail = ', which UTF-8 cannot encode: passed on as UTF-8 by CloudFormation and ECS, the agent\'s ';
    const expected = '; expected well-formed Unicode text, with a surrogate only as half of a pair';
    const role = `${new CfnParameter(new Stack(), 'Role').valueAsString}`;
    const cases: Array<[Partial<MackerelAgentOptions>, string]> = [
      [{ displayName: 'web\ud800' }, `displayName "web\\ud800" holds a lone UTF-16 surrogate (U+D800)${tail}MACKEREL_DISPLAY_NAME would hold other `
        + `text (U+FFFD in its place), so the hosts would not show the name given${expected}`],
      [{ memo: '\udc00 memo' }, `memo "\\udc00 memo" holds a lone UTF-16 surrogate (U+DC00)${tail}MACKEREL_MEMO would hold other text`],
      [{ roles: ['shop:web', `${role}\ud83d`] }, `roles[1] "${role}\\ud83d" holds a lone UTF-16 surrogate (U+D83D)${tail}MACKEREL_ROLES`],
      [{ ignoreContainer: '^sidecar\udfff$' }, `ignoreContainer "^sidecar\\udfff$" holds a lone UTF-16 surrogate (U+DFFF)${tail}MACKEREL_IGNORE_CONTAINER`],
      [{ apiBase: 'https://api.example.com/\ud800' }, `apiBase "https://api.example.com/\\ud800" holds a lone UTF-16 surrogate (U+D800)${tail}MACKEREL_APIBASE`],
      [{ httpProxy: 'http://user:s3cret\ud800@proxy:3128' }, `httpProxy "http://****@proxy:3128" holds a lone UTF-16 surrogate (U+D800)${tail}HTTP_PROXY`],
      [{ httpsProxy: 'http://proxy\udbff:3128' }, `httpsProxy "http://proxy\\udbff:3128" holds a lone UTF-16 surrogate (U+DBFF)${tail}HTTPS_PROXY`],
      [{ noProxy: ['internal\udc00.example.com'] }, `noProxy[0] "internal\\udc00.example.com" holds a lone UTF-16 surrogate (U+DC00)${tail}NO_PROXY`],
    ];
    for (const [options, message] of cases) expect(addAgent(options)).toThrow(`Stack/Agent: ${message}`);
    // A pair is one character (U+1F41F), passed on as it is.
    expect(addAgent({ displayName: 'web \ud83d\udc1f', memo: '\ud83d\udc1f' })).not.toThrow();
  });
});

describe('options accepted', () => {
  test('tokens are not checked at synth', () => {
    const { stack, taskDefinition, apiKey } = fargateTask();
    const role = new CfnParameter(stack, 'Role').valueAsString;
    const memory = new CfnParameter(stack, 'Memory', { type: 'Number' }).valueAsNumber;
    const pattern = new CfnParameter(stack, 'Ignore').valueAsString;
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: [role], memoryLimitMiB: memory, ignoreContainer: pattern });
    expect(() => Template.fromStack(stack)).not.toThrow();
  });

  test('a proxy URL with credentials is written as given, with a warning that the template holds them in plain text', () => {
    // GIVEN proxies with a user and password, and with none
    const { stack, taskDefinition, apiKey } = fargateTask();
    const agent = new MackerelContainerAgent(stack, 'Agent', {
      taskDefinition, apiKey, roles: ['shop:web'], httpProxy: 'http://proxytoken@proxy.internal:3128', httpsProxy: 'http://proxyuser:s3cret@proxy.internal:3128',
    });
    const plain = fargateTask();
    new MackerelContainerAgent(plain.stack, 'Agent', { taskDefinition: plain.taskDefinition, apiKey: plain.apiKey, roles: ['shop:web'], httpsProxy: 'http://proxy.internal:3128' });
    // THEN the variable is not repaired, and the warning names the property, not the password
    Template.fromStack(stack).hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: Match.arrayWith([Match.objectLike({
        Name: agent.container.containerName,
        Environment: Match.arrayWith([{ Name: 'HTTPS_PROXY', Value: 'http://proxyuser:s3cret@proxy.internal:3128' }]),
      })]),
    });
    expect(Annotations.fromStack(stack).findWarning('/Stack/Agent', Match.stringLikeRegexp('Proxy')).map((w) => w.entry.data)).toEqual([
      'httpProxy "http://****@proxy.internal:3128" carries a user name, which is written into the template in plain text '
      + '(HTTP_PROXY of the agent container), readable by anyone who can read the stack or the task definition. Use a proxy that needs '
      + 'no credentials in its URL, such as one that admits the tasks by their subnets or security group [ack: cdk-mackerel:proxyCredentialsInTemplate]',
      'httpsProxy "http://****@proxy.internal:3128" carries a user name and password, which are written into the template in plain text '
      + '(HTTPS_PROXY of the agent container), readable by anyone who can read the stack or the task definition. Use a proxy that needs '
      + 'no credentials in its URL, such as one that admits the tasks by their subnets or security group [ack: cdk-mackerel:proxyCredentialsInTemplate]',
    ]);
    Annotations.fromStack(plain.stack).hasNoWarning('/Stack/Agent', Match.anyValue());
  });

  test('a proxy URL built around a token still warns about the literal user name or password it carries', () => {
    // GIVEN proxies whose host is known only at deploy time (a parameter), with credentials written around it
    const { stack, taskDefinition, apiKey } = fargateTask();
    const host = new CfnParameter(stack, 'ProxyHost').valueAsString;
    const password = new CfnParameter(stack, 'ProxyPassword', { noEcho: true }).valueAsString;
    new MackerelContainerAgent(stack, 'Agent', {
      taskDefinition, apiKey, roles: ['shop:web'], httpProxy: `http://proxyuser:s3cret@${host}:3128`, httpsProxy: `http://proxyuser:${password}@${host}:3128`,
    });
    // THEN each is warned about for what it writes as text, and neither warning shows it
    const warnings = Annotations.fromStack(stack).findWarning('/Stack/Agent', Match.stringLikeRegexp('proxyCredentialsInTemplate')).map((w) => w.entry.data);
    expect(warnings).toEqual([
      expect.stringMatching(/^httpProxy "http:\/\/\*\*\*\*@\$\{Token\[[^"]+\]\}:3128" carries a user name and password, which are written into the template /),
      expect.stringMatching(/^httpsProxy "http:\/\/\*\*\*\*@\$\{Token\[[^"]+\]\}:3128" carries a user name, which is written into the template /),
    ]);
    expect(JSON.stringify(warnings)).not.toContain('s3cret');
  });

  test('an apiBase with a user name or password is written as given, with a warning that the template holds them in plain text', () => {
    const warned = (apiBase: string) => {
      const { stack, taskDefinition, apiKey } = fargateTask();
      const agent = new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'], apiBase });
      Template.fromStack(stack).hasResourceProperties('AWS::ECS::TaskDefinition', {
        ContainerDefinitions: Match.arrayWith([Match.objectLike({
          Name: agent.container.containerName, Environment: Match.arrayWith([{ Name: 'MACKEREL_APIBASE', Value: apiBase }]),
        })]),
      });
      return Annotations.fromStack(stack).findWarning('/Stack/Agent', Match.stringLikeRegexp('CredentialsInTemplate')).map((w) => w.entry.data);
    };
    expect(warned('https://gateway:s3cret@mackerel-gateway.internal/')).toEqual([
      'apiBase "https://****@mackerel-gateway.internal/" carries a user name and password, which are written into the template in plain text '
      + '(MACKEREL_APIBASE of the agent container), readable by anyone who can read the stack or the task definition. '
      + 'Use an API base that needs no credentials in its URL: the Mackerel API authenticates by the API key alone [ack: cdk-mackerel:urlCredentialsInTemplate]',
    ]);
    expect(warned('https://:s3cret@mackerel-gateway.internal/')).toEqual([expect.stringMatching(/^apiBase "https:\/\/\*\*\*\*@mackerel-gateway.internal\/" carries a password, which is /)]);
    expect(warned('https://api.mackerelio.com/')).toEqual([]);
  });

  test('a URL with credentials that the URL parser reads loosely still never shows them, in a warning or an error', () => {
    // GIVEN credentials behind one slash, three slashes or a backslash after the scheme, or behind leading blanks or a tab:
    // the WHATWG parser (new URL, fetch) skips them all, and takes what follows for user name and password
    const loose = ['https:/gateway:s3cret@api.internal/', 'https:///gateway:s3cret@api.internal/', 'https:/\\gateway:s3cret@api.internal/',
      ' https://gateway:s3cret@api.internal/', '\nhttps://gateway:s3cret@api.internal/', 'ht\ttps://gateway:s3cret@api.internal/'];
    for (const apiBase of loose) {
      expect(new URL(apiBase).password).toBe('s3cret');
      // THEN the apiBase warning masks them
      const { stack, taskDefinition, apiKey } = fargateTask();
      new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'], apiBase });
      const warnings = Annotations.fromStack(stack).findWarning('/Stack/Agent', Match.stringLikeRegexp('urlCredentialsInTemplate')).map((w) => w.entry.data);
      expect(warnings).toEqual([expect.stringMatching(/^apiBase ".*\*\*\*\*@api.internal\/" carries a user name and password, /)]);
      expect(JSON.stringify(warnings)).not.toMatch(/gateway|s3cret/);
      // and so does the error for a proxy that is no http URL
      const socks = apiBase.replace(/ht\t?tps/, 'socks5');
      expect(addAgent({ httpsProxy: socks })).toThrow(/httpsProxy ".*\*\*\*\*@api.internal\/" is not an http or https URL/);
      expect(addAgent({ httpsProxy: socks })).not.toThrow(/gateway|s3cret/);
    }
  });

  test('a proxy URL from a parameter, unknown at synth, is not warned about', () => {
    const { stack, taskDefinition, apiKey } = fargateTask();
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'], httpsProxy: new CfnParameter(stack, 'Proxy').valueAsString });
    Annotations.fromStack(stack).hasNoWarning('/Stack/Agent', Match.stringLikeRegexp('proxyCredentialsInTemplate'));
  });

  test('Go-only anchors and a leading flag group compile', () => {
    expect(addAgent({ ignoreContainer: '(?i)\\Amackerel-.*\\z' })).not.toThrow();
  });

  test('RE2 named groups compile, and are checked against the task like any expression', () => {
    expect(addAgent({ ignoreContainer: '\\A(?P<agent>mackerel-container-agent)\\z' })).not.toThrow();
    const { stack, taskDefinition, apiKey } = fargateTask();
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'], ignoreContainer: '\\A(?P<any>.+)\\z' });
    expect(() => Template.fromStack(stack)).toThrow(/matches every container of the task \(mackerel-container-agent, app\)/);
  });

  test('RE2 syntax that JavaScript would misread is not checked, and says so in a warning', () => {
    const expressions = ['\\A[[:alpha:]-]+\\z', '\\A[\\pL-]+\\z', '\\A\\Qmackerel\\E.*\\z', '\\A(?i:MACKEREL)-container-agent\\z', '(?U)\\Amackerel.*\\z'];
    for (const expression of expressions) {
      const { stack, taskDefinition, apiKey } = fargateTask();
      new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'], ignoreContainer: expression });
      expect(() => Template.fromStack(stack), expression).not.toThrow();
      Annotations.fromStack(stack).hasWarning('/Stack/Agent',
        Match.stringLikeRegexp('ignoreContainer .* cannot be checked at synth.*leaves at least one container.*\\[ack: cdk-mackerel:ignoreContainerNotChecked\\]'));
    }
  });
});

describe('ignoreContainer escapes, read as Go regexp/syntax reads them', () => {
  test.each([
    ['\\Amackerel\\Z', '\\Z'], ['\\e', '\\e'], ['\\u0041', '\\u'], ['(?P<a>a)\\k<a>', '\\k'], ['\\g1', '\\g'], ['\\y', '\\y'], ['\\G', '\\G'],
    ['\\C', '\\C'], ['\\E', '\\E'], ['\\x4', '\\x4'], ['\\xG1', '\\xG1'], ['\\x{}', '\\x{}'], ['\\x{110000}', '\\x{110000}'],
    ['\\x{61', '\\x{61'], ['\\x{6G}', '\\x{6G'], ['\\é', '\\é'],
  ])('%s, which Go rejects, is rejected', (expression, escape) => {
    expect(addAgent({ ignoreContainer: expression })).toThrow(
      `Stack/Agent: ignoreContainer ${JSON.stringify(expression)} has the escape ${escape}, which Go RE2 rejects; `
      + 'expected an escape Go accepts: a backslash before punctuation, \\a \\f \\n \\r \\t \\v, octal \\0 to \\777');
  });

  test.each(['\\b', '\\A', '\\z', '\\B', '\\Q', '\\Z', '\\e', '\\C'])('%s inside a class, which Go rejects, is rejected', (escape) => {
    const expression = `\\A[a-z${escape}]+\\z`;
    expect(addAgent({ ignoreContainer: expression })).toThrow(
      `Stack/Agent: ignoreContainer ${JSON.stringify(expression)} has the escape ${escape} inside [...], which Go RE2 rejects; `
      + 'expected an escape Go accepts inside [...]: a backslash before punctuation');
  });

  test('a word boundary inside a class says where it is allowed, and how to write a backspace', () => {
    expect(addAgent({ ignoreContainer: '[\\b]' })).toThrow(/\[\.\.\.\]: .*\\p\{Greek\}\. \\b is only allowed outside \[\.\.\.\]; for a backspace, use \\x08$/);
  });

  test('an escape after \\Q...\\E is still read', () => {
    expect(addAgent({ ignoreContainer: '\\Qmackerel\\E\\Z' })).toThrow(/ignoreContainer "\\\\Qmackerel\\\\E\\\\Z" has the escape \\Z, which Go RE2 rejects/);
  });

  test('a trailing backslash', () => {
    expect(addAgent({ ignoreContainer: '\\Amackerel\\' }))
      .toThrow(/^Stack\/Agent: ignoreContainer "\\\\Amackerel\\\\" ends in a lone backslash, which Go RE2 rejects; expected a Go RE2 regular expression/);
  });

  test('a Unicode class whose brace is not closed', () => {
    expect(addAgent({ ignoreContainer: '\\A\\p{Greek\\z' }))
      .toThrow(/ignoreContainer "\\\\A\\\\p\{Greek\\\\z" has the escape \\p\{Greek\\z, which Go RE2 rejects; expected a Unicode class such as \\pL or \\p\{Greek\}/);
  });

  test.each<[string, string[], string[]]>([
    ['\\A\\x{61}pp\\z', ['app'], ['x'.repeat(61) + 'pp']],
    ['\\A\\x{1F600}\\z', ['\u{1F600}'], ['x{1F600}']],
    ['\\A[\\x{61}-\\x{63}]\\z', ['b'], ['d']],
    ['\\A\\141pp\\z', ['app'], []],
    ['\\A\\12\\z', ['\n'], []],
    ['\\A\\1014\\z', ['A4'], []],
    ['\\Aa\\\\1\\z', ['a\\1'], ['a']],
    ['\\A[\\a\\f\\n\\r\\t\\v]\\z', ['\x07', '\v'], ['a', 'f']],
    ['\\A\\s\\z', [' ', '\t'], ['\v', '\u00a0']],
    ['\\A[^\\S]\\z', ['\t'], ['\v']],
    ['\\A[]a]\\z', [']', 'a'], []],
    ['(?m)\\Aapp', ['app'], ['x\napp']],
  ])('%s is accepted with Go\'s meaning', (expression, matching, notMatching) => {
    const pattern = _goRegExp(new Stack(new App(), 'Stack'), expression);
    expect(pattern, 'checked, not only warned about').toBeDefined();
    for (const text of matching) expect(pattern!.test(text), JSON.stringify(text)).toBe(true);
    for (const text of notMatching) expect(pattern!.test(text), JSON.stringify(text)).toBe(false);
  });

  test('a hex escape is checked against the task with Go\'s meaning', () => {
    const { stack, taskDefinition, apiKey } = fargateTask();
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'], ignoreContainer: '\\A(?:mackerel-container-agent|\\x{61}pp)\\z' });
    expect(() => Template.fromStack(stack)).toThrow(/matches every container of the task \(mackerel-container-agent, app\)/);
  });

  test.each(['\\A[a[:digit:]-]+\\z', '\\A[\\x{1F600}a-z]+\\z'])('%s is not checked, and says so in a warning', (expression) => {
    const { stack, taskDefinition, apiKey } = fargateTask();
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'], ignoreContainer: expression });
    expect(() => Template.fromStack(stack)).not.toThrow();
    Annotations.fromStack(stack).hasWarning('/Stack/Agent', Match.stringLikeRegexp('ignoreContainer .* cannot be checked at synth'));
  });
});
