import * as path from 'node:path';
import * as ts from 'typescript';
import { expect, test } from 'vitest';

/**
 * jsii's rule for structs, which API.md and the other languages' docs show: an optional property says
 * what leaving it out means (`@default`), and a required one has no default to state. The same holds
 * for an optional public property of an exported class, which a Python or Java reader finds as None or
 * null, and for an optional method or constructor parameter that is not an options struct (those
 * state their defaults member by member): jsii has no `@default` for parameters, so its `@param` text
 * says it (`Default: ...`, or `by default ...`).
 */

interface PropertyDoc {
  /** `Type.property`, as declared (an inherited property is checked where it is declared). */
  readonly name: string;
  readonly optional: boolean;
  /** The text of its `@default` tag, if it has one. */
  readonly defaultText?: string;
}

interface ParameterDoc {
  /** `Type.method(parameter)`, or `Type(parameter)` for a constructor. */
  readonly name: string;
  /** Its `@param` text, if it has one. */
  readonly doc?: string;
}

const index = path.join(__dirname, '..', 'src', 'index.ts');
const program = ts.createProgram([index], { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, strict: true, noEmit: true });
const checker = program.getTypeChecker();

/** Each declaration of an interface or class that the entry point exports, with its exported name. */
function exportedDeclarations(): Array<{ readonly name: string; readonly declaration: ts.InterfaceDeclaration | ts.ClassDeclaration }> {
  const module = checker.getSymbolAtLocation(program.getSourceFile(index)!)!;
  return checker.getExportsOfModule(module).flatMap((exported) => {
    // eslint-disable-next-line no-bitwise -- TypeScript's symbol flags are a bit set
    const symbol = (exported.flags & ts.SymbolFlags.Alias) !== 0 ? checker.getAliasedSymbol(exported) : exported;
    return (symbol.declarations ?? [])
      .filter((d): d is ts.InterfaceDeclaration | ts.ClassDeclaration => ts.isInterfaceDeclaration(d) || ts.isClassDeclaration(d))
      .map((declaration) => ({ name: exported.name, declaration }));
  });
}

/** Whether a class member is part of the public API jsii exports (not private, protected or `_`-named). */
function isPublic(member: ts.ClassElement): boolean {
  const modifiers = ts.canHaveModifiers(member) ? ts.getModifiers(member) ?? [] : [];
  const hidden = modifiers.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword || m.kind === ts.SyntaxKind.ProtectedKeyword);
  return !hidden && !(member.name?.getText().startsWith('_') ?? false) && !(member.name && ts.isPrivateIdentifier(member.name))
    && !ts.getJSDocTags(member).some((t) => t.tagName.text === 'internal');
}

/** Whether a declared type is `T | undefined`, which jsii takes for an optional property as it takes `?`. */
function admitsUndefined(type: ts.TypeNode | undefined): boolean {
  return type !== undefined && ts.isUnionTypeNode(type) && type.types.some((t) => t.kind === ts.SyntaxKind.UndefinedKeyword);
}

/** Each property declared by an interface, and each public property of a class, that the entry point exports. */
function propertyDocs(): PropertyDoc[] {
  const docs: PropertyDoc[] = [];
  for (const { name, declaration } of exportedDeclarations()) {
    for (const member of declaration.members as ts.NodeArray<ts.TypeElement | ts.ClassElement>) {
      const property = ts.isPropertySignature(member) || (ts.isPropertyDeclaration(member) && isPublic(member));
      if (!property) continue;
      const tag = ts.getJSDocTags(member).find((t) => t.tagName.text === 'default');
      docs.push({
        name: `${name}.${member.name.getText()}`,
        optional: member.questionToken !== undefined || admitsUndefined(member.type),
        defaultText: tag ? (ts.getTextOfJSDocComment(tag.comment) ?? '').trim() : undefined,
      });
    }
  }
  return docs;
}

/** Whether a type is one of the library's structs (an interface with properties only), whose members state their defaults. */
function isStruct(type: ts.Type): boolean {
  const declaration = type.getSymbol()?.declarations?.[0];
  return declaration !== undefined && ts.isInterfaceDeclaration(declaration) && declaration.members.every(ts.isPropertySignature);
}

/** Each optional parameter of an exported class's public methods and constructor, and of an exported interface's methods, that is not a struct. */
function optionalParameterDocs(): ParameterDoc[] {
  const docs: ParameterDoc[] = [];
  for (const { name, declaration } of exportedDeclarations()) {
    for (const member of declaration.members as ts.NodeArray<ts.TypeElement | ts.ClassElement>) {
      const callable = ts.isMethodSignature(member) || ((ts.isMethodDeclaration(member) || ts.isConstructorDeclaration(member)) && isPublic(member));
      if (!callable) continue;
      const where = ts.isConstructorDeclaration(member) ? name : `${name}.${member.name!.getText()}`;
      for (const parameter of member.parameters) {
        if (parameter.questionToken === undefined && parameter.initializer === undefined) continue;
        if (isStruct(checker.getTypeAtLocation(parameter))) continue;
        const tag = ts.getJSDocParameterTags(parameter)[0];
        docs.push({ name: `${where}(${parameter.name.getText()})`, doc: tag ? ts.getTextOfJSDocComment(tag.comment) ?? '' : undefined });
      }
    }
  }
  return docs;
}

const docs = propertyDocs();

test('the walk reaches the props of constructs, of methods and of the structs the library returns, and the properties of classes', () => {
  const names = docs.map((d) => d.name);
  expect(names).toEqual(expect.arrayContaining([
    'MackerelAgentOptions.memoryLimitMiB', 'NotificationGroupMonitorOptions.skipDefault', 'MonitorInTemplate.scopes',
    'DowntimeRecurrence.until', 'MackerelMonitoring.notificationGroup',
  ]));
  // private and internal members are not the public API
  expect(names.filter((n) => /\._|\.#/.test(n))).toEqual([]);
});

test('every optional property of an exported interface or class says what leaving it out means (@default)', () => {
  expect(docs.filter((d) => d.optional && d.defaultText === undefined).map((d) => d.name)).toEqual([]);
});

test('no @default is empty or says only "undefined", and no required property has one', () => {
  expect(docs.filter((d) => d.defaultText !== undefined && /^(-\s*)?(undefined)?$/.test(d.defaultText)).map((d) => d.name)).toEqual([]);
  expect(docs.filter((d) => !d.optional && d.defaultText !== undefined).map((d) => d.name)).toEqual([]);
});

test('every optional parameter that is not an options struct says, in its @param, what leaving it out means', () => {
  const params = optionalParameterDocs();
  // the walk reaches static factories and instance methods
  expect(params.map((p) => p.name)).toEqual(expect.arrayContaining(['MackerelApiKey.fromSecretsManager(field)', 'DashboardGraphRange.relative(endsAgo)']));
  expect(params.filter((p) => !/\bDefault: |\bby default\b/i.test(p.doc ?? '')).map((p) => p.name)).toEqual([]);
});
