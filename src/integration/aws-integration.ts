import { IResource, Lazy, Resource, Stack, Tags, Token } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, IConstruct } from 'constructs';
import { _unknownMetricWarnings } from './_metric-names';
import { _CLOUDWATCH_READ_ACTIONS } from './_read-actions';
import { _addedSensitiveReadWarnings, _attachedSensitiveReadWarnings, _extraPermissionProblems, _generatedPolicyProblems, _rolePolicies, _trustPolicyProblems } from './_role-permissions';
import { _sensitiveReadWarnings, _unknownServiceWarning } from './_service-warnings';
import { _renderTag, _renderTags, _resourceTagProblem, _tagProblem, _tokenQuoteProblem } from './_tags';
import { AwsIntegrationService } from './aws-integration-service';
import { _rolesCustomized } from '../_iam';
import { _holdsValueNotFinalYet, _knownOnlyOnceFinal, _readingFinalValues } from '../_lazy';
import { _checkRoleFullName, _isRoleFullName, _NAME_RULE } from '../_names';
import { _MACKEREL_PARTITION, _partitionOf } from '../_partition';
import { _describeProblem, _fail, _Problem, _refuseOnceFinal, _warnLate } from '../_validation';
import { _AwsIntegrationProperties, _AwsIntegrationServiceProperties, _RESOURCE_TYPES } from '../provider/_properties';
import { _createMackerelResource } from '../provider/_resource';
import { MackerelResourceOptions } from '../provider/resource-options';
import { _warnNamedByLiteral } from '../service/_imported-by-name';
import { _knownRoleFullNameOf } from '../service/_known-name';
import { _dependOnNamed } from '../service/_named-dependency';
import { _checkUniqueInApp, _keyedConstructAdded, _KeyedKind } from '../service/_unique';

/** Mackerel's AWS account, the only principal the integration role trusts. */
const MACKEREL_PRINCIPAL = 'arn:aws:iam::217452466226:root';

/** One AWS tag of an integration's tag filter. */
export interface AwsIntegrationTag {
  /** The tag key. */
  readonly key: string;
  /** The tag value. */
  readonly value: string;
}

/**
 * Properties of a `MackerelAwsIntegration`.
 */
export interface MackerelAwsIntegrationProps extends MackerelResourceOptions {
  /**
   * The integration name, unique within the Mackerel organization.
   *
   * Updated in place when changed.
   */
  readonly name: string;

  /**
   * A note shown in Mackerel.
   *
   * @default - no memo
   */
  readonly memo?: string;

  /**
   * The AWS region whose resources Mackerel integrates.
   *
   * It must be in the aws partition, as the stack must: Mackerel's account cannot be trusted by a
   * role in China, GovCloud or the European Sovereign Cloud, nor read their resources.
   *
   * @default - the stack's region (resolved at deploy time for an environment-agnostic stack)
   */
  readonly region?: string;

  /**
   * Only resources carrying one of these tags are integrated (any tag matches).
   *
   * The filter applies to every service of the integration, not to one service: Mackerel has one
   * tag filter per integration. The exceptions are SES, Batch and WAF, whose pages in Mackerel's
   * docs say tag filtering is not available for them. Keys and values containing `:` or `,` are
   * quoted as Mackerel documents; one given as a token (a CloudFormation parameter) is always
   * quoted with `"`, so its value must hold no `"`: a Lazy whose value holds one is refused at synth,
   * as is a key or value no quote can hold. Tag filters on ElastiCache, SQS and Step
   * Functions need tag read actions, which the generated policy includes.
   *
   * @default - every resource of the enabled services
   * @see https://mackerel.io/docs/entry/integrations/aws#tag
   */
  readonly includedTags?: AwsIntegrationTag[];

  /**
   * Resources carrying one of these tags are not integrated.
   *
   * Like `includedTags`, this applies to the whole integration. A tag also included (in
   * `includedTags`, or as a `filterTag`) warns (`cdk-mackerel:awsIntegrationTagExcluded`): Mackerel
   * does not document which of the two wins.
   *
   * @default - no resource is excluded by tag
   */
  readonly excludedTags?: AwsIntegrationTag[];

  /**
   * Allow policies on the role besides the read-only policy this construct generates.
   *
   * By default synthesis fails when the role carries anything else: a managed policy, a grant
   * (`bucket.grantWrite(integration.role)`), an attached `iam.Policy` or `iam.ManagedPolicy`, in
   * any stack of the app.
   * Mackerel stops collecting when its role could write, and the content of an imported managed
   * policy cannot be checked at synth time. Set this only for policies that read or deny, such
   * as a guardrail your organization attaches to every role; you then answer for them never
   * allowing a write. A read action in them that returns a secret, content or credentials (such
   * as a `secret.grantRead(integration.role)`) still gets the warning
   * `cdk-mackerel:awsIntegrationSensitiveRead`, except in a managed policy whose content is not in
   * the app (an AWS managed one, or one made outside it); a managed policy of the app listed by an
   * import of its ARN or name (`ManagedPolicy.fromManagedPolicyName`) is read. For a service this release does not know, use
   * `AwsIntegrationService.of` instead: its read actions are checked and go into the generated policy.
   *
   * @default false
   * @see https://mackerel.io/docs/entry/integrations/aws
   */
  readonly allowAdditionalPolicies?: boolean;
}

/**
 * How one AWS service is integrated.
 */
export interface AwsIntegrationServiceOptions {
  /**
   * The Mackerel role (`service:role`) that the hosts of this AWS service join.
   *
   * Pass `myRole.fullName` to use a `MackerelRole` of the stack: the integration is then created
   * after the role. So is it when the name is written out and a `MackerelRole` of the same stack
   * creates that role. An AWS tag `mackerel-integration` on a resource overrides it.
   *
   * @default - the hosts join no role
   */
  readonly role?: string;

  /**
   * Metrics not to retrieve; every other metric, including ones Mackerel adds later, is
   * retrieved ("Add new metrics automatically" on).
   *
   * Use either `excludedMetrics` or `includedMetrics` across all services of an integration.
   * A name of ECSCluster, SQS, APIGateway, Kinesis, ElastiCache, ALB, NLB, Lambda, CloudFront or RDS that Mackerel does not document (such as
   * one with an ECS service's name where its docs have `#`) warns
   * (`cdk-mackerel:awsIntegrationUnknownMetric`): it excludes nothing. A part the docs write in
   * capitals (a target group's name, a Lambda alias or version, a CloudFront function, an RDS replication channel) may be `#` or the name;
   * CloudFront's `cloudfront.origin_latency`, which its docs give for three statistics, may be followed by any part. Names of
   * other services, and names given as tokens, are not checked. The list is copied when the service is added:
   * changing the array afterwards changes nothing.
   *
   * @default - every metric
   * @see https://mackerel.io/api-docs/entry/aws-integration
   */
  readonly excludedMetrics?: string[];

  /**
   * The only metrics to retrieve ("Add new metrics automatically" off).
   *
   * Use either `excludedMetrics` or `includedMetrics` across all services of an integration.
   * Once one service gives `includedMetrics`, every service must: a service without a metric
   * list gets every metric, new ones included, which is the `excludedMetrics` kind. An empty
   * list warns (`cdk-mackerel:awsIntegrationNoMetrics`): the service's resources still become
   * hosts, with nothing to monitor. So does a name of ECSCluster, SQS, APIGateway, Kinesis, ElastiCache, ALB, NLB, Lambda, CloudFront or RDS
   * that Mackerel does not document (`cdk-mackerel:awsIntegrationUnknownMetric`): it retrieves
   * nothing. Names of other services, and names given as tokens, are not checked. The list is
   * copied when the service is added, as `excludedMetrics` is.
   *
   * @default - every metric
   */
  readonly includedMetrics?: string[];

  /**
   * Retire the host when Mackerel sees the AWS resource deleted.
   *
   * Supported by EC2, RDS, ElastiCache (API reference), ALB, NLB, Lambda and ECSCluster
   * (supported by Terraform's provider since 2025-06; see
   * `AwsIntegrationService.supportsRetireAutomatically`). `true` on another service fails at
   * synth; `false` there is not sent, as Mackerel has the key on these services only.
   *
   * @default false
   */
  readonly retireAutomatically?: boolean;
}

/**
 * Options of `addEcsCluster` and `addLoadBalancer`: a service's options, and a tag that limits
 * the integration to the resources given.
 */
export interface AwsIntegrationResourceOptions extends AwsIntegrationServiceOptions {
  /**
   * An AWS tag to put on this resource and add to the integration's `includedTags`, so that the
   * integration covers the resources added with it rather than every resource of the kind in
   * the region. Only the resource itself is tagged, not what it holds (a cluster's capacity or
   * VPC, a load balancer's security group), which would otherwise pass the filter too.
   *
   * Mackerel's tag filter applies to the whole integration: with it, a resource of any enabled
   * service is integrated only when it carries one of the included tags. Give the same tag to
   * each resource added this way, and tag other resources of the integration with it too.
   * An imported resource cannot be tagged by the app: the tag is still added to `includedTags`,
   * and the warning `cdk-mackerel:awsIntegrationFilterTagNotAdded` says the resource must
   * already carry it. The tag must be one ECS clusters and load balancers can carry (a key of
   * 1-128 and a value of up to 256 letters, digits, spaces and `_ . : / = + - @`, neither starting
   * with `aws:`), or synthesis fails.
   *
   * Mackerel's own key `mackerel-integration` also assigns roles: its value must be
   * `service:role[/service:role...]` (spaces around a `/` allowed), which replaces the service's
   * `role` on the resource (the warning `cdk-mackerel:awsIntegrationRoleTag` says when it
   * differs). Use another key, such as `mackerel-service`, for a tag that only filters.
   *
   * @default - the resource is not tagged; every resource of the kind in the region is
   * integrated, unless `includedTags` says otherwise
   */
  readonly filterTag?: AwsIntegrationTag;
}

interface EnabledService {
  readonly service: AwsIntegrationService;
  readonly options: AwsIntegrationServiceOptions;
  /** What enabled it: `addService`, or the path of the first resource added for it. */
  readonly by: string;
}

/**
 * Mackerel's AWS tag that assigns roles (`service:role[/service:role...]`) to the resource
 * carrying it, in place of the integration's `role`.
 */
const ROLE_TAG_KEY = 'mackerel-integration';

/**
 * Mackerel's agentless AWS integration, in one construct: a Mackerel external ID
 * (`Custom::MackerelAwsIntegrationExternalId`), the `AWS::IAM::Role` only Mackerel's account can
 * assume with that external ID, one inline `AWS::IAM::Policy` with the read actions of the enabled
 * services, and the integration (`Custom::MackerelAwsIntegration`), created after the role and its
 * policy.
 *
 * The role never gets a write action: Mackerel stops collecting when its role could create an
 * internet gateway. Synthesis fails when other code attaches a policy to the role (see
 * `allowAdditionalPolicies`), and when a statement added to its trust policy lets anyone but
 * Mackerel's account, with the external ID, assume it. Only the IAM role method is offered;
 * access keys are not. Under `iam.Role.customizeRoles` it fails at construction: a role created
 * before the deploy cannot trust the external ID Mackerel issues during it.
 *
 * IAM is eventually consistent, so a role created in the same deployment may not be assumable
 * yet when the integration is created: the integration depends on the role and its policy, and
 * the provider retries the create or update while Mackerel rejects the role (up to 3 minutes).
 *
 * `removalPolicy` applies to the role and its policy too: a kept integration needs them.
 *
 * @example
 * const aws = new MackerelAwsIntegration(this, 'Aws', { name: 'prod' });
 * aws.addService(AwsIntegrationService.ECS_CLUSTER, { role: 'shop:ecs' });
 * aws.addService(AwsIntegrationService.ALB, { role: 'shop:lb', retireAutomatically: true });
 *
 * @see https://mackerel.io/docs/entry/integrations/aws
 */
export class MackerelAwsIntegration extends Construct {
  /** The AWS integrations of the app by their name. */
  private static readonly BY_NAME: _KeyedKind = { keysOf: (other) => (other instanceof MackerelAwsIntegration ? [other.givenName] : []) };

  /** The external ID Mackerel issued for this integration (a reference to the resource). */
  public readonly externalId: string;

  /**
   * The IAM role Mackerel assumes.
   *
   * Grant it nothing else: Mackerel stops collecting when the role could write, so synthesis
   * fails when the role carries any policy but `policy` (see `allowAdditionalPolicies`).
   */
  public readonly role: iam.IRole;

  /**
   * The inline policy of the role, with the read actions of the enabled services.
   *
   * Synthesis fails when it allows anything but read actions, whoever added them
   * (`policy.addStatements(...)` included): the role never gets a write action. A read action
   * added here that returns a secret, content or credentials gets the warning
   * `cdk-mackerel:awsIntegrationSensitiveRead`, as one of a service does.
   */
  public readonly policy: iam.Policy;

  /** The integration's ID in Mackerel. */
  public readonly awsIntegrationId: string;

  /** The region whose resources are integrated. */
  public readonly region: string;

  private readonly services: EnabledService[] = [];
  private readonly readStatement: iam.PolicyStatement;
  private includedTags?: AwsIntegrationTag[];
  private readonly excludedTags: AwsIntegrationTag[];
  private readonly givenName: string;
  private readonly resource: IConstruct;

  constructor(scope: Construct, id: string, props: MackerelAwsIntegrationProps) {
    super(scope, id);
    // Rendered now for its errors (an unquotable key or value), and again when written.
    _renderTags(this, 'includedTags', props.includedTags);
    this.checkTagsOnceFinal('includedTags', props.includedTags);
    this.checkTagsOnceFinal('excludedTags', props.excludedTags);
    this.includedTags = props.includedTags ? [...props.includedTags] : undefined;
    // Copied, as includedTags are: the template has them as rendered here, and a tag pushed onto the caller's
    // array later would be warned about as excluded (warnIfExcluded) while Mackerel never excludes it.
    this.excludedTags = [...(props.excludedTags ?? [])];
    props.includedTags?.forEach((tag, i) => this.warnIfExcluded(tag, `includedTags[${i}]`));
    this.checkProps(props);
    this.givenName = props.name;
    _keyedConstructAdded();
    this.region = props.region ?? Stack.of(this).region;
    this.checkPartition(props);

    if (_rolesCustomized(this)) {
      // A precreated role is made before the deploy, so its trust policy cannot require the external ID Mackerel
      // issues during it; and with preventSynthesis: false, aws-cdk-lib gives the role the precreated role's ARN.
      _fail(this, 'scope', Stack.of(this).node.path, `is under iam.Role.customizeRoles, so the integration's role ${this.node.path}/Role would be precreated, `
        + 'and a role created before the deploy cannot trust the external ID Mackerel issues during it',
      'a stack that creates its roles', 'Put the integration in a stack without iam.Role.customizeRoles');
    }
    const externalIdScope = new Construct(this, 'ExternalId');
    this.externalId = _createMackerelResource(externalIdScope, _RESOURCE_TYPES.AWS_INTEGRATION_EXTERNAL_ID, {}).ref;
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ArnPrincipal(MACKEREL_PRINCIPAL),
      externalIds: [this.externalId],
      description: roleDescription(props.name),
    });
    this.role = role;
    // The actions are added as services are, not produced lazily: with @aws-cdk/aws-iam:minimizePolicies
    // (set by `cdk init`), a statement added to the policy is merged with this one, and a merged
    // statement cannot hold a token as an action.
    this.readStatement = new iam.PolicyStatement({ actions: [..._CLOUDWATCH_READ_ACTIONS], resources: ['*'] });
    this.policy = new iam.Policy(this, 'Policy', { roles: [role], statements: [this.readStatement] });

    const properties: _AwsIntegrationProperties = {
      name: props.name,
      memo: props.memo,
      roleArn: this.role.roleArn,
      externalId: this.externalId,
      region: this.region,
      // Lazy: addEcsCluster and addLoadBalancer may add their filter tag later.
      includedTags: Lazy.string({ produce: () => _renderTags(this, 'includedTags', this.includedTags) }),
      excludedTags: _renderTags(this, 'excludedTags', props.excludedTags),
      services: Lazy.any({ produce: () => this.renderServices() }) as unknown as _AwsIntegrationProperties['services'],
    };
    const resource = _createMackerelResource(this, _RESOURCE_TYPES.AWS_INTEGRATION, { ...properties }, props.removalPolicy);
    // A kept integration is of no use without the role it assumes and that role's policy.
    if (props.removalPolicy !== undefined) {
      role.applyRemovalPolicy(props.removalPolicy);
      this.policy.applyRemovalPolicy(props.removalPolicy);
    }
    this.resource = resource;
    // Mackerel must never see the integration before the role it assumes has its policy.
    resource.node.addDependency(this.role, this.policy);
    this.awsIntegrationId = resource.ref;
    this.registerValidations(props, role);
  }

  /**
   * Enables an AWS service in the integration and grants its read actions to the role.
   *
   * @param service the service, a constant of `AwsIntegrationService` or `AwsIntegrationService.of(...)`
   * @param options the role its hosts join, the metrics and automatic retirement
   */
  public addService(service: AwsIntegrationService, options: AwsIntegrationServiceOptions = {}): void {
    const same = this.enabled(service);
    if (same) {
      _fail(this, 'service', service.id, `is enabled twice (as ${JSON.stringify(same.service.id)} before, by ${same.by})`,
        'each service once per integration', 'Call addService once per service');
    }
    this.enable(service, options, 'addService');
  }

  /** The enabled service `service` names, if any: `Route 53` and `Route53` name the same one (docs vs Terraform). */
  private enabled(service: AwsIntegrationService): EnabledService | undefined {
    return this.services.find((s) => s.service.id.replace(/ /g, '') === service.id.replace(/ /g, ''));
  }

  private enable(service: AwsIntegrationService, options: AwsIntegrationServiceOptions, by: string): void {
    const property = `services.${service.id}`;
    if (options.role !== undefined) {
      _checkRoleFullName(this, `${property}.role`, options.role);
      // A role of this stack given by name (not by its fullName) would not order creation.
      _dependOnNamed(this.resource, options.role, true);
      _warnNamedByLiteral(this, `${property}.role`, options.role, true, 'role: ecs.fullName', (builtName) => `role: ${builtName}`);
    }
    if (options.excludedMetrics && options.includedMetrics) {
      _fail(this, `${property}.includedMetrics`, options.includedMetrics, 'is given with excludedMetrics', 'either excludedMetrics or includedMetrics');
    }
    this.checkMetricKind(service, options);
    if (options.includedMetrics && !Token.isUnresolved(options.includedMetrics) && options.includedMetrics.length === 0) {
      _warnLate(this, 'cdk-mackerel:awsIntegrationNoMetrics', `${property}.includedMetrics is empty: Mackerel still registers a host for each `
        + `${service.id} resource it finds (each one counted as a host), with no metric to monitor. List the metrics to retrieve, or leave the service out`);
    }
    for (const warning of _unknownMetricWarnings(service, options)) _warnLate(this, 'cdk-mackerel:awsIntegrationUnknownMetric', warning);
    if (options.retireAutomatically && !service.supportsRetireAutomatically) {
      const supported = AwsIntegrationService._all().filter((s) => s.supportsRetireAutomatically).map((s) => s.id);
      _fail(this, `${property}.retireAutomatically`, true, 'is not supported by this service', `only on ${supported.join(', ')}`);
    }
    const unknown = _unknownServiceWarning(service);
    // Late: the integration exists before its services, so it may have been acknowledged already.
    if (unknown) _warnLate(this, 'cdk-mackerel:awsIntegrationServiceUnknown', unknown);
    // Its sensitive reads are warned about at validation, where the role's Denies are known (registerValidations).
    // The lists are copied, as the options are: they were checked above, and a name the caller pushes onto its
    // own array later would reach Mackerel unchecked (excludedMetrics.push(...) after addService changes nothing).
    this.services.push({ service, options: copyOptions(options), by });
    // In any case: IAM reads APIGateway:GET as apigateway:GET, and so does the read-action rule.
    const apiGateway = service.actions.filter((action) => action.toLowerCase().startsWith('apigateway:'));
    this.readStatement.addActions(...service.actions.filter((action) => !apiGateway.includes(action)));
    // Its reads are REST paths, which an ARN limits to the integration's region (Mackerel's docs grant exactly that).
    if (apiGateway.length > 0) {
      this.policy.addStatements(new iam.PolicyStatement({ actions: apiGateway, resources: [`arn:${Stack.of(this).partition}:apigateway:${this.region}::/*`] }));
    }
  }

  /**
   * Enables the `ECSCluster` service for an ECS cluster's metrics (one micro host per cluster).
   *
   * Every cluster of the region is integrated unless a tag filter says otherwise: give
   * `filterTag` to tag this cluster and include only tagged resources (Mackerel's filter is
   * integration-wide). The cluster must be in the integration's region, and in the account of
   * the integration's stack: Mackerel reads the account of the role it assumes.
   *
   * More clusters may be added, with the same options: Mackerel keeps one `ECSCluster` entry
   * per integration, so they share its role, metric list and retirement.
   *
   * @param cluster the ECS cluster
   * @param options the role its host joins, metrics, automatic retirement and a filter tag
   */
  public addEcsCluster(cluster: ecs.ICluster, options: AwsIntegrationResourceOptions = {}): void {
    this.checkSameEnvironment('cluster', cluster);
    this.addResource('cluster', cluster, AwsIntegrationService.ECS_CLUSTER, options);
  }

  /**
   * Enables `ALB` or `NLB` for a load balancer, by its kind.
   *
   * As with `addEcsCluster`, every load balancer of that kind in the region is integrated unless
   * a tag filter says otherwise; `filterTag` tags this one and includes only tagged resources.
   * More load balancers of a kind may be added, with the same options, which they share. Like a
   * cluster, the load balancer must be in the integration's region and its stack's account.
   *
   * @param loadBalancer an `ApplicationLoadBalancer` or a `NetworkLoadBalancer`
   * @param options the role its host joins, metrics, automatic retirement and a filter tag
   */
  public addLoadBalancer(loadBalancer: elbv2.ILoadBalancerV2, options: AwsIntegrationResourceOptions = {}): void {
    const service = loadBalancerService(loadBalancer);
    if (!service) {
      return _fail(this, 'loadBalancer', loadBalancer.node.path, 'is not an ApplicationLoadBalancer or NetworkLoadBalancer construct (an imported one, say), so whether it is an ALB or an NLB is unknown',
        'a load balancer created in this app', 'Call addService(AwsIntegrationService.ALB or .NLB) for an imported load balancer');
    }
    this.checkSameEnvironment('loadBalancer', loadBalancer);
    this.addResource('loadBalancer', loadBalancer, service, options);
  }

  /**
   * Enables the resource's service, unless a resource of the same kind enabled it with the same
   * options; with a filter tag, tags the resource and includes the tag (once).
   */
  private addResource(property: string, resource: IResource, service: AwsIntegrationService, options: AwsIntegrationResourceOptions): void {
    const { filterTag: tag, ...serviceOptions } = options;
    const same = this.enabled(service);
    if (!same) {
      this.enable(service, serviceOptions, resource.node.path);
    } else if (same.by !== 'addService' && [same.options.role, serviceOptions.role].some((role) => role !== undefined && _holdsValueNotFinalYet(this, role))) {
      // A role of a Lazy name compares by its token until the app is built: by the name it ends with at validation.
      this.node.addValidation({
        validate: () => _readingFinalValues(() => {
          const problem = sharedEntryProblem(property, resource, service, same, serviceOptions);
          return problem ? [_describeProblem(...problem)] : [];
        }),
      });
    } else {
      const problem = sharedEntryProblem(property, resource, service, same, serviceOptions);
      if (problem) _fail(this, ...problem);
    }
    if (!tag) return;
    const rendered = _renderTag(this, 'filterTag', tag);
    this.checkFilterTag(tag, serviceOptions.role, resource.node.path);
    if (Resource.isOwnedResource(resource)) {
      // Its L1 only: Tags.of(resource) would tag all it holds too, such as a cluster's own VPC or its capacity's
      // Auto Scaling group, whose instances and draining Lambda would then pass the filter as EC2 and Lambda hosts.
      Tags.of(resource.node.defaultChild!).add(tag.key, tag.value);
    } else {
      // An imported resource has no template resource to carry the tag, yet the filter still narrows the
      // whole integration; whether the real resource carries the tag is known only to its owner.
      // Late: the integration exists before its resources, so it may have been acknowledged already.
      _warnLate(this, 'cdk-mackerel:awsIntegrationFilterTagNotAdded', `filterTag ${JSON.stringify(rendered)} is not added to ${property} `
        + `${JSON.stringify(resource.node.path)}: it is imported, and the app can tag only resources it creates. The integration still `
        + 'includes only resources carrying the tag, so the metrics of this resource are missing unless it already carries it. '
        + 'Tag it where it is defined, or leave filterTag out and set includedTags to a tag it carries');
    }
    this.includedTags = this.includedTags ?? [];
    if (!this.includedTags.some((t) => sameTag(t, tag))) {
      this.includedTags.push({ key: tag.key, value: tag.value });
      this.warnIfExcluded(tag, `filterTag of ${property} ${JSON.stringify(resource.node.path)}`);
    }
  }

  /**
   * A tag both included and excluded: Mackerel does not document which wins, and if the exclusion
   * does, the resources carrying it (those added with it as filterTag, say) collect nothing.
   */
  private warnIfExcluded(tag: AwsIntegrationTag, where: string): void {
    const index = this.excludedTags.findIndex((t) => sameTag(t, tag));
    if (index < 0) return;
    // As Mackerel reads it: a key or value holding ':' is quoted (the tag was rendered, so checked, before).
    _warnLate(this, 'cdk-mackerel:awsIntegrationTagExcluded', `${where} ${JSON.stringify(_renderTag(this, where, tag))} is also excludedTags[${index}]: `
      + 'the integration is told to include the resources carrying it and to leave them out. Mackerel does not document which wins; if the '
      + 'exclusion does, none of them is integrated and their metrics are missing. Keep the tag in one of the two lists');
  }

  /**
   * Checks a filter tag: what its resource can carry (`_resourceTagProblem`) and, for Mackerel's
   * role tag, that its value is roles (`roleTagProblem`). A key, value or role holding a Lazy
   * (one not final yet, or an uncached one, which reads anew each time) is read at validation, as
   * synthesis writes it, and checked as a literal is: not in an Aspect, as an Aspect of the app
   * may give the Lazy its value after this construct's, and the read would keep the earlier one.
   * What a Lazy leaves a reference is passed, as a reference given alone is.
   */
  private checkFilterTag(tag: AwsIntegrationTag, role: string | undefined, target: string): void {
    const problem = (final: AwsIntegrationTag) => _tagProblem('filterTag', final) ?? _resourceTagProblem('filterTag', final, target)
      ?? (final.key === ROLE_TAG_KEY ? this.roleTagProblem(final.value, role) : undefined);
    if ([tag.key, tag.value, role].some((v) => v !== undefined && _knownOnlyOnceFinal(this, v))) {
      _refuseOnceFinal(this, () => problem(this.finalTag(tag)));
      return;
    }
    const now = problem(tag);
    if (now) _fail(this, ...now);
  }

  /** The tag as synthesis writes it, read once final: a part that resolves to a reference is kept as given. */
  private finalTag(tag: AwsIntegrationTag): AwsIntegrationTag {
    const final = (part: string) => {
      const resolved = Stack.of(this).resolve(part);
      return typeof resolved === 'string' ? resolved : part;
    };
    return { key: final(tag.key), value: final(tag.value) };
  }

  /**
   * Checks a tag of `includedTags` or `excludedTags` holding a token, once final, for what
   * `_renderTag` refuses in a literal: rendered now, it passes as a token. A `"` it ends with is
   * refused too (`_tokenQuoteProblem`): rendered as a token, it is enclosed in `"`, not in `'` as a literal.
   * Any token, not only a Lazy not final yet: one that has produced already (a Lazy resolved before,
   * a token of the user's own) is enclosed in `"` all the same.
   */
  private checkTagsOnceFinal(property: string, tags: AwsIntegrationTag[] | undefined): void {
    tags?.forEach((tag, i) => {
      if (![tag.key, tag.value].some((v) => Token.isUnresolved(v))) return;
      _refuseOnceFinal(this, () => _tagProblem(`${property}[${i}]`, this.finalTag(tag))
        ?? _tokenQuoteProblem(this, `${property}[${i}].key`, tag.key) ?? _tokenQuoteProblem(this, `${property}[${i}].value`, tag.value));
    });
  }

  /** The problem of a role tag's value that is not roles; warns about one that overrides the integration's role. */
  private roleTagProblem(value: string, role: string | undefined): _Problem | undefined {
    if (Token.isUnresolved(value)) return undefined;
    // Spaces around a slash are Mackerel's own style ("webapp:api / webapp:db", in its announcement of the tag).
    const roles = value.split('/').map((part) => part.trim());
    if (!roles.every(_isRoleFullName)) {
      return ['filterTag.value', value, `is not a list of Mackerel roles, yet the key ${JSON.stringify(ROLE_TAG_KEY)} makes Mackerel `
        + 'assign the roles it lists to the resource, in place of the integration\'s role', `service:role[/service:role...], each part ${_NAME_RULE}`,
      'Use another key (such as "mackerel-service") for a tag that only filters'];
    }
    // A MackerelRole's fullName is its Ref, a token: compared by the name it was created with. Known only at deploy time, it cannot be.
    const known = role === undefined ? undefined : _knownRoleFullNameOf(role);
    if (known !== undefined && !roles.includes(known)) {
      _warnLate(this, 'cdk-mackerel:awsIntegrationRoleTag', `filterTag ${JSON.stringify(`${ROLE_TAG_KEY}:${value}`)} assigns `
        + `${roles.join(', ')} to the resource, in place of role ${JSON.stringify(known)}: Mackerel's tag ${JSON.stringify(ROLE_TAG_KEY)} `
        + 'overrides the integration\'s role. Use another key for a tag that only filters, or give the role in the tag');
    }
    return undefined;
  }

  /**
   * One metric-list kind across the integration, whichever service is added first. A service
   * without a list gets every metric, new ones included: to Mackerel that is the excludedMetrics
   * kind, so it cannot sit next to includedMetrics.
   */
  private checkMetricKind(service: AwsIntegrationService, options: AwsIntegrationServiceOptions): void {
    const property = `services.${service.id}`;
    const kind = metricKind(options);
    const mixed = this.services.filter((s) => metricKind(s.options) !== kind);
    // A service with the other list makes the clearer message; one without a list comes next.
    const other = mixed.find((s) => givenMetricList(s.options) !== undefined) ?? mixed[0];
    if (!other) return;
    const given = givenMetricList(options);
    const otherGiven = givenMetricList(other.options);
    const expected = 'includedMetrics on every service once one service gives it';
    if (given && otherGiven) {
      _fail(this, `${property}.${given}`, options[given], `is mixed with ${otherGiven} of ${other.service.id}`,
        'one kind of metric list (excludedMetrics or includedMetrics) across all services of an integration');
    }
    if (given) {
      _fail(this, `${property}.includedMetrics`, options.includedMetrics, `is mixed with ${other.service.id}, which has no metric list `
        + 'and so gets every metric, new ones included (the excludedMetrics kind)', expected, `Give ${other.service.id} includedMetrics too`);
    }
    _fail(this, `${property}.includedMetrics`, undefined, `is missing while ${other.service.id} gives includedMetrics; without a metric list `
      + `${service.id} would get every metric, new ones included (the excludedMetrics kind)`, expected, `Give ${service.id} includedMetrics too`);
  }

  private checkProps(props: MackerelAwsIntegrationProps): void {
    if (!Token.isUnresolved(props.name) && props.name.trim().length === 0) {
      _fail(this, 'name', props.name, 'is empty', 'a name unique within the Mackerel organization');
    }
    if (props.region !== undefined && !Token.isUnresolved(props.region) && !/^[a-z]{2,4}(-[a-z]+)+-\d+$/.test(props.region)) {
      _fail(this, 'region', props.region, 'is not an AWS region name', 'a region such as "ap-northeast-1"',
        'Leave region out to use the stack\'s region');
    }
  }

  /**
   * IAM refuses a trust policy naming an account of another partition, so a role in China or
   * GovCloud fails at deploy time; and Mackerel, assuming a role from the aws partition, cannot
   * read another partition's resources either.
   */
  private checkPartition(props: MackerelAwsIntegrationProps): void {
    const stack = Stack.of(this);
    const why = (partition: string) => `, but Mackerel's account 217452466226 is in the ${_MACKEREL_PARTITION} partition: IAM refuses a trust policy `
      + `naming an account of another partition, and Mackerel cannot read ${partition} resources`;
    const expected = `a region of the ${_MACKEREL_PARTITION} partition, such as "ap-northeast-1"`;
    const stackPartition = _partitionOf(stack.region);
    if (stackPartition !== undefined && stackPartition !== _MACKEREL_PARTITION) {
      _fail(this, 'scope', stack.node.path, `is a stack in ${stack.region}, a region of the ${stackPartition} partition${why(stackPartition)}`, expected,
        'Put the integration in a stack of the aws partition');
    }
    const partition = _partitionOf(props.region);
    if (partition !== undefined && partition !== _MACKEREL_PARTITION) {
      _fail(this, 'region', props.region, `is a region of the ${partition} partition${why(partition)}`, expected);
    }
  }

  private checkSameEnvironment(property: string, resource: IResource): void {
    // The role Mackerel assumes is created in this stack, so Mackerel sees this stack's account only.
    const account = Stack.of(this).account;
    const theirAccount = resource.env.account;
    if (!Token.isUnresolved(theirAccount) && !Token.isUnresolved(account) && theirAccount !== account) {
      _fail(this, property, resource.node.path, `is in account ${theirAccount}, not in the account of the integration's role`, account,
        `Mackerel reads only the account of the role it assumes; create an integration in a stack of account ${theirAccount} for it`);
    }
    // The resource's own region: one imported by ARN is where its ARN says, whatever its stack's region.
    const theirs = resource.env.region;
    if (!Token.isUnresolved(theirs) && !Token.isUnresolved(this.region) && theirs !== this.region) {
      _fail(this, property, resource.node.path, `is in region ${theirs}, not in the integration's region`, this.region,
        'Mackerel integrates one region per integration');
    }
  }

  private registerValidations(props: MackerelAwsIntegrationProps, role: iam.Role): void {
    this.node.addValidation({
      validate: () => (this.services.length > 0 ? [] : [
        _describeProblem('services', [], 'is empty', 'at least one addService() call', 'An integration without services collects nothing'),
      ]),
    });
    // `role` and `policy` are public, so grants and statements can reach them after construction: check at synth,
    // reading final values, where the Lazies of other constructs (an iam.Policy's roles) may be resolved.
    // allowAdditionalPolicies vouches for other policies only; this library's own policy stays read-only.
    this.node.addValidation({ validate: () => _readingFinalValues(() => _generatedPolicyProblems(role, this.policy)) });
    // Its trust policy is reachable too (through the Role construct, or the resource): only Mackerel, with the external ID.
    this.node.addValidation({ validate: () => _readingFinalValues(() => _trustPolicyProblems(role, MACKEREL_PRINCIPAL, this.externalId)) });
    // One reading of the role's policies serves every check of them: finding and rendering the app's policies is
    // their costly part, and one set of Denies narrows the sensitive reads of the generated policy and of the others alike.
    // At validation: every Aspect has run (one may add a service), and rendering, which freezes a document, is safe.
    this.node.addValidation({
      validate: () => _readingFinalValues(() => {
        const policies = _rolePolicies(role, this.policy);
        // The actions of the added services, and statements added to `policy` beyond them; with allowAdditionalPolicies,
        // the policies it lets through. One warning per read: a Set, though each names where the read was granted.
        const warnings = new Set([...this.services.flatMap((s) => _sensitiveReadWarnings(s.service, role, policies.denied)),
          ..._addedSensitiveReadWarnings(role, this.policy, this.actions(), policies),
          ...(props.allowAdditionalPolicies ? _attachedSensitiveReadWarnings(role, policies) : [])]);
        for (const warning of warnings) _warnLate(this, 'cdk-mackerel:awsIntegrationSensitiveRead', warning);
        return props.allowAdditionalPolicies ? [] : _extraPermissionProblems(role, this.policy, policies);
      }),
    });
    if (!Token.isUnresolved(props.name)) {
      _checkUniqueInApp(this, 'name', props.name, props.name, MackerelAwsIntegration.BY_NAME, 'AWS integration');
    }
  }

  /** CloudWatch read, then each enabled service's read actions, without repeats. */
  private actions(): string[] {
    return [...new Set([..._CLOUDWATCH_READ_ACTIONS, ...this.services.flatMap((s) => s.service.actions)])];
  }

  /**
   * The whole services map: Mackerel replaces it on every update. `retireAutomatically` is a key
   * of the services that support it only (`true` elsewhere fails in `enable`), so a `false` given
   * for another service is left out: it is what an absent key means.
   */
  private renderServices(): { [serviceId: string]: _AwsIntegrationServiceProperties } {
    const map: { [serviceId: string]: _AwsIntegrationServiceProperties } = {};
    for (const { service, options } of this.services) {
      const retire = service.supportsRetireAutomatically ? options.retireAutomatically : undefined;
      map[service.id] = {
        enable: true,
        ...(options.role !== undefined ? { role: options.role } : {}),
        ...(options.excludedMetrics ? { excludedMetrics: [...options.excludedMetrics] } : {}),
        ...(options.includedMetrics ? { includedMetrics: [...options.includedMetrics] } : {}),
        ...(retire !== undefined ? { retireAutomatically: retire } : {}),
      };
    }
    return map;
  }
}

/** The options with their own metric lists, so that the caller's arrays can change no more. */
function copyOptions(options: AwsIntegrationServiceOptions): AwsIntegrationServiceOptions {
  return {
    ...options,
    ...(options.excludedMetrics ? { excludedMetrics: [...options.excludedMetrics] } : {}),
    ...(options.includedMetrics ? { includedMetrics: [...options.includedMetrics] } : {}),
  };
}

/** The same AWS tag (a token compares by its string form, so it matches only itself). */
function sameTag(a: AwsIntegrationTag, b: AwsIntegrationTag): boolean {
  return a.key === b.key && a.value === b.value;
}

/**
 * Why a resource cannot share the entry of its service that `same` enabled, or undefined: Mackerel
 * keeps one entry per service, so every resource of the kind shares its role and metrics.
 */
function sharedEntryProblem(property: string, resource: IResource, service: AwsIntegrationService, same: EnabledService,
  options: AwsIntegrationServiceOptions): Parameters<typeof _describeProblem> | undefined {
  if (same.by !== 'addService' && sameServiceOptions(same.options, options)) return undefined;
  return [property, resource.node.path, `enables ${service.id}, which ${same.by} `
    + `already enabled${same.by === 'addService' ? '' : ` with other options (${JSON.stringify(shownOptions(same.options))})`}`,
  `${service.id} once per integration, or each ${property} of the kind with the same options (role, metrics, retireAutomatically)`,
  `Mackerel keeps one role and one metric list per service: every ${service.id} resource of the integration shares them`];
}

/** Options as the user reads them: a MackerelRole's fullName as its name, not as a token. */
function shownOptions(options: AwsIntegrationServiceOptions): AwsIntegrationServiceOptions {
  return options.role === undefined ? options : { ...options, role: _knownRoleFullNameOf(options.role) ?? options.role };
}

/**
 * Whether two resources of one kind may share the service's single entry. A role is compared by
 * its name where known: a MackerelRole's fullName (a token) and the name it was created with are one role.
 */
function sameServiceOptions(a: AwsIntegrationServiceOptions, b: AwsIntegrationServiceOptions): boolean {
  const key = (o: AwsIntegrationServiceOptions) => JSON.stringify([o.role === undefined ? undefined : _knownRoleFullNameOf(o.role) ?? o.role,
    o.excludedMetrics, o.includedMetrics, o.retireAutomatically]);
  return key(a) === key(b);
}

/**
 * The role's description, naming the integration where IAM allows it: IAM takes only Latin-1
 * characters in a description (CreateRole refuses a Japanese name, say), and Mackerel names may
 * hold any. A token is left out, as it may resolve to anything.
 */
function roleDescription(name: string): string {
  const base = 'Assumed by Mackerel for the AWS integration';
  if (Token.isUnresolved(name) || !/^[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*$/.test(name) || name.length > 900) {
    return `${base} created by cdk-mackerel`;
  }
  return `${base} ${name}`;
}

function loadBalancerService(loadBalancer: elbv2.ILoadBalancerV2): AwsIntegrationService | undefined {
  if (loadBalancer instanceof elbv2.ApplicationLoadBalancer) return AwsIntegrationService.ALB;
  if (loadBalancer instanceof elbv2.NetworkLoadBalancer) return AwsIntegrationService.NLB;
  return undefined;
}

/** The list a service gives, if any. */
function givenMetricList(options: AwsIntegrationServiceOptions): 'excludedMetrics' | 'includedMetrics' | undefined {
  if (options.includedMetrics) return 'includedMetrics';
  if (options.excludedMetrics) return 'excludedMetrics';
  return undefined;
}

/** The kind Mackerel sees: no list means every metric, new ones included, as excludedMetrics does. */
function metricKind(options: AwsIntegrationServiceOptions): 'excludedMetrics' | 'includedMetrics' {
  return givenMetricList(options) ?? 'excludedMetrics';
}
