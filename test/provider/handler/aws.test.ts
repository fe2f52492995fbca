import * as fs from 'fs';
import { createRequire } from 'module';
import * as os from 'os';
import * as path from 'path';
import { describe, expect, test } from 'vitest';
import { _loadSdk } from '../../../src/provider/handler/aws';

const load = createRequire(__filename);

describe('_loadSdk', () => {
  test('returns the client module when it is installed', () => {
    const sdk = _loadSdk('@aws-sdk/client-ssm', () => load('@aws-sdk/client-ssm') as typeof import('@aws-sdk/client-ssm'));

    expect(typeof sdk.GetParameterCommand).toBe('function');
  });

  test('names a missing client and how to install it, rather than "Cannot find module"', () => {
    const id = '@aws-sdk/client-not-installed-here';

    expect(() => _loadSdk(id, () => load(id))).toThrow(
      `the AWS SDK for JavaScript v3 client ${id} is not installed here (the Lambda runtime has it; `
      + `running the handler locally, as cdk-mackerel apply does for a real organization, needs it beside cdk-mackerel: npm install --save-dev ${id})`);
  });

  test('leaves alone an installed client that cannot find a module of its own', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mackerel-sdk-'));
    fs.writeFileSync(path.join(dir, 'index.js'), "require('a-dependency-that-is-gone');\n");

    expect(() => _loadSdk('@aws-sdk/client-ssm', () => load(dir))).toThrow(/Cannot find module 'a-dependency-that-is-gone'/);
  });
});
