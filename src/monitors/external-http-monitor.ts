import { Annotations, Duration, SecretValue, Stack, Token } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { _holdsValueNotFinalYet, _readNowOrOnceFinal } from '../_lazy';
import { _codePoint, _MASKED, _maskedUserinfo } from '../_text';
import { _fail, _literalUserinfo, _refuseOnceFinal } from '../_validation';
import { _checkOneOf, _checkRange, _wholeDuration } from './_checks';
import { _dependOnNamedScope } from './_scope';
import { _warnOnThresholdOrder } from './_threshold-order';
import { DualStack, ExternalHttpMethod } from './enums';
import { MonitorBase, MonitorBaseProps } from './monitor-base';
import { MonitorScope } from './scope';
import { _secretValue } from '../alerting/_secret-url';
import { MackerelProvider } from '../provider/provider';
import { _warnKeptWithDeletedService } from '../service/_kept-with-service';
import { _knownServiceName } from '../service/_known-name';
import { IMackerelService } from '../service/service';

/** Mackerel's HTTP checker gives up after this long, so a slower threshold never fires. */
const CHECK_TIMEOUT_MILLIS = 15000;

/** An HTTP field name: a token of RFC 9110 section 5.1. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** What an HTTP field value cannot hold (RFC 9110 section 5.5): control characters other than a tab. */
const HEADER_VALUE_FORBIDDEN = /[\u0000-\u0008\u000a-\u001f\u007f]/;

/**
 * One HTTP header an external HTTP monitor sends: give exactly one of `value` and `secretValue`.
 *
 * @example
 * const header: ExternalHttpHeader = {
 *   name: 'Authorization',
 *   secretValue: SecretValue.secretsManager('shop/probe-token', { jsonField: 'header' }),
 * };
 */
export interface ExternalHttpHeader {
  /**
   * The header name, such as `Authorization` or `User-Agent`.
   *
   * An HTTP field name: letters, digits and ``!#$%&'*+-.^_`|~``, no spaces or colons.
   */
  readonly name: string;

  /**
   * The header value, when it is not secret.
   *
   * Written into the CloudFormation template in plain text: for a secret (an
   * `Authorization: Bearer ...` token) use `secretValue` instead. No line breaks or other
   * control characters (a tab is fine), which HTTP does not allow in a header.
   *
   * @default - none: `secretValue` must be given instead
   */
  readonly value?: string;

  /**
   * The header value, when it is secret.
   *
   * Keep it in Secrets Manager or SSM and pass `SecretValue.secretsManager(secretId, { jsonField })`,
   * `secret.secretValueFromJson(field)` or `SecretValue.ssmSecure(name)`. The template then holds
   * only the dynamic reference, as for `SlackChannelProps.url`: the provider's Lambda resolves it
   * when it sends the monitor to Mackerel, and is granted `secretsmanager:GetSecretValue` or
   * `ssm:GetParameter` on exactly that secret or parameter. The whole header value is read from
   * the secret (`Bearer ...`, not the bare token). A secret rotated later reaches Mackerel on the
   * next update of the monitor, not by itself. `SecretValue.cfnParameter(param)` (a NoEcho
   * parameter of the same stack) writes only its Ref: CloudFormation passes the value to the
   * provider's Lambda, which masks it in its logs; one of another stack is exported in plain by
   * that stack, with a warning. `SecretValue.unsafePlainText(text)` writes the value into the
   * template, with a warning.
   *
   * @default - none: `value` must be given instead
   */
  readonly secretValue?: SecretValue;

  /**
   * The customer managed KMS key that encrypts the secret or parameter holding `secretValue`:
   * `kms:Decrypt` on it is granted to the provider's Lambda.
   *
   * Only for a `secretValue` from Secrets Manager or SSM.
   *
   * @default - the secret or parameter uses the AWS managed key, which needs no grant
   */
  readonly encryptionKey?: kms.IKey;
}

/**
 * Properties of an `ExternalHttpMonitor`.
 */
export interface ExternalHttpMonitorProps extends MonitorBaseProps {
  /** The monitor name, shown in alerts. Must not be empty. */
  readonly name: string;

  /**
   * The URL checked every minute: `http` or `https`.
   *
   * A user name or password in it (`https://user:password@host/`) is written into the template
   * in plain text: it gets the synth warning `cdk-mackerel:urlCredentialsInTemplate`. Send an
   * `Authorization` header with `secretValue` instead.
   */
  readonly url: string;

  /**
   * The HTTP method of the request.
   *
   * @default ExternalHttpMethod.GET
   */
  readonly method?: ExternalHttpMethod;

  /**
   * The service the monitor belongs to: its alerts are grouped under it and response times
   * are posted as its service metrics.
   *
   * Required when response time is monitored.
   *
   * @default - no service
   */
  readonly service?: IMackerelService;

  /**
   * Raise a WARNING alert when the average response time exceeds this.
   *
   * Needs `service` and `responseTimeDuration`. Mackerel's check times out after 15 seconds,
   * so a threshold above that never fires (a synth warning says so). Below
   * `responseTimeCritical`, or WARNING alerts never fire on their own (a synth warning says so).
   *
   * @default - no WARNING alert on response time
   */
  readonly responseTimeWarning?: Duration;

  /**
   * Raise a CRITICAL alert when the average response time exceeds this.
   *
   * Needs `service` and `responseTimeDuration`. Mackerel's check times out after 15 seconds,
   * so a threshold above that never fires (a synth warning says so).
   *
   * @default - no CRITICAL alert on response time
   */
  readonly responseTimeCritical?: Duration;

  /**
   * Over how long the response time is averaged: 1-10 whole minutes.
   *
   * Needs `service` and at least one of `responseTimeWarning` and `responseTimeCritical`.
   *
   * @default - response time is not monitored
   */
  readonly responseTimeDuration?: Duration;

  /**
   * A string the response body must contain.
   *
   * @default - the body is not checked
   */
  readonly containsString?: string;

  /**
   * How many checks in a row must fail before an alert is raised: 1-10.
   *
   * @default 1
   */
  readonly maxCheckAttempts?: number;

  /**
   * Raise a WARNING alert when the TLS certificate expires within this many whole days.
   *
   * For https URLs (a synth warning says so for plain http). More days than
   * `certificationExpirationCritical`, or WARNING alerts never fire on their own (a synth warning
   * says so).
   *
   * @default - no WARNING alert on certificate expiration
   */
  readonly certificationExpirationWarning?: Duration;

  /**
   * Raise a CRITICAL alert when the TLS certificate expires within this many whole days.
   *
   * For https URLs (a synth warning says so for plain http).
   *
   * @default - no CRITICAL alert on certificate expiration
   */
  readonly certificationExpirationCritical?: Duration;

  /**
   * Whether to accept an invalid TLS certificate.
   *
   * @default false
   */
  readonly skipCertificateVerification?: boolean;

  /**
   * The status code that counts as success: an HTTP status, 100-599.
   *
   * @default - any 2xx or 3xx status
   */
  readonly expectedStatusCode?: number;

  /**
   * Headers sent with the request; names must be unique (case-insensitive).
   *
   * These replace Mackerel's default header (`Cache-Control: no-cache`); give an empty list to
   * send no headers at all. Without this property the monitor has Mackerel's default header,
   * both when it is created and after any update: removing the headers from the code puts the
   * default header back (the provider sends it, as the API would otherwise keep the old ones).
   *
   * @see https://mackerel.io/api-docs/entry/monitors#create-external-http-monitoring
   * @default - Mackerel's default header, `Cache-Control: no-cache`
   */
  readonly headers?: ExternalHttpHeader[];

  /**
   * The request body, for POST and PUT.
   *
   * @default - no body
   */
  readonly requestBody?: string;

  /**
   * Whether to follow redirects (at most 2).
   *
   * @default false
   */
  readonly followRedirect?: boolean;

  /**
   * Which IP version to connect with.
   *
   * @default DualStack.IPV4
   */
  readonly dualstack?: DualStack;
}

/**
 * An external HTTP monitor (`Custom::MackerelMonitor` of type `external`): Mackerel requests
 * a URL every minute from outside and alerts on failures, slow responses or a certificate
 * about to expire.
 *
 * @see https://mackerel.io/api-docs/entry/monitors#create-external-http-monitoring
 *
 * @example
 * new ExternalHttpMonitor(this, 'Url', {
 *   name: 'top page', url: 'https://shop.example.com/', service: shop,
 *   responseTimeWarning: Duration.millis(1500), responseTimeDuration: Duration.minutes(3),
 * });
 */
export class ExternalHttpMonitor extends MonitorBase {
  /** The Mackerel monitor ID: a reference to the resource (its `Ref`). */
  public readonly monitorId: string;

  constructor(scope: Construct, id: string, props: ExternalHttpMonitorProps) {
    super(scope, id, props);
    this._checkName(props.name);
    this.checkUrl(props);
    _checkOneOf(this, 'method', props.method, Object.values(ExternalHttpMethod));
    _checkOneOf(this, 'dualstack', props.dualstack, Object.values(DualStack));
    _checkRange(this, 'maxCheckAttempts', props.maxCheckAttempts, { min: 1, max: 10 });
    _checkRange(this, 'expectedStatusCode', props.expectedStatusCode, { min: 100, max: 599 });
    this.checkHeaders(props.headers ?? []);
    // A service known by name (fromName) may be one this stack creates: wait for it, as a Ref would.
    if (props.service) _dependOnNamedScope(this, MonitorScope.fromService(props.service), 'service');
    _warnKeptWithDeletedService(this, props.service, 'external monitor');
    this.monitorId = this._createMonitor({
      type: 'external',
      name: props.name,
      url: props.url,
      method: props.method,
      service: props.service?.name,
      ...this.renderResponseTime(props),
      containsString: props.containsString,
      maxCheckAttempts: props.maxCheckAttempts,
      ...this.renderCertificationExpiration(props),
      skipCertificateVerification: props.skipCertificateVerification,
      expectedStatusCode: props.expectedStatusCode,
      headers: props.headers?.map((h, i) => ({ name: h.name, value: this.headerValue(h, i) })),
      requestBody: props.requestBody,
      followRedirect: props.followRedirect,
      dualstack: props.dualstack,
    }, props.service && _knownServiceName(props.service));
  }

  private warnUrlCredentials(shown: string): void {
    Annotations.of(this).addWarningV2('cdk-mackerel:urlCredentialsInTemplate',
      `url ${JSON.stringify(shown)} carries a user name or password, which is written into the template in plain text, readable by anyone `
      + 'who can read the stack. Give the credentials as an Authorization header with secretValue (a SecretValue from Secrets Manager or SSM) instead');
  }

  private checkUrl(props: ExternalHttpMonitorProps): void {
    const url = props.url;
    // Mackerel's guide offers `https://user:password@host/` for Basic authentication: errors and
    // warnings, which land in CI logs and the cloud assembly, show the URL without its userinfo.
    const shown = _maskedUserinfo(url);
    if (Token.isUnresolved(url)) {
      // A URL built around a token (its host from a parameter) still writes a literal user name or password as it is.
      const literal = _literalUserinfo(url);
      if (literal.user || literal.password) this.warnUrlCredentials(shown);
      return;
    }
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      _fail(this, 'url', shown, 'is not a URL', 'an absolute http:// or https:// URL');
    }
    const protocol = parsed.protocol;
    if (protocol !== 'http:' && protocol !== 'https:') {
      _fail(this, 'url', shown, `has scheme ${JSON.stringify(protocol.replace(/:$/, ''))}`, 'http or https');
    }
    if (parsed.username !== '' || parsed.password !== '') this.warnUrlCredentials(shown);
    const certificateSettings = ['certificationExpirationWarning', 'certificationExpirationCritical', 'skipCertificateVerification'] as const;
    const certificateSetting = certificateSettings.find((field) => props[field] !== undefined);
    if (protocol === 'http:' && certificateSetting) {
      Annotations.of(this).addWarningV2('cdk-mackerel:certificateOnHttp',
        `${certificateSetting} is set, but url ${JSON.stringify(shown)} is plain http, which has no certificate; expected an https URL`);
    }
  }

  private checkHeaders(headers: ExternalHttpHeader[]): void {
    const seen = new Map<string, number>();
    headers.forEach((header, i) => {
      if (Token.isUnresolved(header.name)) return;
      if (header.name.trim() === '') {
        _fail(this, `headers[${i}].name`, header.name, 'is empty', 'an HTTP header name');
      }
      // An HTTP client refuses to send such a header, so every check of the monitor would fail.
      if (!HEADER_NAME.test(header.name)) {
        _fail(this, `headers[${i}].name`, header.name, 'is not an HTTP header name', "letters, digits and !#$%&'*+-.^_`|~ only");
      }
      const key = header.name.toLowerCase();
      const first = seen.get(key);
      if (first !== undefined) {
        _fail(this, `headers[${i}].name`, header.name, `repeats headers[${first}].name`, 'unique header names (case-insensitive)');
      }
      seen.set(key, i);
    });
  }

  /**
   * A header's value as written into the template: the text given as `value`, or the dynamic
   * reference of `secretValue`, which the provider's Lambda is granted to read.
   */
  private headerValue(header: ExternalHttpHeader, i: number): string {
    const property = `headers[${i}]`;
    if ((header.value === undefined) === (header.secretValue === undefined)) {
      _fail(this, property, header.name, header.value === undefined ? 'has neither value nor secretValue' : 'has both value and secretValue',
        'exactly one of value (plain text) and secretValue (a SecretValue from Secrets Manager or SSM)');
    }
    if (header.value !== undefined) {
      if (header.encryptionKey) {
        _fail(this, `${property}.encryptionKey`, header.encryptionKey.node.path, 'is given, but the header has a plain value',
          'a secretValue from Secrets Manager or SSM, or no key');
      }
      this.checkPlainValue(property, header.value);
      // A token (a CfnParameter) is read at deploy time, so its line break is found only by the handler.
      if (Token.isUnresolved(header.value)) {
        const value = header.value;
        _readNowOrOnceFinal(this, [value], () => {
          if (typeof Stack.of(this).resolve(value) !== 'string') this.allowStackReads();
        });
      }
      return header.value;
    }
    return _secretValue(this, header.secretValue!, header.encryptionKey, {
      property: `${property}.secretValue`,
      keyProperty: `${property}.encryptionKey`,
      owner: 'the monitor',
      readAtDeploy: () => this.allowStackReads(),
      plainText: () => Annotations.of(this).addWarningV2('cdk-mackerel:headerValueInTemplate',
        `${property}.secretValue is given as plain text, so it is written into the template (and visible to anyone who can read the stack). `
        + 'Keep the value in Secrets Manager or SSM and pass SecretValue.secretsManager(...) or SecretValue.ssmSecure(...), or give a value that is not secret as value'),
    });
  }

  /**
   * The handler refuses a header value read at deploy time that holds a line break, except in a
   * rollback, which it asks the stack about: a rollback to a value the stack had must not fail.
   */
  private allowStackReads(): void {
    MackerelProvider._withProvider(this, (provider) => provider._allowStackReads());
  }

  /**
   * Refuses a secure dynamic reference given as a plain `value` (a secret's `unsafeUnwrap()`):
   * CloudFormation leaves it as it is for custom resources, and the provider's Lambda, which
   * resolves header values, would not be granted to read it.
   */
  private checkPlainValue(property: string, value: string): void {
    // The handler refuses the same in a value read from a secret; a literal one fails here, at synth.
    // Not shown: a token read from a file keeps its trailing newline, and the error lands in CI logs.
    const forbidden = Token.isUnresolved(value) ? -1 : value.search(HEADER_VALUE_FORBIDDEN);
    if (forbidden >= 0) {
      _fail(this, `${property}.value`, _MASKED, `holds a line break or control character (${_codePoint(value, forbidden)} at character ${forbidden + 1}; `
        + 'the value is not shown, as it may hold a token), which an HTTP header value cannot', 'printable text (tabs allowed)');
    }
    const problem = ['a dynamic reference', 'holds a secret or secure parameter, which the provider\'s Lambda is not granted to read',
      'the SecretValue itself as secretValue, which grants the read'] as const;
    const holdsSecret = () => /\{\{resolve:(secretsmanager|ssm-secure):/.test(JSON.stringify(Stack.of(this).resolve(value)));
    // A Lazy resolved now would keep the value of this moment in the template: it is read once final.
    if (_holdsValueNotFinalYet(this, value)) {
      _refuseOnceFinal(this, () => (holdsSecret() ? [`${property}.value`, ...problem] : undefined));
      return;
    }
    if (holdsSecret()) _fail(this, `${property}.value`, ...problem);
  }

  /** Response time fields: in milliseconds and minutes, with the service they need. */
  private renderResponseTime(props: ExternalHttpMonitorProps) {
    const warning = this.responseTimeMillis('responseTimeWarning', props.responseTimeWarning);
    const critical = this.responseTimeMillis('responseTimeCritical', props.responseTimeCritical);
    const duration = _wholeDuration(this, 'responseTimeDuration', props.responseTimeDuration, 'minutes', { min: 1, max: 10 });
    const given = [['responseTimeWarning', warning], ['responseTimeCritical', critical], ['responseTimeDuration', duration]]
      .filter(([, value]) => value !== undefined);
    if (given.length > 0 && props.service === undefined) {
      _fail(this, 'service', undefined, `is missing, but ${given[0][0]} is set`, 'a service to post response times to');
    }
    if ((warning !== undefined || critical !== undefined) && duration === undefined) {
      _fail(this, 'responseTimeDuration', undefined, 'is missing, but a response time threshold is set', '1-10 whole minutes to average the response time over');
    }
    if (duration !== undefined && warning === undefined && critical === undefined) {
      _fail(this, 'responseTimeWarning', undefined, 'and responseTimeCritical are both missing, but responseTimeDuration is set',
        'at least one response time threshold');
    }
    _warnOnThresholdOrder(this, { name: 'responseTimeWarning', value: warning }, { name: 'responseTimeCritical', value: critical },
      { higherIsWorse: true, unit: ' ms' });
    return { responseTimeWarning: warning, responseTimeCritical: critical, responseTimeDuration: duration };
  }

  /** Certificate expiration thresholds in days left: the WARNING comes first, with more days left. */
  private renderCertificationExpiration(props: ExternalHttpMonitorProps) {
    const warning = _wholeDuration(this, 'certificationExpirationWarning', props.certificationExpirationWarning, 'days');
    const critical = _wholeDuration(this, 'certificationExpirationCritical', props.certificationExpirationCritical, 'days');
    _warnOnThresholdOrder(this, { name: 'certificationExpirationWarning', value: warning }, { name: 'certificationExpirationCritical', value: critical },
      { higherIsWorse: false, unit: ' days' });
    return { certificationExpirationWarning: warning, certificationExpirationCritical: critical };
  }

  private responseTimeMillis(property: string, threshold: Duration | undefined): number | undefined {
    const millis = _wholeDuration(this, property, threshold, 'milliseconds');
    if (millis === undefined || threshold === undefined) return undefined;
    if (!Token.isUnresolved(millis) && millis > CHECK_TIMEOUT_MILLIS) {
      Annotations.of(this).addWarningV2('cdk-mackerel:responseTimeOverTimeout',
        `${property} is ${millis} ms, but Mackerel's HTTP check times out after ${CHECK_TIMEOUT_MILLIS} ms, so this threshold never fires; expected at most ${CHECK_TIMEOUT_MILLIS} ms`);
    }
    if (!Token.isUnresolved(millis) && millis <= 0) {
      _fail(this, property, threshold.toHumanString(), 'is not positive', 'a response time above 0 ms');
    }
    return millis;
  }
}
