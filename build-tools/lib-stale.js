// Exit 0 (the condition holds: build) when lib/ is missing or older than a source file, so the
// main job never runs a command-line tool that lags behind src/.
const fs = require('fs');
const path = require('path');

const built = path.join('lib', 'cli', 'main.js');
if (!fs.existsSync(built)) process.exit(0);
const builtAt = fs.statSync(built).mtimeMs;

function newer(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory() ? newer(full) : fs.statSync(full).mtimeMs > builtAt) return true;
  }
  return false;
}
process.exit(newer('src') ? 0 : 1);
