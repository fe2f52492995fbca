import { CfnParameter, Duration, Fn, SecretValue, Token } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, test } from 'vitest';
import { logicalIdOf, mackerelStack, propertiesOf } from './_fixture';
import { DualStack, ExternalHttpMethod, ExternalHttpMonitor } from '../../src';

const TOP = { name: 'top page', url: 'https://shop.example.com/' };

describe('ExternalHttpMonitor', () => {
  test('renders the design example: response time in milliseconds and minutes, posted to the service', () => {
    const { stack, shop } = mackerelStack();

    new ExternalHttpMonitor(stack, 'Url', { ...TOP, service: shop, responseTimeWarning: Duration.millis(1500), responseTimeDuration: Duration.minutes(3) });

    Template.fromStack(stack).hasResourceProperties('Custom::MackerelMonitor', {
      type: 'external',
      name: 'top page',
      url: 'https://shop.example.com/',
      service: { Ref: logicalIdOf(shop) },
      responseTimeWarning: 1500,
      responseTimeDuration: 3,
      responseTimeCritical: Match.absent(),
    });
  });

  test('renders every field of an external monitor', () => {
    const { stack, shop } = mackerelStack();

    const api = new ExternalHttpMonitor(stack, 'Api', {
      name: 'orders api',
      url: 'http://api.example.com/orders',
      method: ExternalHttpMethod.POST,
      service: shop,
      responseTimeWarning: Duration.seconds(1),
      responseTimeCritical: Duration.seconds(3),
      responseTimeDuration: Duration.minutes(5),
      containsString: '"ok":true',
      maxCheckAttempts: 2,
      certificationExpirationWarning: Duration.days(30),
      certificationExpirationCritical: Duration.days(7),
      skipCertificateVerification: true,
      expectedStatusCode: 201,
      headers: [{ name: 'Content-Type', value: 'application/json' }, { name: 'X-Probe', value: 'mackerel' }],
      requestBody: '{"dryRun":true}',
      followRedirect: true,
      dualstack: DualStack.AUTO,
      memo: 'synthetic order',
    });

    expect(propertiesOf(api)).toEqual({
      ServiceToken: expect.anything(),
      type: 'external',
      name: 'orders api',
      memo: 'synthetic order',
      url: 'http://api.example.com/orders',
      method: 'POST',
      service: { Ref: logicalIdOf(shop) },
      responseTimeWarning: 1000,
      responseTimeCritical: 3000,
      responseTimeDuration: 5,
      containsString: '"ok":true',
      maxCheckAttempts: 2,
      certificationExpirationWarning: 30,
      certificationExpirationCritical: 7,
      skipCertificateVerification: true,
      expectedStatusCode: 201,
      headers: [{ name: 'Content-Type', value: 'application/json' }, { name: 'X-Probe', value: 'mackerel' }],
      requestBody: '{"dryRun":true}',
      followRedirect: true,
      dualstack: 'auto',
    });
  });

  test('headers and other optional fields are left out when not given (Mackerel\'s defaults apply on create)', () => {
    const { stack } = mackerelStack();

    new ExternalHttpMonitor(stack, 'Url', TOP);

    Template.fromStack(stack).hasResourceProperties('Custom::MackerelMonitor', {
      type: 'external', headers: Match.absent(), method: Match.absent(), service: Match.absent(), dualstack: Match.absent(),
    });
  });

  test('an empty headers list is kept in the template (no headers at all, not Mackerel\'s default)', () => {
    const { stack } = mackerelStack();

    new ExternalHttpMonitor(stack, 'Url', { ...TOP, headers: [] });

    Template.fromStack(stack).hasResourceProperties('Custom::MackerelMonitor', { type: 'external', headers: [] });
  });

  test('warns when a response time threshold exceeds the 15 s check timeout', () => {
    const { stack, shop } = mackerelStack();

    new ExternalHttpMonitor(stack, 'Url', { ...TOP, service: shop, responseTimeCritical: Duration.seconds(20), responseTimeDuration: Duration.minutes(1) });

    Annotations.fromStack(stack).hasWarning('/Stack/Url',
      Match.stringLikeRegexp('responseTimeCritical is 20000 ms, but Mackerel\'s HTTP check times out after 15000 ms, so this threshold never fires'));
  });

  test('does not warn at exactly 15 s', () => {
    const { stack, shop } = mackerelStack();

    new ExternalHttpMonitor(stack, 'Url', { ...TOP, service: shop, responseTimeWarning: Duration.seconds(15), responseTimeDuration: Duration.minutes(1) });

    Annotations.fromStack(stack).hasNoWarning('/Stack/Url', Match.anyValue());
  });

  test('deploy-time values (tokens) pass unchecked', () => {
    const { stack } = mackerelStack();

    new ExternalHttpMonitor(stack, 'Url', { ...TOP, url: Fn.importValue('Url'), headers: [{ name: Fn.importValue('Header'), value: 'v' }] });

    Template.fromStack(stack).hasResourceProperties('Custom::MackerelMonitor', {
      url: { 'Fn::ImportValue': 'Url' }, headers: [{ name: { 'Fn::ImportValue': 'Header' }, value: 'v' }],
    });
  });

  test('warns when certificate settings are given for a plain http URL', () => {
    const { stack } = mackerelStack();

    new ExternalHttpMonitor(stack, 'Url', { ...TOP, url: 'http://shop.example.com/', certificationExpirationCritical: Duration.days(7) });

    Annotations.fromStack(stack).hasWarning('/Stack/Url',
      Match.stringLikeRegexp('certificationExpirationCritical is set, but url "http://shop.example.com/" is plain http, which has no certificate'));
  });

  test('warns when the url carries a user name and password, which go into the template, and shows neither', () => {
    const { stack } = mackerelStack();

    new ExternalHttpMonitor(stack, 'Url', { ...TOP, url: 'https://admin:s3cret@shop.example.com/', certificationExpirationCritical: Duration.days(7) });

    Annotations.fromStack(stack).hasWarning('/Stack/Url', Match.stringLikeRegexp(
      '^url "https://\\*\\*\\*\\*@shop.example.com/" carries a user name or password, which is written into the template in plain text.*'
      + 'Give the credentials as an Authorization header with secretValue'));
    const warnings = Annotations.fromStack(stack).findWarning('/Stack/Url', Match.anyValue());
    expect(JSON.stringify(warnings)).not.toMatch(/s3cret|admin/);
  });

  test('warns when a url built around a token carries a literal user name or password, but not for tokens there', () => {
    const { stack } = mackerelStack();
    const host = new CfnParameter(stack, 'Host').valueAsString;

    new ExternalHttpMonitor(stack, 'Literal', { ...TOP, url: `https://admin:s3cret@${host}/health` });
    const user = new CfnParameter(stack, 'User').valueAsString;
    new ExternalHttpMonitor(stack, 'FromSecret', { ...TOP, url: `https://${user}:${SecretValue.secretsManager('probe').unsafeUnwrap()}@${host}/` });
    new ExternalHttpMonitor(stack, 'NoUserinfo', { ...TOP, url: `https://${host}/a@b` });

    Annotations.fromStack(stack).hasWarning('/Stack/Literal', Match.stringLikeRegexp(
      '^url "https://\\*\\*\\*\\*@\\$\\{Token\\[.*\\]\\}/health" carries a user name or password, which is written into the template in plain text'));
    expect(JSON.stringify(Annotations.fromStack(stack).findWarning('/Stack/Literal', Match.anyValue()))).not.toMatch(/s3cret/);
    // A user name and password that are tokens only (a dynamic reference) are no plain text in the template.
    expect(Annotations.fromStack(stack).findWarning('/Stack/FromSecret', Match.anyValue())).toEqual([]);
    expect(Annotations.fromStack(stack).findWarning('/Stack/NoUserinfo', Match.anyValue())).toEqual([]);
  });

  test('does not show the password of a plain http url in the certificate warning', () => {
    const { stack } = mackerelStack();

    new ExternalHttpMonitor(stack, 'Url', { ...TOP, url: 'http://admin:s3cret@shop.example.com/', skipCertificateVerification: true });

    Annotations.fromStack(stack).hasWarning('/Stack/Url',
      Match.stringLikeRegexp('skipCertificateVerification is set, but url "http://\\*\\*\\*\\*@shop.example.com/" is plain http'));
    expect(JSON.stringify(Annotations.fromStack(stack).findWarning('/Stack/Url', Match.anyValue()))).not.toContain('s3cret');
  });

  describe('rejected input', () => {
    test('a url of another scheme is shown without its password', () => {
      const { stack } = mackerelStack();

      expect(() => new ExternalHttpMonitor(stack, 'Url', { ...TOP, url: 'ftp://admin:s3cret@shop.example.com/' }))
        .toThrow(/^Stack\/Url: url "ftp:\/\/\*\*\*\*@shop.example.com\/" has scheme "ftp"; expected http or https$/);
    });

    test.each([
      ['ftp://shop.example.com/', /Stack\/Url: url "ftp:\/\/shop.example.com\/" has scheme "ftp"; expected http or https/],
      ['shop.example.com', /Stack\/Url: url "shop.example.com" is not a URL; expected an absolute http:\/\/ or https:\/\/ URL/],
    ])('url %j', (url, message) => {
      const { stack } = mackerelStack();

      expect(() => new ExternalHttpMonitor(stack, 'Url', { ...TOP, url })).toThrow(message);
    });

    test('a method other than GET, POST, PUT and DELETE', () => {
      const { stack } = mackerelStack();

      expect(() => new ExternalHttpMonitor(stack, 'Url', { ...TOP, method: 'PATCH' as ExternalHttpMethod }))
        .toThrow(/Stack\/Url: method "PATCH" is not allowed; expected one of "GET", "POST", "PUT", "DELETE"/);
    });

    test('a dualstack other than ipv4, ipv6 and auto', () => {
      const { stack } = mackerelStack();

      expect(() => new ExternalHttpMonitor(stack, 'Url', { ...TOP, dualstack: 'both' as DualStack }))
        .toThrow(/Stack\/Url: dualstack "both" is not allowed; expected one of "ipv4", "ipv6", "auto"/);
    });

    test('response time monitoring without a service', () => {
      const { stack } = mackerelStack();

      expect(() => new ExternalHttpMonitor(stack, 'Url', { ...TOP, responseTimeWarning: Duration.seconds(1), responseTimeDuration: Duration.minutes(3) }))
        .toThrow(/Stack\/Url: service undefined is missing, but responseTimeWarning is set; expected a service to post response times to/);
    });

    test('a response time threshold without responseTimeDuration', () => {
      const { stack, shop } = mackerelStack();

      expect(() => new ExternalHttpMonitor(stack, 'Url', { ...TOP, service: shop, responseTimeCritical: Duration.seconds(1) }))
        .toThrow(/Stack\/Url: responseTimeDuration undefined is missing, but a response time threshold is set; expected 1-10 whole minutes/);
    });

    test('responseTimeDuration without a threshold', () => {
      const { stack, shop } = mackerelStack();

      expect(() => new ExternalHttpMonitor(stack, 'Url', { ...TOP, service: shop, responseTimeDuration: Duration.minutes(3) }))
        .toThrow(/Stack\/Url: responseTimeWarning undefined and responseTimeCritical are both missing, but responseTimeDuration is set; expected at least one response time threshold/);
    });

    test('responseTimeDuration out of range', () => {
      const { stack, shop } = mackerelStack();

      expect(() => new ExternalHttpMonitor(stack, 'Url', { ...TOP, service: shop, responseTimeWarning: Duration.seconds(1), responseTimeDuration: Duration.minutes(15) }))
        .toThrow(/Stack\/Url: responseTimeDuration "15 minutes" is out of range; expected a whole number of minutes from 1 to 10/);
    });

    test('a response time threshold in seconds from a token, which cannot become milliseconds at synth', () => {
      const { stack, shop } = mackerelStack();

      expect(() => new ExternalHttpMonitor(stack, 'Url', {
        ...TOP, service: shop, responseTimeCritical: Duration.seconds(Token.asNumber({ Ref: 'Seconds' })), responseTimeDuration: Duration.minutes(1),
      })).toThrow('Stack/Url: responseTimeCritical "Duration.seconds(<token>)" is in seconds from a token, which cannot be converted to milliseconds at synth');
    });

    test('a response time threshold with a fraction of a millisecond', () => {
      const { stack, shop } = mackerelStack();

      expect(() => new ExternalHttpMonitor(stack, 'Url', { ...TOP, service: shop, responseTimeWarning: Duration.millis(0.5), responseTimeDuration: Duration.minutes(1) }))
        .toThrow('Stack/Url: responseTimeWarning "0.5 millis" is not a whole number of milliseconds; expected whole milliseconds');
    });

    test('a response time threshold in milliseconds from a token passes', () => {
      const { stack, shop } = mackerelStack();
      const monitor = new ExternalHttpMonitor(stack, 'Url', {
        ...TOP, service: shop, responseTimeWarning: Duration.millis(Token.asNumber({ Ref: 'Millis' })), responseTimeDuration: Duration.minutes(1),
      });

      expect(propertiesOf(monitor).responseTimeWarning).toEqual({ Ref: 'Millis' });
    });

    test('a response time threshold of zero', () => {
      const { stack, shop } = mackerelStack();

      expect(() => new ExternalHttpMonitor(stack, 'Url', { ...TOP, service: shop, responseTimeWarning: Duration.millis(0), responseTimeDuration: Duration.minutes(1) }))
        .toThrow(/Stack\/Url: responseTimeWarning "0 millis" is not positive; expected a response time above 0 ms/);
    });

    test('duplicate header names, compared case-insensitively', () => {
      const { stack } = mackerelStack();

      expect(() => new ExternalHttpMonitor(stack, 'Url', { ...TOP, headers: [{ name: 'Accept', value: 'a' }, { name: 'X', value: 'b' }, { name: 'accept', value: 'c' }] }))
        .toThrow(/Stack\/Url: headers\[2\].name "accept" repeats headers\[0\].name; expected unique header names \(case-insensitive\)/);
    });

    test('an empty header name', () => {
      const { stack } = mackerelStack();

      expect(() => new ExternalHttpMonitor(stack, 'Url', { ...TOP, headers: [{ name: '', value: 'a' }] }))
        .toThrow(/Stack\/Url: headers\[0\].name "" is empty; expected an HTTP header name/);
    });

    test.each([
      ['a space', 'X Probe'],
      ['a colon', 'Authorization:'],
      ['a line break', 'X-Probe\n'],
    ])('a header name with %s, which HTTP does not allow in a field name', (_, name) => {
      const { stack } = mackerelStack();

      expect(() => new ExternalHttpMonitor(stack, 'Url', { ...TOP, headers: [{ name: 'Accept', value: 'a' }, { name, value: 'b' }] }))
        .toThrow(`Stack/Url: headers[1].name ${JSON.stringify(name)} is not an HTTP header name; expected letters, digits and !#$%&'*+-.^_\`|~ only`);
    });

    test.each([
      ['a line break', 'Bearer abc-token-0123\n', 'U+000A at character 22'],
      ['a carriage return and line feed', 'a\r\nX-Injected: 1', 'U+000D at character 2'],
      ['a NUL', 'a\u0000b', 'U+0000 at character 2'],
    ])('a plain header value with %s, which HTTP does not allow in a field value (as the handler refuses it in a secret), is refused without showing it', (_, value, where) => {
      const { stack } = mackerelStack();

      // A token read from a file keeps its trailing newline: the error, printed in a CI log, must not show it
      // (an Error compares the whole message).
      expect(() => new ExternalHttpMonitor(stack, 'Url', { ...TOP, headers: [{ name: 'Authorization', value }] })).toThrow(new Error(
        `Stack/Url: headers[0].value "****" holds a line break or control character (${where}; the value is not shown, as it may hold a token), `
        + 'which an HTTP header value cannot; expected printable text (tabs allowed)'));
    });

    test('a header value with a tab, and a header name of every token character, pass', () => {
      const { stack } = mackerelStack();

      new ExternalHttpMonitor(stack, 'Url', { ...TOP, headers: [{ name: "X-!#$%&'*+.^_`|~09az", value: 'a\tb "quoted", Japanese 日本語' }] });

      Template.fromStack(stack).resourceCountIs('Custom::MackerelMonitor', 1);
    });

    test('maxCheckAttempts 0', () => {
      const { stack } = mackerelStack();

      expect(() => new ExternalHttpMonitor(stack, 'Url', { ...TOP, maxCheckAttempts: 0 }))
        .toThrow(/Stack\/Url: maxCheckAttempts 0 is out of range; expected a whole number from 1 to 10/);
    });

    test('expectedStatusCode 99', () => {
      const { stack } = mackerelStack();

      expect(() => new ExternalHttpMonitor(stack, 'Url', { ...TOP, expectedStatusCode: 99 }))
        .toThrow(/Stack\/Url: expectedStatusCode 99 is out of range; expected a whole number from 100 to 599/);
    });

    test('a certificate expiration that is not whole days', () => {
      const { stack } = mackerelStack();

      expect(() => new ExternalHttpMonitor(stack, 'Url', { ...TOP, certificationExpirationWarning: Duration.hours(36) }))
        .toThrow(/Stack\/Url: certificationExpirationWarning "1 day 12 hours" is not a whole number of days; expected whole days/);
    });

    test('an empty name', () => {
      const { stack } = mackerelStack();

      expect(() => new ExternalHttpMonitor(stack, 'Url', { ...TOP, name: '' })).toThrow(/Stack\/Url: name "" is empty/);
    });
  });
});
