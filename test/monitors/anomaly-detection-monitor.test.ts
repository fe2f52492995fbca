import { App, Aspects, Aws, CfnParameter, Duration, Fn, Stack, Stage } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, test } from 'vitest';
import { logicalIdOf, mackerelStack, propertiesOf } from './_fixture';
import {
  AnomalyDetectionMonitor, AnomalyDetectionMonitorProps, AnomalySensitivity, MackerelAgentExtension, MackerelApiKey, MackerelContainerAgent,
  MackerelInstrumentation, MackerelProvider, MackerelRole, MackerelService, MonitorScope,
} from '../../src';

function anomalyProps(scopes: MonitorScope[]): AnomalyDetectionMonitorProps {
  return { name: 'web anomaly', scopes, warningSensitivity: AnomalySensitivity.NORMAL };
}

describe('AnomalyDetectionMonitor', () => {
  test('renders every field of an anomaly detection monitor; trainingPeriodFrom in epoch seconds', () => {
    const { stack, web } = mackerelStack();

    const anomaly = new AnomalyDetectionMonitor(stack, 'Anomaly', {
      ...anomalyProps([MonitorScope.fromRole(web), MonitorScope.of('legacy:db')]),
      criticalSensitivity: AnomalySensitivity.INSENSITIVE,
      maxCheckAttempts: 5,
      trainingPeriodFrom: new Date('2026-01-01T00:00:00Z'),
      notificationInterval: Duration.minutes(30),
    });

    expect(propertiesOf(anomaly)).toEqual({
      ServiceToken: expect.anything(),
      type: 'anomalyDetection',
      name: 'web anomaly',
      scopes: [{ Ref: logicalIdOf(web) }, 'legacy:db'],
      warningSensitivity: 'normal',
      criticalSensitivity: 'insensitive',
      maxCheckAttempts: 5,
      trainingPeriodFrom: 1767225600,
      notificationInterval: 30,
    });
  });

  test('maxCheckAttempts and trainingPeriodFrom are left to Mackerel when not given', () => {
    const { stack, web } = mackerelStack();

    new AnomalyDetectionMonitor(stack, 'Anomaly', anomalyProps([MonitorScope.fromRole(web)]));

    Template.fromStack(stack).hasResourceProperties('Custom::MackerelMonitor', {
      type: 'anomalyDetection', criticalSensitivity: Match.absent(), maxCheckAttempts: Match.absent(), trainingPeriodFrom: Match.absent(),
    });
  });

  describe('one anomaly detection monitor per role, as Mackerel allows', () => {
    test('a role another monitor of the app watches fails synthesis, naming the role and that monitor', () => {
      // GIVEN
      const { app, stack, web } = mackerelStack();
      new AnomalyDetectionMonitor(stack, 'First', anomalyProps([MonitorScope.fromRole(web)]));
      // WHEN the same role, by its name, in a second monitor of another stack of the same organization
      const other = new Stack(app, 'Other');
      new MackerelProvider(other, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(secretsmanager.Secret.fromSecretNameV2(other, 'Key', 'mackerel')) });
      new AnomalyDetectionMonitor(other, 'Second', anomalyProps([MonitorScope.of('shop:db'), MonitorScope.of('shop:web')]));
      // THEN
      expect(() => app.synth()).toThrow('[Other/Second] scopes[1] "shop:web" is also a scope of the anomaly detection monitor Stack/First; '
        + 'expected one anomaly detection monitor per role. Mackerel allows no more; give the role once, in one of the two monitors');
    });

    test('a role and an import of it by its fullName (MackerelRole.fromFullName(..., web.fullName)) are one role', () => {
      // GIVEN a monitor of the role construct
      const { app, stack, web } = mackerelStack();
      new AnomalyDetectionMonitor(stack, 'First', anomalyProps([MonitorScope.fromRole(web)]));
      // WHEN the role passed on as its fullName, as to another stack, watched by a second monitor
      const imported = MackerelRole.fromFullName(stack, 'Imported', web.fullName);
      new AnomalyDetectionMonitor(stack, 'Second', anomalyProps([MonitorScope.fromRole(imported)]));
      // THEN the one-per-role rule names the role by the name it was created with
      expect(() => app.synth()).toThrow('[Stack/Second] scopes[0] "shop:web" is also a scope of the anomaly detection monitor Stack/First; '
        + 'expected one anomaly detection monitor per role');
    });

    test('an import by a full name built of its service\'s name (`${shop.name}:web`, Fn.join) is the same role', () => {
      // GIVEN a monitor of the role construct
      const { app, stack, shop, web } = mackerelStack();
      new AnomalyDetectionMonitor(stack, 'First', anomalyProps([MonitorScope.fromRole(web)]));
      // WHEN the role is imported by a full name put together from the service's name, in two ways
      new AnomalyDetectionMonitor(stack, 'Second', anomalyProps([MonitorScope.fromRole(MackerelRole.fromFullName(stack, 'Built', `${shop.name}:web`))]));
      new AnomalyDetectionMonitor(stack, 'Third', anomalyProps([MonitorScope.fromRole(MackerelRole.fromFullName(stack, 'Joined', Fn.join(':', [shop.name, 'web'])))]));
      // THEN both are the role the first monitor watches
      let errors = '';
      try {
        app.synth();
      } catch (e) {
        errors = (e as Error).message;
      }
      expect(errors).toContain('[Stack/Second] scopes[0] "shop:web" is also a scope of the anomaly detection monitor Stack/First; '
        + 'expected one anomaly detection monitor per role. Mackerel allows no more; give the role once, in one of the two monitors');
      expect(errors).toContain('[Stack/Third] scopes[0] "shop:web" is also a scope of the anomaly detection monitor Stack/First');
    });

    test('a full name built of its service\'s name and another role, or of a name known only at deploy time, is not that role', () => {
      const { app, stack, shop, web } = mackerelStack();
      new AnomalyDetectionMonitor(stack, 'First', anomalyProps([MonitorScope.fromRole(web)]));
      const suffix = new CfnParameter(stack, 'Suffix');
      new AnomalyDetectionMonitor(stack, 'Db', anomalyProps([MonitorScope.fromRole(MackerelRole.fromFullName(stack, 'DbRole', `${shop.name}:db`))]));
      new AnomalyDetectionMonitor(stack, 'Param', anomalyProps([MonitorScope.fromRole(MackerelRole.fromFullName(stack, 'ParamRole', `${shop.name}:${suffix.valueAsString}`))]));
      new AnomalyDetectionMonitor(stack, 'Select', anomalyProps([MonitorScope.fromRole(MackerelRole.fromFullName(stack, 'SelectRole',
        Fn.join(':', [shop.name, Fn.select(0, Fn.split(',', suffix.valueAsString))])))]));
      expect(() => app.synth()).not.toThrow();
    });

    test('an import by fullName in another stack of the organization is the same role too', () => {
      const { app, stack, web } = mackerelStack();
      new AnomalyDetectionMonitor(stack, 'First', anomalyProps([MonitorScope.fromRole(web)]));
      const other = new Stack(app, 'Other');
      new MackerelProvider(other, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(secretsmanager.Secret.fromSecretNameV2(other, 'Key', 'mackerel')) });
      new AnomalyDetectionMonitor(other, 'Second', anomalyProps([MonitorScope.fromRole(MackerelRole.fromFullName(other, 'Web', web.fullName))]));
      expect(() => app.synth()).toThrow('[Other/Second] scopes[0] "shop:web" is also a scope of the anomaly detection monitor Stack/First');
    });

    test('different roles, and the same role in stacks reaching different organizations, pass', () => {
      const { app, stack, web } = mackerelStack();
      new AnomalyDetectionMonitor(stack, 'Web', anomalyProps([MonitorScope.fromRole(web)]));
      new AnomalyDetectionMonitor(stack, 'Db', anomalyProps([MonitorScope.of('shop:db')]));
      const prod = new Stack(app, 'Prod');
      // A key of its own, created in its own stack: another organization's.
      new MackerelProvider(prod, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(new secretsmanager.Secret(prod, 'Key')) });
      new AnomalyDetectionMonitor(prod, 'Web', anomalyProps([MonitorScope.of('shop:web')]));
      expect(() => app.synth()).not.toThrow();
    });

    test('a role named after its stack\'s region in two stacks of one organization passes: each stack names its own role', () => {
      // GIVEN two stacks of one organization, each watching its region's role (Aws.REGION, one token resolved by each stack)
      const app = new App();
      for (const id of ['Tokyo', 'Virginia']) {
        const stack = new Stack(app, id);
        new MackerelProvider(stack, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(secretsmanager.Secret.fromSecretNameV2(stack, 'Key', 'mackerel')) });
        const role = MackerelRole.fromFullName(stack, 'Web', `shop:web-${Aws.REGION}`);
        new AnomalyDetectionMonitor(stack, 'Anomaly', anomalyProps([MonitorScope.fromRole(role)]));
      }
      // THEN
      expect(() => app.synth()).not.toThrow();
    });

    test('the same token in two monitors of one stack still fails: it names one role there', () => {
      const { app, stack } = mackerelStack();
      const role = MackerelRole.fromFullName(stack, 'Web', `shop:web-${Aws.REGION}`);
      new AnomalyDetectionMonitor(stack, 'First', anomalyProps([MonitorScope.fromRole(role)]));
      new AnomalyDetectionMonitor(stack, 'Second', anomalyProps([MonitorScope.fromRole(role)]));
      expect(() => app.synth()).toThrow('[Stack/Second] scopes[0] {"Fn::Join":["",["shop:web-",{"Ref":"AWS::Region"}]]} is also a scope of the '
        + 'anomaly detection monitor Stack/First');
    });
  });

  describe('a role the container agent registers its tasks in', () => {
    /** A stack with its provider, role shop:web and a Fargate task, and the provider's key for agents. */
    function agentAndMonitorStack() {
      const app = new App();
      const stack = new Stack(app, 'Stack');
      const apiKey = MackerelApiKey.fromSecretsManager(new secretsmanager.Secret(stack, 'ApiKey'));
      new MackerelProvider(stack, 'Mackerel', { apiKey });
      const web = new MackerelService(stack, 'Shop', { name: 'shop' }).addRole('web');
      const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task', { memoryLimitMiB: 512, cpu: 256 });
      taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:1.27') });
      return { app, stack, apiKey, web, taskDefinition };
    }
    const WARNING = 'cdk-mackerel:anomalyDetectionContainerAgent';

    test('a role a MackerelContainerAgent reports its hosts in is warned about, naming the agent', () => {
      // GIVEN an agent whose tasks join shop:web, given as the role construct's full name
      const { stack, apiKey, web, taskDefinition } = agentAndMonitorStack();
      new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: [web.fullName] });
      // WHEN
      new AnomalyDetectionMonitor(stack, 'Anomaly', anomalyProps([MonitorScope.of('shop:db'), MonitorScope.fromRole(web)]));
      // THEN
      Annotations.fromStack(stack).hasWarning('/Stack/Anomaly', Match.stringLikeRegexp(
        '^scopes\\[1\\] "shop:web" is a role the Mackerel container agent Stack/Agent registers its ECS tasks in, as hosts\\. '
        + 'Anomaly detection for roles takes only hosts running mackerel-agent .*container-cpu%.*\\[ack: cdk-mackerel:anomalyDetectionContainerAgent\\]$'));
      expect(Annotations.fromStack(stack).findWarning('/Stack/Anomaly', Match.stringLikeRegexp(WARNING))).toHaveLength(1);
    });

    test('a scope of a role imported by a MackerelRole\'s fullName is compared by the role\'s name', () => {
      // GIVEN an agent given shop:web by name, and the role passed on as its fullName, as to another stack
      const { stack, apiKey, web, taskDefinition } = agentAndMonitorStack();
      new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
      // WHEN
      const imported = MackerelRole.fromFullName(stack, 'Imported', web.fullName);
      new AnomalyDetectionMonitor(stack, 'Anomaly', anomalyProps([MonitorScope.fromRole(imported)]));
      // THEN
      Annotations.fromStack(stack).hasWarning('/Stack/Anomaly', Match.stringLikeRegexp('^scopes\\[0\\] "shop:web" is a role the Mackerel container agent Stack/Agent registers'));
    });

    test.each(['https://API.mackerelio.com', 'https://api.mackerelio.com:443/'])('an agent whose apiBase %s is the default API, written otherwise, is of the organization', (apiBase) => {
      const { stack, apiKey, web, taskDefinition } = agentAndMonitorStack();
      new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, apiBase, roles: ['shop:web'] });
      new AnomalyDetectionMonitor(stack, 'Anomaly', anomalyProps([MonitorScope.fromRole(web)]));
      Annotations.fromStack(stack).hasWarning('/Stack/Anomaly', Match.stringLikeRegexp('^scopes\\[0\\] "shop:web" is a role the Mackerel container agent Stack/Agent registers'));
    });

    test('a role an Aspect gives its agents after the monitor is made is warned about too', () => {
      // GIVEN a MackerelInstrumentation, which adds its agents at synth, after the monitor's constructor
      const { app, stack, apiKey } = agentAndMonitorStack();
      Aspects.of(app).add(new MackerelInstrumentation({ apiKey, roles: ['shop:batch', 'shop:web'] }));
      // WHEN
      new AnomalyDetectionMonitor(stack, 'Anomaly', anomalyProps([MonitorScope.of('shop:web')]));
      // THEN
      Annotations.fromStack(stack).hasWarning('/Stack/Anomaly',
        Match.stringLikeRegexp('^scopes\\[0\\] "shop:web" is a role the Mackerel container agent Stack/Task/MackerelContainerAgent registers'));
    });

    test('other roles, roles known only at deploy time and agents of another organization are not warned about', () => {
      // GIVEN agents with another role, with roles from a parameter, and with a key of their own (another organization's)
      const { app, stack, apiKey, web, taskDefinition } = agentAndMonitorStack();
      taskDefinition.addExtension(new MackerelAgentExtension({ apiKey, roles: ['shop:db'] }));
      const other = new ecs.FargateTaskDefinition(stack, 'Other', { memoryLimitMiB: 512, cpu: 256 });
      other.addContainer('app', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:1.27') });
      const roles = new CfnParameter(stack, 'Roles', { type: 'CommaDelimitedList' }).valueAsList;
      new MackerelContainerAgent(stack, 'ParameterAgent', { taskDefinition: other, apiKey, roles });
      const staging = new Stack(app, 'Staging');
      const stagingTask = new ecs.FargateTaskDefinition(staging, 'Task', { memoryLimitMiB: 512, cpu: 256 });
      stagingTask.addContainer('app', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:1.27') });
      new MackerelContainerAgent(staging, 'Agent', {
        taskDefinition: stagingTask, apiKey: MackerelApiKey.fromSecretsManager(new secretsmanager.Secret(staging, 'Key')), roles: ['shop:web'],
      });
      // WHEN the monitor watches shop:web and a role known only at deploy time
      const deployed = MackerelRole.fromFullName(stack, 'Deployed', new CfnParameter(stack, 'Role').valueAsString);
      new AnomalyDetectionMonitor(stack, 'Anomaly', anomalyProps([MonitorScope.fromRole(web), MonitorScope.fromRole(deployed)]));
      // THEN
      Annotations.fromStack(stack).hasNoWarning('/Stack/Anomaly', Match.stringLikeRegexp(WARNING));
    });
    test('only agents of the monitor\'s own Stage count, whichever order the Stages are synthesized in', () => {
      // GIVEN two Stages of one organization (one imported key): Dev's Aspect gives its tasks shop:batch and shop:web and its monitor
      // watches shop:batch; Prod's monitor watches shop:web. Each Stage is synthesized on its own, its Aspects run then, so Dev's agent
      // exists when Prod's monitor is validated only because Dev comes first in the tree
      const app = new App();
      const [dev, prod] = [['Dev', 'shop:batch'], ['Prod', 'shop:web']].map(([name, role]) => {
        const stack = new Stack(new Stage(app, name), 'Stack');
        const apiKey = MackerelApiKey.fromSecretsManager(secretsmanager.Secret.fromSecretNameV2(stack, 'ApiKey', 'mackerel'));
        new MackerelProvider(stack, 'Mackerel', { apiKey });
        new AnomalyDetectionMonitor(stack, 'Anomaly', anomalyProps([MonitorScope.of(role)]));
        return { stack, apiKey };
      });
      const taskDefinition = new ecs.FargateTaskDefinition(dev.stack, 'Task', { memoryLimitMiB: 512, cpu: 256 });
      taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:1.27') });
      Aspects.of(dev.stack).add(new MackerelInstrumentation({ apiKey: dev.apiKey, roles: ['shop:batch', 'shop:web'] }));
      // WHEN
      const [devAnnotations, prodAnnotations] = [dev, prod].map(({ stack }) => Annotations.fromStack(stack));
      // THEN Dev's monitor is warned about its own Stage's agent; Prod's is not, as it would not be were Prod before Dev
      devAnnotations.hasWarning('/Dev/Stack/Anomaly', Match.stringLikeRegexp('^scopes\\[0\\] "shop:batch" is a role the Mackerel container agent '
        + 'Dev/Stack/Task/MackerelContainerAgent registers'));
      prodAnnotations.hasNoWarning('/Prod/Stack/Anomaly', Match.stringLikeRegexp(WARNING));
    });
  });

  describe('rejected input', () => {
    test('no scopes', () => {
      const { stack } = mackerelStack();

      expect(() => new AnomalyDetectionMonitor(stack, 'Anomaly', anomalyProps([])))
        .toThrow(/Stack\/Anomaly: scopes \[\] is empty; expected at least one role \(service:role\)/);
    });

    test('a service created in this app (its scope is a token, still known to be a service)', () => {
      const { stack, shop } = mackerelStack();

      expect(() => new AnomalyDetectionMonitor(stack, 'Anomaly', anomalyProps([MonitorScope.fromService(shop)])))
        .toThrow(new RegExp(`Stack/Anomaly: scopes\\[0\\] \\{"Ref":"${logicalIdOf(shop)}"\\} is a service, but this monitor takes roles only; expected a role full name, service:role, .+\\. Use MonitorScope.fromRole\\(\\) for each role of the service to watch$`));
    });

    test('a service scope (anomaly detection is for roles)', () => {
      const { stack, web } = mackerelStack();

      expect(() => new AnomalyDetectionMonitor(stack, 'Anomaly', anomalyProps([MonitorScope.fromRole(web), MonitorScope.of('legacy')])))
        .toThrow(/Stack\/Anomaly: scopes\[1\] "legacy" is a service, but this monitor takes roles only; expected a role full name, service:role/);
    });

    test('neither sensitivity', () => {
      const { stack, web } = mackerelStack();

      expect(() => new AnomalyDetectionMonitor(stack, 'Anomaly', { ...anomalyProps([MonitorScope.fromRole(web)]), warningSensitivity: undefined }))
        .toThrow(/Stack\/Anomaly: warningSensitivity undefined and criticalSensitivity are both missing; expected at least one of warningSensitivity and criticalSensitivity/);
    });

    test('a sensitivity other than insensitive, normal and sensitive', () => {
      const { stack, web } = mackerelStack();

      expect(() => new AnomalyDetectionMonitor(stack, 'Anomaly', { ...anomalyProps([MonitorScope.fromRole(web)]), criticalSensitivity: 'high' as AnomalySensitivity }))
        .toThrow(/Stack\/Anomaly: criticalSensitivity "high" is not allowed; expected one of "insensitive", "normal", "sensitive"/);
    });

    test('a trainingPeriodFrom in the future', () => {
      const { stack, web } = mackerelStack();
      const future = new Date(Math.floor(Date.now() / 1000) * 1000 + 86_400_000);

      expect(() => new AnomalyDetectionMonitor(stack, 'Anomaly', { ...anomalyProps([MonitorScope.fromRole(web)]), trainingPeriodFrom: future }))
        .toThrow(new RegExp(`Stack/Anomaly: trainingPeriodFrom "${future.toISOString().replace(/\./g, '\\.')}" is in the future; expected a date in the past`));
    });

    test('a trainingPeriodFrom before 1970, which would be a negative epoch', () => {
      const { stack, web } = mackerelStack();

      expect(() => new AnomalyDetectionMonitor(stack, 'Anomaly', { ...anomalyProps([MonitorScope.fromRole(web)]), trainingPeriodFrom: new Date('1969-12-31T00:00:00Z') }))
        .toThrow('Stack/Anomaly: trainingPeriodFrom "1969-12-31T00:00:00.000Z" is before 1970; expected a time from 1970-01-01T00:00:00Z on');
    });

    test('an invalid trainingPeriodFrom date', () => {
      const { stack, web } = mackerelStack();

      expect(() => new AnomalyDetectionMonitor(stack, 'Anomaly', { ...anomalyProps([MonitorScope.fromRole(web)]), trainingPeriodFrom: new Date('not a date') }))
        .toThrow('Stack/Anomaly: trainingPeriodFrom "Invalid Date" is not a valid date; expected a past Date such as new Date(\'2026-01-01T00:00:00Z\')');
    });

    test('a trainingPeriodFrom with a fraction of a second, refused as a downtime\'s start is rather than dropped, asks for a fixed date', () => {
      const { stack, web } = mackerelStack();

      // A fraction of a second mostly means a Date from the clock: cutting it would leave it moving at every synth.
      expect(() => new AnomalyDetectionMonitor(stack, 'Anomaly', { ...anomalyProps([MonitorScope.fromRole(web)]), trainingPeriodFrom: new Date('2026-01-01T00:00:00.250Z') }))
        .toThrow('Stack/Anomaly: trainingPeriodFrom "2026-01-01T00:00:00.250Z" has a fraction of a second; expected a time in whole seconds (Mackerel takes epoch seconds). '
          + 'Give a fixed date, such as new Date(\'2026-01-01T00:00:00Z\'): one taken from the clock changes at every synth, and each change '
          + 'makes the deploy update the monitor and Mackerel train again from the new date');
    });

    test('maxCheckAttempts 11', () => {
      const { stack, web } = mackerelStack();

      expect(() => new AnomalyDetectionMonitor(stack, 'Anomaly', { ...anomalyProps([MonitorScope.fromRole(web)]), maxCheckAttempts: 11 }))
        .toThrow(/Stack\/Anomaly: maxCheckAttempts 11 is out of range; expected a whole number from 1 to 10/);
    });

    test('an empty name', () => {
      const { stack, web } = mackerelStack();

      expect(() => new AnomalyDetectionMonitor(stack, 'Anomaly', { ...anomalyProps([MonitorScope.fromRole(web)]), name: '' }))
        .toThrow(/Stack\/Anomaly: name "" is empty/);
    });
  });
});
