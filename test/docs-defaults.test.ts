import * as path from 'node:path';
import * as ts from 'typescript';
import { expect, test } from 'vitest';

/**
 * jsii's rule for structs, which API.md and the other languages' docs show: an optional property says
 * what leaving it out means (`@default`), and a required one has no default to state.
 */

interface PropertyDoc {
  /** `Interface.property`, as declared (an inherited property is checked where it is declared). */
  readonly name: string;
  readonly optional: boolean;
  /** The text of its `@default` tag, if it has one. */
  readonly defaultText?: string;
}

/** Each property declared by an interface that the entry point exports. */
function propertyDocs(): PropertyDoc[] {
  const index = path.join(__dirname, '..', 'src', 'index.ts');
  const program = ts.createProgram([index], { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, strict: true, noEmit: true });
  const checker = program.getTypeChecker();
  const module = checker.getSymbolAtLocation(program.getSourceFile(index)!)!;
  const docs: PropertyDoc[] = [];
  for (const exported of checker.getExportsOfModule(module)) {
    // eslint-disable-next-line no-bitwise -- TypeScript's symbol flags are a bit set
    const symbol = (exported.flags & ts.SymbolFlags.Alias) !== 0 ? checker.getAliasedSymbol(exported) : exported;
    const declaration = symbol.declarations?.[0];
    if (!declaration || !ts.isInterfaceDeclaration(declaration)) continue;
    for (const member of declaration.members) {
      if (!ts.isPropertySignature(member)) continue;
      const tag = ts.getJSDocTags(member).find((t) => t.tagName.text === 'default');
      docs.push({
        name: `${exported.name}.${member.name.getText()}`,
        optional: member.questionToken !== undefined,
        defaultText: tag ? (ts.getTextOfJSDocComment(tag.comment) ?? '').trim() : undefined,
      });
    }
  }
  return docs;
}

const docs = propertyDocs();

test('the walk reaches the props of constructs, of methods and of the structs the library returns', () => {
  const names = docs.map((d) => d.name);
  expect(names).toEqual(expect.arrayContaining(['MackerelAgentOptions.memoryLimitMiB', 'NotificationGroupMonitorOptions.skipDefault', 'MonitorInTemplate.scopes']));
});

test('every optional property of an exported interface says what leaving it out means (@default)', () => {
  expect(docs.filter((d) => d.optional && d.defaultText === undefined).map((d) => d.name)).toEqual([]);
});

test('no @default is empty or says only "undefined", and no required property has one', () => {
  expect(docs.filter((d) => d.defaultText !== undefined && /^(-\s*)?(undefined)?$/.test(d.defaultText)).map((d) => d.name)).toEqual([]);
  expect(docs.filter((d) => !d.optional && d.defaultText !== undefined).map((d) => d.name)).toEqual([]);
});
