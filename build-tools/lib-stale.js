// Exit 0 (the condition holds: build) when lib/ or the provider handler's bundle is missing or
// older than a source file, so the main job never runs a command-line tool, or deploys a handler,
// that lags behind src/. `compile` alone does not bundle the handler, so both are checked.
const fs = require('fs');
const path = require('path');

const built = [path.join('lib', 'cli', 'main.js'), path.join('assets', 'provider-handler', 'index.js')];
if (built.some((file) => !fs.existsSync(file))) process.exit(0);
const builtAt = Math.min(...built.map((file) => fs.statSync(file).mtimeMs));

function newer(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory() ? newer(full) : fs.statSync(full).mtimeMs > builtAt) return true;
  }
  return false;
}
process.exit(newer('src') ? 0 : 1);
