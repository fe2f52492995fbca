import { Lazy, Token } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { _fail } from '../_validation';
import { _GRID_WIDTH } from './_grid';
import { DashboardWidget } from './widget';
import { _DashboardProperties, _RESOURCE_TYPES } from '../provider/_properties';
import { _createMackerelResource } from '../provider/_resource';
import { MackerelResourceOptions } from '../provider/resource-options';
import { _checkUniqueInApp, _keyedConstructAdded, _KeyedKind } from '../service/_unique';

/** Mackerel's URL path rule for dashboards (the API answers 400 otherwise). */
const URL_PATH = /^([A-Za-z0-9_][-A-Za-z0-9_]*)(\/[A-Za-z0-9_][-A-Za-z0-9_]*)*$/;

/**
 * Properties of a `Dashboard`.
 */
export interface DashboardProps extends MackerelResourceOptions {
  /**
   * The dashboard's title. Must not be empty.
   */
  readonly title: string;

  /**
   * The dashboard's URL path, unique in the organization: letters, digits, `-` and `_` in
   * `/`-separated parts, no part starting with `-` (such as `shop/web`).
   *
   * Mackerel refuses (409) a URL path another dashboard holds at the moment of the write, also
   * one that another dashboard of the same deployment gives up in that deployment. A dashboard that
   * takes the URL path another one moves away from must be written after it: under CloudFormation,
   * which orders independent updates as it likes, make it depend on that one
   * (`taker.node.addDependency(other)`, or `stack.addDependency` across stacks); `cdk-mackerel
   * apply` orders such dashboards of one stack itself. The URL path of a dashboard removed in a
   * deployment is free only after it (deletes come after every create and update): take it in the
   * next deployment. Two dashboards that swap their URL paths (or more round a ring) cannot be
   * ordered, as each update finds its new path still held by another. Synth cannot see any of it
   * (it knows only the new URL paths): swap them through a free URL path, one deployment per move
   * (the first dashboard to the free path, the second to its new path, then the first to its own).
   * `cdk-mackerel apply` refuses each of these runs before sending anything, naming the dashboards
   * (also a dashboard of a stack that does not depend on the one whose dashboard gives its URL path
   * up, whatever order the cloud assembly lists them in), and `cdk-mackerel diff` says so.
   */
  readonly urlPath: string;

  /**
   * A note shown on the dashboard.
   *
   * @default - no memo
   */
  readonly memo?: string;

  /**
   * Rows of widgets, laid out as `addWidgets` lays out each row.
   *
   * @default - no widgets; add them with `addWidgets`
   */
  readonly widgets?: DashboardWidget[][];
}

/**
 * A Mackerel custom dashboard (`Custom::MackerelDashboard`), updated in place.
 *
 * Widgets are placed in rows, as CloudWatch dashboards in aws-cdk-lib place them: each
 * `addWidgets` call starts a row below the previous ones and puts its widgets left to right,
 * wrapping to a new line where the 24-unit width is full. Sizes are checked against Mackerel's
 * limits per widget type at synth.
 *
 * @example
 * const dashboard = new Dashboard(this, 'Shop', { title: 'shop', urlPath: 'shop' });
 * dashboard.addWidgets(
 *   DashboardWidget.roleGraph({ title: 'web CPU', role: web, graph: 'container.cpu' }),
 *   DashboardWidget.alertStatus({ title: 'web alerts', role: web }),
 * );
 *
 * @see https://mackerel.io/api-docs/entry/dashboards
 */
export class Dashboard extends Construct {
  /** The dashboards of the app by their URL path. */
  private static readonly BY_URL_PATH: _KeyedKind = { keysOf: (other) => (other instanceof Dashboard ? [other.urlPath] : []) };

  /** The dashboard's Mackerel ID, a reference to the resource (its `Ref`). */
  public readonly dashboardId: string;

  private readonly rows: DashboardWidget[][] = [];
  private readonly urlPath: string;

  constructor(scope: Construct, id: string, props: DashboardProps) {
    super(scope, id);
    if (!Token.isUnresolved(props.title) && props.title.trim() === '') _fail(this, 'title', props.title, 'is empty', 'a non-empty dashboard title');
    if (!Token.isUnresolved(props.urlPath)) {
      if (!URL_PATH.test(props.urlPath)) {
        _fail(this, 'urlPath', props.urlPath, 'is not a dashboard URL path',
          'letters, digits, - and _ in /-separated parts, none empty or starting with -, such as "shop/web"');
      }
      _checkUniqueInApp(this, 'urlPath', props.urlPath, props.urlPath, Dashboard.BY_URL_PATH, 'dashboard URL path');
    }
    this.urlPath = props.urlPath;
    _keyedConstructAdded();
    for (const row of props.widgets ?? []) this.addWidgets(...row);
    const properties: _DashboardProperties = {
      title: props.title,
      memo: props.memo ?? '',
      urlPath: props.urlPath,
      widgets: Lazy.any({ produce: () => this.renderWidgets() }, { omitEmptyArray: false }) as unknown as _DashboardProperties['widgets'],
    };
    this.dashboardId = _createMackerelResource(this, _RESOURCE_TYPES.DASHBOARD, { ...properties }, props.removalPolicy).ref;
  }

  /**
   * Adds a row of widgets below the ones added before, left to right, wrapping where the
   * 24-unit width is full.
   *
   * @param widgets the row's widgets
   */
  public addWidgets(...widgets: DashboardWidget[]): void {
    // An empty row is kept (it takes no space) so that errors number rows as the `widgets` prop does.
    // Rendered now for its errors, which a render at synth would bury in a resolution error.
    widgets.forEach((widget, i) => widget._render(this, `widgets[${this.rows.length}][${i}]`, 0, 0));
    this.rows.push(widgets);
  }

  /** Every widget with its position: rows one below the other, each wrapped at the grid width. */
  private renderWidgets(): Array<{ [key: string]: unknown }> {
    const rendered: Array<{ [key: string]: unknown }> = [];
    let top = 0;
    this.rows.forEach((row, r) => {
      let x = 0;
      let y = top;
      let lineHeight = 0;
      row.forEach((widget, i) => {
        if (x + widget.width > _GRID_WIDTH) {
          y += lineHeight;
          x = 0;
          lineHeight = 0;
        }
        rendered.push(widget._render(this, `widgets[${r}][${i}]`, x, y));
        x += widget.width;
        lineHeight = Math.max(lineHeight, widget.height);
      });
      top = y + lineHeight;
    });
    return rendered;
  }
}
