import { Construct } from 'constructs';
import { _checkOneOf, _renderScopes } from './_checks';
import { _serviceOfKnownScopes, _warnOnEmptyScopes, _warnOnRepeatedScopes } from './_scope';
import { AlertStatusOnGone } from './enums';
import { MonitorBase, MonitorBaseProps } from './monitor-base';
import { MonitorScope } from './scope';
import { _warnScopedKeptWithDeletedService } from '../service/_kept-with-service';

/**
 * Properties of a `ConnectivityMonitor`.
 */
export interface ConnectivityMonitorProps extends MonitorBaseProps {
  /**
   * The monitor name, shown in alerts.
   *
   * @default 'connectivity'
   */
  readonly name?: string;

  /**
   * The services and roles whose hosts are monitored.
   *
   * Each once: a scope given twice, or also in `excludeScopes`, gets the synth warning
   * `cdk-mackerel:monitorScopeRedundant` (Mackerel documents nothing of what a monitor does with
   * such scopes, and refuses them in a downtime).
   *
   * An empty list is read as no scope, every host of the organization: it gets the synth warning
   * `cdk-mackerel:monitorScopesEmpty` (leave `scopes` out for that).
   *
   * @default - every host of the organization
   */
  readonly scopes?: MonitorScope[];

  /**
   * Services and roles whose hosts are left out.
   *
   * A role of a service in `scopes` leaves that role's hosts out of the service's. Each once,
   * none also in `scopes`, and no service with one of its roles in `scopes` (the monitor would
   * watch none of that role's hosts), or the synth warning `cdk-mackerel:monitorScopeRedundant`
   * says so.
   *
   * @default - none
   */
  readonly excludeScopes?: MonitorScope[];

  /**
   * The alert status raised when a host stops posting metrics.
   *
   * Always sent, so removing it from the code sets it back to CRITICAL in Mackerel (the API
   * would otherwise keep the old value). A change affects open alerts only when they are
   * notified again.
   *
   * @default AlertStatusOnGone.CRITICAL
   */
  readonly alertStatusOnGone?: AlertStatusOnGone;
}

/**
 * A connectivity monitor (`Custom::MackerelMonitor` of type `connectivity`): alerts when a
 * host in its scopes stops posting metrics.
 *
 * On ECS every task is a host; pair this monitor with `MackerelContainerAgent` roles.
 *
 * @see https://mackerel.io/api-docs/entry/monitors#create-host-connectivity-monitoring
 *
 * @example
 * new ConnectivityMonitor(this, 'Alive', {
 *   scopes: [MonitorScope.fromRole(web)], alertStatusOnGone: AlertStatusOnGone.WARNING,
 * });
 */
export class ConnectivityMonitor extends MonitorBase {
  /** The Mackerel monitor ID: a reference to the resource (its `Ref`). */
  public readonly monitorId: string;

  constructor(scope: Construct, id: string, props: ConnectivityMonitorProps = {}) {
    super(scope, id, props);
    this._checkName(props.name);
    _checkOneOf(this, 'alertStatusOnGone', props.alertStatusOnGone, Object.values(AlertStatusOnGone));
    this.monitorId = this._createMonitor({
      type: 'connectivity',
      name: props.name ?? 'connectivity',
      scopes: _renderScopes(this, 'scopes', props.scopes),
      excludeScopes: _renderScopes(this, 'excludeScopes', props.excludeScopes),
      alertStatusOnGone: props.alertStatusOnGone ?? AlertStatusOnGone.CRITICAL,
    }, _serviceOfKnownScopes(props.scopes), true);
    _warnOnEmptyScopes(this, props.scopes);
    _warnOnRepeatedScopes(this, props.scopes, props.excludeScopes);
    _warnScopedKeptWithDeletedService(this, props.scopes, 'connectivity monitor');
  }
}
