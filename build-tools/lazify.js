// Makes the compiled barrels (lib/index.js and the index.js files it re-exports) lazy, the way
// aws-cdk-lib's are: tsc turns `export * from './x'` into `__exportStar(require('./x'), exports)`,
// which loads every module of the library as soon as the package is required, so an app that only
// adds the agent sidecar would load the monitors, the alerting, the dashboards, the provider and
// the aws-cdk-lib modules behind them on every `cdk synth`. Each name becomes a getter that loads
// only the module defining it, on first use, and then keeps the value. The values are the modules'
// own, so class identity (`instanceof`) is unchanged; the .d.ts files and the jsii assembly are
// not touched.
//
// Runs after jsii in the compile task. A barrel holding anything but `export *` lines fails the
// build instead of being left eager. The targets are kept in the rewritten file, so running it
// again (or on a barrel tsc did not re-emit) rewrites it from them.
'use strict';
const fs = require('fs');
const path = require('path');

// The compiled library: lib/, or the directory given (the tests lazify a transpiled copy).
const LIB = path.resolve(process.argv[2] ?? path.join(__dirname, '..', 'lib'));
const MARK = '// lazify: ';
const EXPORT_STAR = /^__exportStar\(require\("(\.{1,2}\/[^"]+)"\), exports\);$/;

/** The `export *` targets of a barrel (as written, './x'), or undefined for a module that is none. */
function starTargets(file) {
  const text = fs.readFileSync(file, 'utf8');
  const marked = text.split('\n').find((line) => line.startsWith(MARK));
  if (marked) return JSON.parse(marked.slice(MARK.length));
  const lines = text.split('\n');
  const start = lines.findIndex((line) => line.startsWith('Object.defineProperty(exports, "__esModule"'));
  if (start < 0) return undefined;
  // tsc keeps a barrel's comments (why a part is exported) and its source map line: not statements.
  const statements = lines.slice(start + 1).join('\n').replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '')
    .split('\n').map((line) => line.trim()).filter((line) => line !== '');
  if (!statements.some((line) => EXPORT_STAR.test(line))) return undefined;
  const targets = [];
  for (const line of statements) {
    const match = EXPORT_STAR.exec(line);
    if (!match) throw new Error(`${path.relative(LIB, file)}: cannot make lazy a barrel with a statement other than \`export *\`: ${line}`);
    targets.push(match[1]);
  }
  return targets;
}

/**
 * Each name a module exports at run time, with the module (path from lib/) that defines it, in
 * tsc's order: a barrel's names follow its `export *` lines, the first module exporting a name
 * wins (as `__exportStar` does).
 */
function exportsOf(file, barrels) {
  const targets = starTargets(file);
  if (!targets) {
    const names = Object.keys(require(file)).filter((name) => name !== 'default');
    const odd = names.find((name) => !/^[A-Za-z_$][\w$]*$/.test(name));
    if (odd) throw new Error(`${path.relative(LIB, file)} exports ${JSON.stringify(odd)}, which is no identifier`);
    return names.map((name) => ({ name, from: file }));
  }
  barrels.set(file, targets);
  const seen = new Set();
  const result = [];
  for (const target of targets) {
    for (const entry of exportsOf(require.resolve(path.resolve(path.dirname(file), target)), barrels)) {
      if (seen.has(entry.name)) continue;
      seen.add(entry.name);
      result.push(entry);
    }
  }
  return result;
}

function lazyBarrel(file, targets, entries) {
  const relative = (from) => {
    const spec = path.relative(path.dirname(file), from).split(path.sep).join('/').replace(/\.js$/, '');
    return spec.startsWith('.') ? spec : `./${spec}`;
  };
  return [
    '"use strict";',
    `// Written by build-tools/lazify.js from tsc's output of src/${path.relative(LIB, file).replace(/\.js$/, '.ts')}: each name loads`,
    '// its own module on first use, instead of every module of the package when it is required.',
    `${MARK}${JSON.stringify(targets)}`,
    'Object.defineProperty(exports, "__esModule", { value: true });',
    'function lazy(name, load) {',
    '    Object.defineProperty(exports, name, {',
    '        enumerable: true,',
    '        configurable: true,',
    '        get() {',
    '            const value = load()[name];',
    '            // Still unset while a module cycle is being loaded: left a getter, to be read again.',
    '            if (value !== undefined) Object.defineProperty(exports, name, { enumerable: true, configurable: false, writable: false, value });',
    '            return value;',
    '        },',
    '    });',
    '}',
    // `exports.X = void 0` is how Node's CommonJS lexer finds the names an ES module may import.
    ...entries.map(({ name }) => `exports.${name} = void 0;`),
    ...entries.map(({ name, from }) => `lazy(${JSON.stringify(name)}, () => require(${JSON.stringify(relative(from))}));`),
    '',
  ].join('\n');
}

const barrels = new Map();
const entry = path.join(LIB, 'index.js');
const top = exportsOf(entry, barrels);
for (const [file, targets] of barrels) {
  const entries = file === entry ? top : exportsOf(file, new Map());
  fs.writeFileSync(file, lazyBarrel(file, targets, entries));
}
console.log(`lazify: ${barrels.size} barrels, ${top.length} names from lib/index.js`);
