import * as path from 'node:path';
import * as ts from 'typescript';
import { describe, expect, test } from 'vitest';
import * as library from '../src';

/**
 * What `src/index.ts` exports as TypeScript users see it (`lib/index.d.ts`), values and types,
 * each with the kind of declaration behind it.
 */
function exportsOfIndex(): Array<{ name: string; kind: string }> {
  const index = path.join(__dirname, '..', 'src', 'index.ts');
  const program = ts.createProgram([index], { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, strict: true, noEmit: true });
  const checker = program.getTypeChecker();
  const module = checker.getSymbolAtLocation(program.getSourceFile(index)!)!;
  return checker.getExportsOfModule(module).map((symbol) => {
    // eslint-disable-next-line no-bitwise -- TypeScript's symbol flags are a bit set
    const target = (symbol.flags & ts.SymbolFlags.Alias) !== 0 ? checker.getAliasedSymbol(symbol) : symbol;
    const declaration = target.declarations?.[0];
    return { name: symbol.name, kind: declaration ? ts.SyntaxKind[declaration.kind] : 'unknown' };
  });
}

describe('the package entry point (src/index.ts)', () => {
  const exported = exportsOfIndex();

  test('exports no internal helper: no name starts with "_", at run time or as a type', () => {
    expect(Object.keys(library).filter((name) => name.startsWith('_'))).toEqual([]);
    expect(exported.filter((e) => e.name.startsWith('_')).map((e) => e.name)).toEqual([]);
  });

  test('exports only what jsii carries to Python, Java, .NET and Go: classes, interfaces and enums', () => {
    const jsiiKinds = ['ClassDeclaration', 'InterfaceDeclaration', 'EnumDeclaration'];
    expect(exported.filter((e) => !jsiiKinds.includes(e.kind))).toEqual([]);
  });

  test('still exports the public names of design.md', () => {
    const names = exported.map((e) => e.name);
    for (const name of ['MackerelApiKey', 'MackerelContainerAgent', 'MackerelAgentExtension', 'MackerelInstrumentation', 'MackerelAgentImage',
      'MackerelProvider', 'MackerelService', 'MackerelRole', 'HostMetricMonitor', 'ConnectivityMonitor', 'ServiceMetricMonitor',
      'ExternalHttpMonitor', 'ExpressionMonitor', 'AnomalyDetectionMonitor', 'QueryMonitor', 'EmailChannel', 'SlackChannel',
      'WebhookChannel', 'NotificationGroup', 'AlertGroupSetting', 'Downtime', 'MackerelAwsIntegration', 'MonitorScope',
      'DowntimeRecurrence', 'AwsIntegrationService']) {
      expect(names).toContain(name);
    }
  });
});
