import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as ts from 'typescript';
import { expect, test } from 'vitest';

/**
 * jsii's own summary rule (a doc's first sentence, cut at a period or a semicolon), which gives
 * API.md and the Python, Java, .NET and Go docs their one-line summaries. Read from jsii itself,
 * not copied, so that the test follows the jsii version the build uses.
 */
const jsiiDocs = createRequire(__filename)(path.join(path.dirname(require.resolve('jsii')), 'docs.js')) as {
  splitSummary(doc: string): [string | undefined, string | undefined];
};

/** Each public declaration and member the entry point exports, with its doc and `@param` docs. */
function publicDocs(): Array<{ readonly name: string; readonly doc: string }> {
  const index = path.join(__dirname, '..', 'src', 'index.ts');
  const program = ts.createProgram([index], { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, strict: true, noEmit: true });
  const checker = program.getTypeChecker();
  const docs: Array<{ name: string; doc: string }> = [];
  const add = (name: string, symbol: ts.Symbol) => {
    const doc = ts.displayPartsToString(symbol.getDocumentationComment(checker));
    if (doc.trim() !== '') docs.push({ name, doc });
    for (const declaration of symbol.declarations ?? []) {
      for (const tag of ts.getJSDocTags(declaration)) {
        if (ts.isJSDocParameterTag(tag) && tag.comment) docs.push({ name: `${name}(${tag.name.getText()})`, doc: ts.getTextOfJSDocComment(tag.comment) ?? '' });
      }
    }
  };
  const module = checker.getSymbolAtLocation(program.getSourceFile(index)!)!;
  for (const exported of checker.getExportsOfModule(module)) {
    // eslint-disable-next-line no-bitwise -- TypeScript's symbol flags are a bit set
    const symbol = (exported.flags & ts.SymbolFlags.Alias) !== 0 ? checker.getAliasedSymbol(exported) : exported;
    add(exported.name, symbol);
    const members = [...(symbol.members?.values() ?? []), ...(symbol.exports?.values() ?? [])];
    for (const member of members) {
      const declaration = member.declarations?.[0];
      const modifiers = declaration && ts.canHaveModifiers(declaration) ? ts.getModifiers(declaration) ?? [] : [];
      const hidden = member.name.startsWith('_') || modifiers.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword || m.kind === ts.SyntaxKind.ProtectedKeyword);
      if (!hidden && member.name !== 'prototype') add(`${exported.name}.${member.name}`, member);
    }
  }
  return docs;
}

test('no public summary is cut in the middle: none ends at a semicolon or leaves a parenthesis or a code span open', () => {
  const docs = publicDocs();
  // the walk reaches members and parameters, not only the exported names
  expect(docs.some((d) => d.name === 'MonitorBase.monitorId')).toBe(true);
  expect(docs.some((d) => d.name === 'MackerelApiKey.fromSecretsManager(field)')).toBe(true);

  const cut = docs.flatMap(({ name, doc }) => {
    const summary = jsiiDocs.splitSummary(doc)[0] ?? '';
    const count = (c: string) => summary.split(c).length - 1;
    const broken = /;\.?$/.test(summary) || count('(') !== count(')') || count('`') % 2 !== 0;
    return broken ? [`${name}: ${summary}`] : [];
  });
  expect(cut).toEqual([]);
});

test('jsii cuts a one-paragraph doc at its first semicolon, which the test above relies on', () => {
  expect(jsiiDocs.splitSummary('The Mackerel monitor ID; a reference to the resource.')[0]).toBe('The Mackerel monitor ID;');
});
