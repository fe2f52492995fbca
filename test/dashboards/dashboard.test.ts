import { Aspects, CfnParameter, Duration, Fn, Lazy, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, test } from 'vitest';
import { Dashboard, DashboardFormatOperator, DashboardFormatRule, DashboardGraphRange, DashboardWidget, IMackerelRole, IMackerelService, MackerelRole, MackerelService } from '../../src';
import { logicalIdOf, mackerelStack } from '../monitors/_fixture';

const TYPE = 'Custom::MackerelDashboard';

function propertiesOf(dashboard: Dashboard): { [key: string]: any } {
  return Template.fromStack(Stack.of(dashboard)).toJSON().Resources[logicalIdOf(dashboard)].Properties;
}

const md = (title: string, width?: number, height?: number) => DashboardWidget.markdown({ title, markdown: `# ${title}`, width, height });

describe('Dashboard', () => {
  test('renders every widget kind with the API\'s fields, roles and services by reference', () => {
    const { stack, shop, web } = mackerelStack();
    const dashboard = new Dashboard(stack, 'Board', { title: 'shop', urlPath: 'shop/web', memo: 'the shop at a glance' });
    dashboard.addWidgets(
      DashboardWidget.roleGraph({ title: 'cpu', role: web, graph: 'container.cpu', stacked: true, referenceLine: { label: 'critical', value: 90 } }),
      DashboardWidget.serviceGraph({ title: 'orders', service: shop, graph: 'shop.orders', timeRange: DashboardGraphRange.relative(Duration.hours(6)) }),
      DashboardWidget.expressionGraph({ title: 'load', expression: 'avg(roleSlots(shop:web,loadavg5))' }),
    );
    dashboard.addWidgets(
      DashboardWidget.serviceMetricValue({
        title: 'orders now',
        service: shop,
        metric: 'shop.orders.count',
        fractionSize: 0,
        suffix: 'orders',
        formatRule: { name: 'slow day', threshold: 10, operator: DashboardFormatOperator.LESS_THAN },
      }),
      DashboardWidget.expressionValue({ title: 'max load', expression: 'max(roleSlots(shop:web,loadavg5))' }),
      DashboardWidget.hostMetricValue({ title: 'db load', hostId: '2u4PP3TJqbu', metric: 'loadavg5' }),
      DashboardWidget.hostGraph({ title: 'db', hostId: '2u4PP3TJqbu', graph: 'loadavg', timeRange: DashboardGraphRange.absolute(new Date(1e12), new Date(1e12 + 3_600_000)) }),
    );
    dashboard.addWidgets(md('notes'), DashboardWidget.alertStatus({ title: 'web alerts', role: web }));
    const roleRef = { Ref: logicalIdOf(web) };
    const serviceRef = { Ref: logicalIdOf(shop) };

    expect(propertiesOf(dashboard)).toEqual({
      ServiceToken: expect.anything(),
      title: 'shop',
      memo: 'the shop at a glance',
      urlPath: 'shop/web',
      widgets: [
        {
          type: 'graph',
          title: 'cpu',
          graph: { type: 'role', roleFullname: roleRef, name: 'container.cpu', isStacked: true },
          referenceLines: [{ label: 'critical', value: 90 }],
          layout: { x: 0, y: 0, width: 8, height: 6 },
        },
        {
          type: 'graph',
          title: 'orders',
          graph: { type: 'service', serviceName: serviceRef, name: 'shop.orders' },
          range: { type: 'relative', period: 21600, offset: 0 },
          referenceLines: [],
          layout: { x: 8, y: 0, width: 8, height: 6 },
        },
        {
          type: 'graph',
          title: 'load',
          graph: { type: 'expression', expression: 'avg(roleSlots(shop:web,loadavg5))' },
          referenceLines: [],
          layout: { x: 16, y: 0, width: 8, height: 6 },
        },
        {
          type: 'value',
          title: 'orders now',
          metric: { type: 'service', serviceName: serviceRef, name: 'shop.orders.count' },
          fractionSize: 0,
          suffix: 'orders',
          formatRules: [{ name: 'slow day', threshold: 10, operator: '<' }],
          layout: { x: 0, y: 6, width: 4, height: 4 },
        },
        {
          type: 'value',
          title: 'max load',
          metric: { type: 'expression', expression: 'max(roleSlots(shop:web,loadavg5))' },
          formatRules: [],
          layout: { x: 4, y: 6, width: 4, height: 4 },
        },
        { type: 'value', title: 'db load', metric: { type: 'host', hostId: '2u4PP3TJqbu', name: 'loadavg5' }, formatRules: [], layout: { x: 8, y: 6, width: 4, height: 4 } },
        {
          type: 'graph',
          title: 'db',
          graph: { type: 'host', hostId: '2u4PP3TJqbu', name: 'loadavg' },
          range: { type: 'absolute', start: 1e9, end: 1e9 + 3600 },
          referenceLines: [],
          layout: { x: 12, y: 6, width: 8, height: 6 },
        },
        { type: 'markdown', title: 'notes', markdown: '# notes', layout: { x: 0, y: 12, width: 8, height: 4 } },
        { type: 'alertStatus', title: 'web alerts', roleFullname: roleRef, layout: { x: 8, y: 12, width: 6, height: 4 } },
      ],
    });
  });

  describe('query widgets', () => {
    test('a query graph sends the query and legend as a graph of type query, with the range and reference line every graph has', () => {
      const { stack } = mackerelStack();
      const dashboard = new Dashboard(stack, 'Board', { title: 'shop', urlPath: 'shop' });
      dashboard.addWidgets(DashboardWidget.queryGraph({
        title: 'p99',
        query: 'histogram_quantile(0.99, sum by (le, service.name) (rate(http.server.request.duration[5m])))',
        legend: '{{service.name}}',
        timeRange: DashboardGraphRange.relative(Duration.hours(3)),
        referenceLine: { label: 'slo', value: 0.5 },
        width: 12,
      }));
      Template.fromStack(stack).hasResourceProperties(TYPE, {
        widgets: [{
          type: 'graph',
          title: 'p99',
          graph: {
            type: 'query',
            query: 'histogram_quantile(0.99, sum by (le, service.name) (rate(http.server.request.duration[5m])))',
            legend: '{{service.name}}',
          },
          range: { type: 'relative', period: 10800, offset: 0 },
          referenceLines: [{ label: 'slo', value: 0.5 }],
          layout: { x: 0, y: 0, width: 12, height: 6 },
        }],
      });
    });

    test('a query value sends the query and legend as a metric of type query, with fractionSize and suffix, in a value\'s default size', () => {
      const { stack } = mackerelStack();
      const dashboard = new Dashboard(stack, 'Board', { title: 'shop', urlPath: 'shop' });
      dashboard.addWidgets(DashboardWidget.queryValue({ title: 'rps', query: 'sum(rate(http.server.request.count[1m]))', legend: 'all', fractionSize: 1, suffix: 'req/s' }));
      expect(propertiesOf(dashboard).widgets).toEqual([{
        type: 'value',
        title: 'rps',
        metric: { type: 'query', query: 'sum(rate(http.server.request.count[1m]))', legend: 'all' },
        fractionSize: 1,
        suffix: 'req/s',
        formatRules: [],
        layout: { x: 0, y: 0, width: 4, height: 4 },
      }]);
    });

    test('a legend not set is sent empty, as the official clients send it, so that removing one clears it; the graph gets a graph\'s default size', () => {
      const { stack } = mackerelStack();
      const dashboard = new Dashboard(stack, 'Board', { title: 'shop', urlPath: 'shop' });
      dashboard.addWidgets(DashboardWidget.queryGraph({ title: 'g', query: 'up' }), DashboardWidget.queryValue({ title: 'v', query: 'count(up)' }));
      const [graph, value] = propertiesOf(dashboard).widgets;
      expect(graph).toEqual({ type: 'graph', title: 'g', graph: { type: 'query', query: 'up', legend: '' }, referenceLines: [], layout: { x: 0, y: 0, width: 8, height: 6 } });
      expect(value).toEqual({ type: 'value', title: 'v', metric: { type: 'query', query: 'count(up)', legend: '' }, formatRules: [], layout: { x: 8, y: 0, width: 4, height: 4 } });
    });

    test('a query and legend given by tokens are not checked and are sent as the references they resolve to', () => {
      const { stack } = mackerelStack();
      const query = new CfnParameter(stack, 'Query', { type: 'String' }).valueAsString;
      const legend = new CfnParameter(stack, 'Legend', { type: 'String' }).valueAsString;
      const dashboard = new Dashboard(stack, 'Board', { title: 'shop', urlPath: 'shop' });
      dashboard.addWidgets(DashboardWidget.queryGraph({ title: 'g', query, legend }), DashboardWidget.queryValue({ title: 'v', query: `sum(${query}` }));
      const [graph, value] = propertiesOf(dashboard).widgets;
      expect(graph.graph).toEqual({ type: 'query', query: { Ref: 'Query' }, legend: { Ref: 'Legend' } });
      expect(value.metric).toEqual({ type: 'query', query: { 'Fn::Join': ['', ['sum(', { Ref: 'Query' }]] }, legend: '' });
    });

    test.each([
      ['an empty graph query', () => DashboardWidget.queryGraph({ title: 'g', query: '' }), 'widgets[0][0].query "" is empty; expected a query'],
      ['a blank value query', () => DashboardWidget.queryValue({ title: 'v', query: '  ' }), 'widgets[0][0].query "  " is empty; expected a query'],
      ['a graph query with a parenthesis left open', () => DashboardWidget.queryGraph({ title: 'g', query: 'sum(rate(x[5m])' }),
        'widgets[0][0].query "sum(rate(x[5m])" has a parenthesis without its pair or a quote left open; expected a query Mackerel can parse'],
      ['a value query with a quote left open', () => DashboardWidget.queryValue({ title: 'v', query: 'sum(x{service.name="shop})' }),
        'widgets[0][0].query "sum(x{service.name=\\"shop})" has a parenthesis without its pair or a quote left open; expected a query Mackerel can parse'],
    ])('refuses at synth %s, naming the path, the property, the value and what is allowed', (_name, widget, message) => {
      const { stack } = mackerelStack();
      const dashboard = new Dashboard(stack, 'Board', { title: 'shop', urlPath: 'shop' });
      expect(() => dashboard.addWidgets(widget())).toThrow(`Stack/Board: ${message}`);
    });

    test.each([
      ['a query graph', 'graph', (width: number, height: number) => DashboardWidget.queryGraph({ title: 'g', query: 'up', width, height }), 6, 6, 24, 32],
      ['a query value', 'value', (width: number, height: number) => DashboardWidget.queryValue({ title: 'v', query: 'up', width, height }), 4, 4, 24, 32],
    ] as const)('%s is sized as a %s widget', (_name, kind, widgetOf, minWidth, minHeight, maxWidth, maxHeight) => {
      const { stack } = mackerelStack();
      const dashboard = new Dashboard(stack, 'Board', { title: 'shop', urlPath: 'shop' });
      expect(() => dashboard.addWidgets(widgetOf(minWidth, minHeight), widgetOf(maxWidth, maxHeight))).not.toThrow();
      expect(() => dashboard.addWidgets(widgetOf(minWidth - 1, minHeight)))
        .toThrow(`Stack/Board: widgets[1][0].width ${minWidth - 1} is not a size Mackerel allows for a ${kind} widget; expected a whole number from ${minWidth} to ${maxWidth}`);
      expect(() => dashboard.addWidgets(widgetOf(minWidth, maxHeight + 1)))
        .toThrow(`Stack/Board: widgets[1][0].height ${maxHeight + 1} is not a size Mackerel allows for a ${kind} widget; expected a whole number from ${minHeight} to ${maxHeight}`);
    });

    test('a query value\'s fractionSize is checked as every value widget\'s', () => {
      const { stack } = mackerelStack();
      const dashboard = new Dashboard(stack, 'Board', { title: 'shop', urlPath: 'shop' });
      expect(() => dashboard.addWidgets(DashboardWidget.queryValue({ title: 'v', query: 'up', fractionSize: 17 })))
        .toThrow('Stack/Board: widgets[0][0].fractionSize 17 is out of range; expected a whole number from 0 to 16');
    });
  });

  describe('format rules', () => {
    test('every value widget kind sends its rule in the API\'s one-element list, a rule without a name without one', () => {
      const { stack, shop } = mackerelStack();
      const dashboard = new Dashboard(stack, 'Board', { title: 'shop', urlPath: 'shop' });
      const above = { threshold: 0.95, operator: DashboardFormatOperator.GREATER_THAN };
      dashboard.addWidgets(
        DashboardWidget.serviceMetricValue({ title: 's', service: shop, metric: 'm', formatRule: { ...above, name: 'a'.repeat(32) } }),
        DashboardWidget.expressionValue({ title: 'e', expression: 'x', formatRule: { threshold: -2, operator: DashboardFormatOperator.LESS_THAN, name: '' } }),
        DashboardWidget.hostMetricValue({ title: 'h', hostId: 'h1', metric: 'loadavg5', formatRule: above }),
        DashboardWidget.queryValue({ title: 'q', query: 'up', formatRule: above }),
      );
      expect(propertiesOf(dashboard).widgets.map((w: any) => w.formatRules)).toEqual([
        [{ name: 'a'.repeat(32), threshold: 0.95, operator: '>' }],
        [{ name: '', threshold: -2, operator: '<' }],
        [{ threshold: 0.95, operator: '>' }],
        [{ threshold: 0.95, operator: '>' }],
      ]);
    });

    test('a threshold and a name given by tokens are not checked and are sent as the references they resolve to', () => {
      const { stack } = mackerelStack();
      const threshold = new CfnParameter(stack, 'Threshold', { type: 'Number' }).valueAsNumber;
      const name = new CfnParameter(stack, 'Name', { type: 'String' }).valueAsString;
      const dashboard = new Dashboard(stack, 'Board', { title: 'shop', urlPath: 'shop' });
      dashboard.addWidgets(DashboardWidget.expressionValue({ title: 'v', expression: 'x', formatRule: { name, threshold, operator: DashboardFormatOperator.GREATER_THAN } }));
      expect(propertiesOf(dashboard).widgets[0].formatRules).toEqual([{ name: { Ref: 'Name' }, threshold: { Ref: 'Threshold' }, operator: '>' }]);
    });

    test.each([
      ['a name of 33 characters', { name: '🐟'.repeat(33), threshold: 1, operator: DashboardFormatOperator.GREATER_THAN },
        `widgets[0][0].formatRule.name "${'🐟'.repeat(33)}" is too long; expected at most 32 characters`],
      ['a threshold that is not a number', { threshold: NaN, operator: DashboardFormatOperator.GREATER_THAN },
        'widgets[0][0].formatRule.threshold "NaN" is not a number; expected a finite number'],
      ['an infinite threshold', { threshold: Infinity, operator: DashboardFormatOperator.LESS_THAN },
        'widgets[0][0].formatRule.threshold "Infinity" is not a number; expected a finite number'],
      ['an operator Mackerel does not have', { threshold: 1, operator: '>=' as DashboardFormatOperator },
        'widgets[0][0].formatRule.operator ">=" is not allowed; expected one of ">", "<"'],
      // From JavaScript, where nothing makes the operator required: Mackerel would refuse the rule at deploy.
      ['a rule without its operator', { threshold: 1 } as DashboardFormatRule,
        'widgets[0][0].formatRule.operator undefined is not allowed; expected one of ">", "<"'],
    ])('refuses at synth %s, naming the path, the property, the value and what is allowed', (_name, formatRule, message) => {
      const { stack } = mackerelStack();
      const dashboard = new Dashboard(stack, 'Board', { title: 'shop', urlPath: 'shop' });
      expect(() => dashboard.addWidgets(DashboardWidget.expressionValue({ title: 'v', expression: 'x', formatRule }))).toThrow(`Stack/Board: ${message}`);
    });
  });

  describe('expression widgets', () => {
    test.each([
      ['an empty graph expression', () => DashboardWidget.expressionGraph({ title: 'g', expression: '' }), 'widgets[0][0].expression "" is empty; expected a graph expression'],
      ['a blank value expression', () => DashboardWidget.expressionValue({ title: 'v', expression: '  ' }), 'widgets[0][0].expression "  " is empty; expected a graph expression'],
      ['a graph expression with a parenthesis left open', () => DashboardWidget.expressionGraph({ title: 'g', expression: 'avg(roleSlots(shop:web,loadavg5)' }),
        'widgets[0][0].expression "avg(roleSlots(shop:web,loadavg5)" has a parenthesis without its pair or a quote left open; expected a graph expression Mackerel can parse'],
      ['a value expression with a parenthesis too many', () => DashboardWidget.expressionValue({ title: 'v', expression: 'max(roleSlots(shop:web,loadavg5)))' }),
        'widgets[0][0].expression "max(roleSlots(shop:web,loadavg5)))" has a parenthesis without its pair or a quote left open; expected a graph expression Mackerel can parse'],
      ['a value expression with a quote left open', () => DashboardWidget.expressionValue({ title: 'v', expression: "max(role(shop:web, 'loadavg5))" }),
        'widgets[0][0].expression "max(role(shop:web, \'loadavg5))" has a parenthesis without its pair or a quote left open; expected a graph expression Mackerel can parse'],
    ])('refuses at synth %s, as an expression monitor does, naming the path, the property, the value and what is allowed', (_name, widget, message) => {
      const { stack } = mackerelStack();
      const dashboard = new Dashboard(stack, 'Board', { title: 'shop', urlPath: 'shop' });
      expect(() => dashboard.addWidgets(widget())).toThrow(`Stack/Board: ${message}`);
    });

    test('an expression or query given as a token known at synth that does not parse is refused once, though the widget is rendered twice', () => {
      const { app, stack } = mackerelStack();
      const dashboard = new Dashboard(stack, 'Board', { title: 'shop', urlPath: 'shop' });
      dashboard.addWidgets(DashboardWidget.expressionGraph({ title: 'g', expression: Lazy.string({ produce: () => 'avg(roleSlots(shop:web,loadavg5)' }) }));
      dashboard.addWidgets(DashboardWidget.queryValue({ title: 'v', query: Fn.join('', ['sum(', 'http.server.request.count']) }));
      let message = '';
      try {
        app.synth();
      } catch (e) {
        message = String(e);
      }
      expect(message.split('\n').filter((line) => line.startsWith('  ['))).toEqual([
        '  [Stack/Board] widgets[0][0].expression "avg(roleSlots(shop:web,loadavg5)" has a parenthesis without its pair or a quote left open; expected a graph expression Mackerel can parse',
        '  [Stack/Board] widgets[1][0].query "sum(http.server.request.count" has a parenthesis without its pair or a quote left open; expected a query Mackerel can parse',
      ]);
    });

    test('an expression given by a token is not checked and is sent as the reference it resolves to', () => {
      const { stack } = mackerelStack();
      const expression = new CfnParameter(stack, 'Expression', { type: 'String' }).valueAsString;
      const dashboard = new Dashboard(stack, 'Board', { title: 'shop', urlPath: 'shop' });
      dashboard.addWidgets(DashboardWidget.expressionGraph({ title: 'g', expression }), DashboardWidget.expressionValue({ title: 'v', expression: `max(${expression}` }));
      const [graph, value] = propertiesOf(dashboard).widgets;
      expect(graph.graph).toEqual({ type: 'expression', expression: { Ref: 'Expression' } });
      expect(value.metric).toEqual({ type: 'expression', expression: { 'Fn::Join': ['', ['max(', { Ref: 'Expression' }]] } });
    });
  });

  test('wraps a row where the 24-unit width is full, below the row\'s tallest widget, and takes rows in its props', () => {
    const { stack } = mackerelStack();
    const dashboard = new Dashboard(stack, 'Board', { title: 'shop', urlPath: 'shop', widgets: [[md('a', 10, 3), md('b', 10, 5), md('c', 6, 2)], [], [md('d', 24)]] });
    dashboard.addWidgets();
    dashboard.addWidgets(md('e', 12, 6), md('f', 12, 2), md('g', 4, 2));
    expect(propertiesOf(dashboard).widgets.map((w: any) => [w.title, w.layout])).toEqual([
      ['a', { x: 0, y: 0, width: 10, height: 3 }],
      ['b', { x: 10, y: 0, width: 10, height: 5 }],
      ['c', { x: 0, y: 5, width: 6, height: 2 }],
      ['d', { x: 0, y: 7, width: 24, height: 4 }],
      ['e', { x: 0, y: 11, width: 12, height: 6 }],
      ['f', { x: 12, y: 11, width: 12, height: 2 }],
      ['g', { x: 0, y: 17, width: 4, height: 2 }],
    ]);
  });

  test('a relative range that ends in the past has a negative offset, as the API counts it from now', () => {
    const { stack } = mackerelStack();
    const dashboard = new Dashboard(stack, 'Board', { title: 'shop', urlPath: 'shop' });
    dashboard.addWidgets(DashboardWidget.expressionGraph({ title: 'yesterday', expression: 'x', timeRange: DashboardGraphRange.relative(Duration.hours(1), Duration.days(1)) }));
    expect(propertiesOf(dashboard).widgets[0].range).toEqual({ type: 'relative', period: 3600, offset: -86400 });
  });

  test('a role graph sends isStacked only when it is set, false included', () => {
    const { stack, web } = mackerelStack();
    const dashboard = new Dashboard(stack, 'Board', { title: 'shop', urlPath: 'shop' });
    dashboard.addWidgets(
      DashboardWidget.roleGraph({ title: 'unset', role: web, graph: 'loadavg5' }),
      DashboardWidget.roleGraph({ title: 'lines', role: web, graph: 'loadavg5', stacked: false }),
    );
    expect(propertiesOf(dashboard).widgets.map((w: any) => w.graph.isStacked)).toEqual([undefined, false]);
    expect('isStacked' in propertiesOf(dashboard).widgets[0].graph).toBe(false);
  });

  test('a relative range\'s period may be a token in seconds, sent as the reference it resolves to', () => {
    const { stack } = mackerelStack();
    const hours = new CfnParameter(stack, 'Period', { type: 'Number' });
    const dashboard = new Dashboard(stack, 'Board', { title: 'shop', urlPath: 'shop' });
    dashboard.addWidgets(DashboardWidget.expressionGraph({ title: 'g', expression: 'x', timeRange: DashboardGraphRange.relative(Duration.seconds(hours.valueAsNumber)) }));
    expect(propertiesOf(dashboard).widgets[0].range).toEqual({ type: 'relative', period: { Ref: 'Period' }, offset: 0 });
  });

  test('an empty dashboard sends an empty widget list; removalPolicy applies; roles known by name wait for their creator', () => {
    const { stack, shop } = mackerelStack();
    const empty = new Dashboard(stack, 'Empty', { title: 'empty', urlPath: 'empty', removalPolicy: RemovalPolicy.RETAIN });
    const byName = new Dashboard(stack, 'ByName', { title: 'by name', urlPath: 'by-name' });
    byName.addWidgets(DashboardWidget.alertStatus({ title: 'batch', role: MackerelRole.fromFullName(stack, 'Batch', 'shop:batch') }));
    const batch = shop.addRole('batch');
    const template = Template.fromStack(stack).toJSON();
    expect(template.Resources[logicalIdOf(empty)].Properties.widgets).toEqual([]);
    expect(template.Resources[logicalIdOf(empty)].DeletionPolicy).toBe('Retain');
    expect(template.Resources[logicalIdOf(byName)].DependsOn).toContain(logicalIdOf(batch));
    expect(template.Resources[logicalIdOf(byName)].Properties.widgets[0].roleFullname).toBe('shop:batch');
    expect(Object.keys(Template.fromStack(stack).findResources(TYPE))).toHaveLength(2);
  });

  describe('refuses at synth', () => {
    const dashboardIn = () => {
      const { stack, web, shop } = mackerelStack();
      return { stack, web, shop, dashboard: new Dashboard(stack, 'Board', { title: 'shop', urlPath: 'shop' }) };
    };

    test.each(['', '-shop', 'shop/', 'shop//web', 'shop web', '/shop', 'shop/-web'])('the URL path %j', (urlPath) => {
      const { stack } = mackerelStack();
      expect(() => new Dashboard(stack, 'Board', { title: 'shop', urlPath })).toThrow(new RegExp(
        `^Stack/Board: urlPath ${JSON.stringify(urlPath).replace(/[/]/g, '\\/')} is not a dashboard URL path; expected letters, digits, - and _ in /-separated parts`));
    });

    test('a URL path two dashboards of the app share', () => {
      const { stack } = mackerelStack();
      new Dashboard(stack, 'One', { title: 'one', urlPath: 'shop/web' });
      new Dashboard(stack, 'Two', { title: 'two', urlPath: 'shop/web' });
      expect(() => Template.fromStack(stack)).toThrow(/\[Stack\/Two\] urlPath "shop\/web" creates the same dashboard URL path as Stack\/One/);
    });

    test('an empty title', () => {
      const { stack } = mackerelStack();
      expect(() => new Dashboard(stack, 'Board', { title: ' ', urlPath: 'shop' })).toThrow(/^Stack\/Board: title " " is empty; expected a non-empty dashboard title$/);
    });

    test.each([
      ['a graph narrower than 6', DashboardWidget.expressionGraph({ title: 'g', expression: 'x', width: 5 }), /widgets\[0\]\[0\].width 5 is not a size Mackerel allows for a graph widget; expected a whole number from 6 to 24/],
      ['a graph taller than 32', DashboardWidget.expressionGraph({ title: 'g', expression: 'x', height: 33 }), /widgets\[0\]\[0\].height 33 .* from 6 to 32/],
      ['a value smaller than 4', DashboardWidget.expressionValue({ title: 'v', expression: 'x', height: 3 }), /height 3 is not a size Mackerel allows for a value widget; expected a whole number from 4 to 32/],
      ['a markdown taller than 80', md('m', 8, 81), /height 81 is not a size Mackerel allows for a markdown widget; expected a whole number from 2 to 80/],
      ['an alert status lower than 3', DashboardWidget.alertStatus({ title: 'a', role: MackerelRole.fromFullName(new Stack(), 'R', 'shop:web'), height: 2 }),
        /height 2 is not a size Mackerel allows for an alert status widget; expected a whole number from 3 to 32/],
      ['a fractional width', md('m', 7.5), /width 7.5 is not a size/],
      ['fractionSize 17', DashboardWidget.expressionValue({ title: 'v', expression: 'x', fractionSize: 17 }), /fractionSize 17 is out of range; expected a whole number from 0 to 16/],
      ['a blank reference line label', DashboardWidget.expressionGraph({ title: 'g', expression: 'x', referenceLine: { label: '  ', value: 1 } }),
        /referenceLine.label " {2}" is empty or too long; expected 1 to 32 characters, not only whitespace \(spaces, tabs, ideographic spaces\)$/],
      // As the emulator: Mackerel's ja docs count out all whitespace (空白文字), so the error must not say only spaces are refused.
      ['a reference line label of a tab and an ideographic space', DashboardWidget.expressionGraph({ title: 'g', expression: 'x', referenceLine: { label: '\t\u3000', value: 1 } }),
        /referenceLine.label "\\t\u3000" is empty or too long; expected 1 to 32 characters, not only whitespace \(spaces, tabs, ideographic spaces\)$/],
      ['a reference line label of 33 characters', DashboardWidget.expressionGraph({ title: 'g', expression: 'x', referenceLine: { label: 'x'.repeat(33), value: 1 } }),
        /referenceLine.label "x{33}" is empty or too long/],
      ['a negative reference line', DashboardWidget.expressionGraph({ title: 'g', expression: 'x', referenceLine: { label: 'l', value: -1 } }),
        /referenceLine.value -1 is not allowed; expected a number of 0 or more/],
      ['an empty expression', DashboardWidget.expressionGraph({ title: 'g', expression: ' ' }), /^Stack\/Board: widgets\[0\]\[0\].expression " " is empty; expected a graph expression$/],
      ['a range that ends before it starts', DashboardWidget.expressionGraph({ title: 'g', expression: 'x', timeRange: DashboardGraphRange.absolute(new Date(2e12), new Date(1e12)) }),
        /^Stack\/Board: widgets\[0\]\[0\].timeRange "2033-05-18T03:33:20.000Z to 2001-09-09T01:46:40.000Z" does not end after it starts; expected an end after the start$/],
      ['a range that starts at a fraction of a second',
        DashboardWidget.expressionGraph({ title: 'g', expression: 'x', timeRange: DashboardGraphRange.absolute(new Date(1e12 + 500), new Date(2e12)) }),
        /^Stack\/Board: widgets\[0\]\[0\].timeRange.start "2001-09-09T01:46:40.500Z" is not a whole second; expected a time in whole seconds$/],
      ['a range within one second, which would be cut to nothing',
        DashboardWidget.expressionGraph({ title: 'g', expression: 'x', timeRange: DashboardGraphRange.absolute(new Date(1e12), new Date(1e12 + 999)) }),
        /^Stack\/Board: widgets\[0\]\[0\].timeRange.end "2001-09-09T01:46:40.999Z" is not a whole second/],
      ['a range ending at an invalid date', DashboardWidget.expressionGraph({ title: 'g', expression: 'x', timeRange: DashboardGraphRange.absolute(new Date(1e12), new Date(NaN)) }),
        /^Stack\/Board: widgets\[0\]\[0\].timeRange.end "Invalid Date" is not a valid date; expected a valid Date$/],
      ['an empty graph name', DashboardWidget.hostGraph({ title: 'g', hostId: 'h1', graph: '' }), /^Stack\/Board: widgets\[0\]\[0\].graph "" is empty; expected a non-empty value$/],
      ['an empty metric name', DashboardWidget.hostMetricValue({ title: 'v', hostId: 'h1', metric: '' }), /widgets\[0\]\[0\].metric "" is empty/],
      ['a range of a fraction of a second', DashboardWidget.expressionGraph({ title: 'g', expression: 'x', timeRange: DashboardGraphRange.relative(Duration.millis(1500)) }),
        /timeRange.period "1 second 500 millis" is not a whole number of seconds; expected whole seconds/],
      ['a range that ends a token ago, which the API\'s offset would have to negate',
        DashboardWidget.expressionGraph({ title: 'g', expression: 'x', timeRange: DashboardGraphRange.relative(Duration.hours(1), Duration.seconds(Token.asNumber({ Ref: 'Ago' }))) }),
        /^Stack\/Board: widgets\[0\]\[0\].timeRange.endsAgo "<token> seconds" is a token; expected a duration known at synth, as the API counts it back from now$/],
      ['a period that is a token in minutes', DashboardWidget.expressionGraph({ title: 'g', expression: 'x', timeRange: DashboardGraphRange.relative(Duration.minutes(Token.asNumber({ Ref: 'P' }))) }),
        /^Stack\/Board: widgets\[0\]\[0\].timeRange.period "<token> minutes" is a token in a unit other than seconds; expected Duration.seconds\(\) for a value known only at deploy time$/],
      ['a range of no length', DashboardWidget.expressionGraph({ title: 'g', expression: 'x', timeRange: DashboardGraphRange.relative(Duration.seconds(0)) }),
        /^Stack\/Board: widgets\[0\]\[0\].timeRange.period "0 seconds" is not positive; expected at least 1 second$/],
      ['a range ending a fraction of a second ago', DashboardWidget.expressionGraph({ title: 'g', expression: 'x', timeRange: DashboardGraphRange.relative(Duration.hours(1), Duration.millis(500)) }),
        /^Stack\/Board: widgets\[0\]\[0\].timeRange.endsAgo "500 millis" is not a whole number of seconds; expected whole seconds$/],
      ['fractionSize -1', DashboardWidget.expressionValue({ title: 'v', expression: 'x', fractionSize: -1 }), /^Stack\/Board: widgets\[0\]\[0\].fractionSize -1 is out of range/],
      ['fractionSize 1.5', DashboardWidget.expressionValue({ title: 'v', expression: 'x', fractionSize: 1.5 }), /^Stack\/Board: widgets\[0\]\[0\].fractionSize 1.5 is out of range/],
      ['a reference line at no number', DashboardWidget.expressionGraph({ title: 'g', expression: 'x', referenceLine: { label: 'l', value: NaN } }),
        /^Stack\/Board: widgets\[0\]\[0\].referenceLine.value "NaN" is not allowed; expected a number of 0 or more$/],
      ['a reference line at infinity', DashboardWidget.expressionGraph({ title: 'g', expression: 'x', referenceLine: { label: 'l', value: Infinity } }),
        /^Stack\/Board: widgets\[0\]\[0\].referenceLine.value "Infinity" is not allowed/],
      ['fractionSize NaN', DashboardWidget.expressionValue({ title: 'v', expression: 'x', fractionSize: NaN }), /^Stack\/Board: widgets\[0\]\[0\].fractionSize "NaN" is out of range/],
      ['a width of NaN', md('m', NaN), /^Stack\/Board: widgets\[0\]\[0\].width "NaN" is not a size Mackerel allows for a markdown widget/],
      ['a width given by a token', md('m', Token.asNumber({ Ref: 'W' })), /^Stack\/Board: widgets\[0\]\[0\].width "<token>" is a token; expected a number known at synth, for the layout$/],
      ['an empty role graph name', DashboardWidget.roleGraph({ title: 'g', role: MackerelRole.fromFullName(new Stack(), 'R', 'shop:web'), graph: ' ' }),
        /^Stack\/Board: widgets\[0\]\[0\].graph " " is empty/],
      ['an empty service graph name', DashboardWidget.serviceGraph({ title: 'g', service: MackerelService.fromName(new Stack(), 'S', 'shop'), graph: '' }),
        /^Stack\/Board: widgets\[0\]\[0\].graph "" is empty/],
      ['an empty host ID of a graph', DashboardWidget.hostGraph({ title: 'g', hostId: '', graph: 'loadavg' }), /^Stack\/Board: widgets\[0\]\[0\].hostId "" is empty/],
      ['an empty service metric name', DashboardWidget.serviceMetricValue({ title: 'v', service: MackerelService.fromName(new Stack(), 'S', 'shop'), metric: '' }),
        /^Stack\/Board: widgets\[0\]\[0\].metric "" is empty/],
      ['an empty value expression', DashboardWidget.expressionValue({ title: 'v', expression: '' }), /^Stack\/Board: widgets\[0\]\[0\].expression "" is empty/],
      ['an empty host ID of a value', DashboardWidget.hostMetricValue({ title: 'v', hostId: ' ', metric: 'loadavg5' }), /^Stack\/Board: widgets\[0\]\[0\].hostId " " is empty/],
    ])('%s', (_name, widget, message) => {
      const { dashboard } = dashboardIn();
      expect(() => dashboard.addWidgets(widget)).toThrow(message);
    });

    test('a reference line label of 32 emoji, counted as characters as Mackerel counts them', () => {
      const { dashboard } = dashboardIn();
      expect(() => dashboard.addWidgets(DashboardWidget.expressionGraph({ title: 'g', expression: 'x', referenceLine: { label: '🐟'.repeat(32), value: 1 } }))).not.toThrow();
      expect(() => dashboard.addWidgets(DashboardWidget.expressionGraph({ title: 'g', expression: 'x', referenceLine: { label: '🐟'.repeat(33), value: 1 } })))
        .toThrow(`widgets[1][0].referenceLine.label "${'🐟'.repeat(33)}" is empty or too long`);
    });

    test('a widget of the widgets prop is named by its row and place there, empty rows counted', () => {
      const { stack } = mackerelStack();
      expect(() => new Dashboard(stack, 'Board', { title: 'shop', urlPath: 'shop', widgets: [[md('a')], [], [md('b'), md('c', 3)]] }))
        .toThrow(/^Stack\/Board: widgets\[2\]\[1\].width 3 is not a size/);
    });

    describe.each([
      ['a graph widget', (width: number, height: number) => DashboardWidget.expressionGraph({ title: 'g', expression: 'x', width, height }), [6, 6, 24, 32]],
      ['a value widget', (width: number, height: number) => DashboardWidget.expressionValue({ title: 'v', expression: 'x', width, height }), [4, 4, 24, 32]],
      ['a markdown widget', (width: number, height: number) => md('m', width, height), [4, 2, 24, 80]],
      ['an alert status widget', (width: number, height: number) => DashboardWidget.alertStatus({ title: 'a', role: MackerelRole.fromFullName(new Stack(), 'R', 'shop:web'), width, height }),
        [4, 3, 24, 32]],
    ] as const)('%s', (name, widgetOf, [minWidth, minHeight, maxWidth, maxHeight]) => {
      test.each([
        ['width', minWidth - 1, minHeight, minWidth, maxWidth],
        ['width', maxWidth + 1, minHeight, minWidth, maxWidth],
        ['height', minWidth, minHeight - 1, minHeight, maxHeight],
        ['height', minWidth, maxHeight + 1, minHeight, maxHeight],
      ])('of %s %d x %d', (field, width, height, min, max) => {
        const { dashboard } = dashboardIn();
        const wrong = field === 'width' ? width : height;
        expect(() => dashboard.addWidgets(widgetOf(width, height))).toThrow(
          `Stack/Board: widgets[0][0].${field} ${wrong} is not a size Mackerel allows for ${name}; expected a whole number from ${min} to ${max}`);
      });

      test('at each of its limits', () => {
        const { dashboard } = dashboardIn();
        expect(() => dashboard.addWidgets(widgetOf(minWidth, minHeight), widgetOf(maxWidth, maxHeight))).not.toThrow();
      });
    });

    test('limits that hold exactly at their bounds are accepted', () => {
      const { dashboard } = dashboardIn();
      expect(() => dashboard.addWidgets(
        DashboardWidget.expressionGraph({ title: 'g', expression: 'x', width: 24, height: 32, referenceLine: { label: 'x'.repeat(32), value: 0 } }),
        DashboardWidget.expressionValue({ title: 'v', expression: 'x', width: 4, height: 4, fractionSize: 16 }),
        md('m', 4, 2),
        md('n', 24, 80),
      )).not.toThrow();
    });
  });

  test('values given by tokens are not checked and are sent as the references they resolve to', () => {
    const { stack } = mackerelStack();
    const ref = (name: string) => new CfnParameter(stack, name, { type: name === 'Label' || name === 'Text' ? 'String' : 'Number' });
    const dashboard = new Dashboard(stack, 'Board', { title: ref('Text').valueAsString, urlPath: ref('Path' + 'Text').valueAsString });
    dashboard.addWidgets(
      DashboardWidget.hostGraph({
        title: 'g',
        hostId: ref('Text2').valueAsString,
        graph: 'loadavg',
        // longer than 32 characters only as long as the token is unresolved
        referenceLine: { label: `warn at ${ref('Label').valueAsString} requests`, value: ref('Line').valueAsNumber },
      }),
      DashboardWidget.expressionValue({ title: 'v', expression: 'x', fractionSize: ref('Fraction').valueAsNumber }),
    );
    const properties = propertiesOf(dashboard);
    expect([properties.title, properties.urlPath]).toEqual([{ Ref: 'Text' }, { Ref: 'PathText' }]);
    expect(properties.widgets[0].graph.hostId).toEqual({ Ref: 'Text2' });
    expect(properties.widgets[0].referenceLines).toEqual([{ label: { 'Fn::Join': ['', ['warn at ', { Ref: 'Label' }, ' requests']] }, value: { Ref: 'Line' } }]);
    expect(properties.widgets[1].fractionSize).toEqual({ Ref: 'Fraction' });
  });

  test('a dashboard without a memo sends an empty one, so that an update removing the memo clears it', () => {
    const { stack } = mackerelStack();
    expect(propertiesOf(new Dashboard(stack, 'Board', { title: 'shop', urlPath: 'shop' })).memo).toBe('');
  });

  test('a role or service referenced by name in any widget kind waits for the construct that creates it', () => {
    const { stack, shop, web } = mackerelStack();
    const byName = (kind: string, widget: (role: IMackerelRole, service: IMackerelService) => DashboardWidget) => {
      const role = MackerelRole.fromFullName(stack, `${kind}Role`, 'shop:web');
      const service = MackerelService.fromName(stack, `${kind}Service`, 'shop');
      const dashboard = new Dashboard(stack, kind, { title: kind, urlPath: kind });
      dashboard.addWidgets(widget(role, service));
      return dashboard;
    };
    const waits = {
      roleGraph: byName('RoleGraph', (role) => DashboardWidget.roleGraph({ title: 'g', role, graph: 'loadavg5' })),
      alertStatus: byName('AlertStatus', (role) => DashboardWidget.alertStatus({ title: 'a', role })),
      serviceGraph: byName('ServiceGraph', (_role, service) => DashboardWidget.serviceGraph({ title: 'g', service, graph: 'shop.orders' })),
      serviceMetricValue: byName('ServiceMetricValue', (_role, service) => DashboardWidget.serviceMetricValue({ title: 'v', service, metric: 'shop.orders.count' })),
    };
    const resources = Template.fromStack(stack).toJSON().Resources;
    const dependsOn = Object.fromEntries(Object.entries(waits).map(([kind, dashboard]) => [kind, resources[logicalIdOf(dashboard)].DependsOn]));
    expect(dependsOn).toEqual({
      roleGraph: [logicalIdOf(web)],
      alertStatus: [logicalIdOf(web)],
      serviceGraph: [logicalIdOf(shop)],
      serviceMetricValue: [logicalIdOf(shop)],
    });
  });

  test('waits for a role given by name once: the render at synth adds no Aspect after aspects ran', () => {
    const { stack } = mackerelStack();
    const dashboard = new Dashboard(stack, 'Board', { title: 'shop', urlPath: 'shop' });
    const batch = MackerelRole.fromFullName(stack, 'Batch', 'shop:batch');
    dashboard.addWidgets(DashboardWidget.alertStatus({ title: 'a', role: batch }), DashboardWidget.roleGraph({ title: 'g', role: batch, graph: 'loadavg5' }));
    const before = Aspects.of(dashboard).all.length;
    Template.fromStack(stack);
    expect(Aspects.of(dashboard).all).toHaveLength(before);
    expect(before).toBe(1);
  });

  test('a service referenced by name in a widget waits for the MackerelService that creates it', () => {
    const { stack, shop } = mackerelStack();
    const dashboard = new Dashboard(stack, 'Board', { title: 'shop', urlPath: 'shop' });
    dashboard.addWidgets(DashboardWidget.serviceGraph({ title: 'orders', service: MackerelService.fromName(stack, 'ShopByName', 'shop'), graph: 'shop.orders' }));
    expect(Template.fromStack(stack).toJSON().Resources[logicalIdOf(dashboard)].DependsOn).toContain(logicalIdOf(shop));
  });
});
