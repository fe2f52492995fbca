import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, CfnCondition, CfnMapping, CfnParameter, CfnResource, Duration, Fn, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { beforeEach, describe, expect, test, vi } from 'vitest';
import { addProvider, cli, expectConverged, readState, synthShop, synthStack, useEmulatorPerFile, workDir } from './_fixture';
import { EmailChannel, NotificationGroup } from '../../src/alerting';
import { startEmulator } from '../../src/emulator';
import { AnomalyDetectionMonitor, AnomalySensitivity, ConnectivityMonitor, ExternalHttpMonitor, HostMetricMonitor, MonitorOperator, MonitorScope, ServiceMetricMonitor } from '../../src/monitors';
import { MackerelRole, MackerelService } from '../../src/service';

const shared = useEmulatorPerFile();
beforeEach(() => shared.emulator.reset());

/** Makes an object outside cdk-mackerel, as a user would by hand: the emulator's answer, once it took the request. */
async function byHand(path: string, body: object): Promise<{ id: string }> {
  const hand = await fetch(`${shared.emulator.url}api/v0/${path}`, {
    method: 'POST', headers: { 'X-Api-Key': shared.emulator.apiKey, 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  expect(hand.status).toBe(200);
  return await hand.json() as { id: string };
}

const monitorsByName = () => Object.fromEntries(shared.emulator.state().monitors.map((m: any) => [m.name, m]));

describe('apply, change, diff, drift and destroy against the emulator', () => {
  test('a whole lifecycle', async () => {
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url];
    const stateFile = join(dir, '.mackerel-state.json');

    // First apply creates everything, in dependency order.
    let assembly = synthShop(dir, { cpuWarning: 80, memMetric: 'memory%', alive: true });
    let run = await cli(['apply', assembly, ...base]);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/\[1\/5\] created\s+Service\s+Shop\/Service\w* shop "shop"/);
    expect(run.out).toMatch(/\[5\/5\] created/);
    let state = shared.emulator.state();
    expect(state.services.map((s: any) => s.name)).toEqual(['shop']);
    expect(Object.keys(monitorsByName()).sort()).toEqual(['web cpu', 'web memory', expect.any(String)].sort());
    const cpu = monitorsByName()['web cpu'];
    const mem = monitorsByName()['web memory'];
    expect(cpu).toMatchObject({ warning: 80, critical: 95, duration: 3 });
    expect(readState(stateFile).stacks.Shop.resources).toBeDefined();

    // Nothing changed: diff is clean (role scopes read back as "shop: web" are not drift), apply is a no-op.
    run = await expectConverged(shared.emulator, assembly, base);
    expect(run.out).toMatch(/5 unchanged/);

    // Changed template: diff shows it field by field and exits 1.
    assembly = synthShop(dir, { cpuWarning: 85, memMetric: 'container-mem%', alive: false });
    run = await cli(['diff', assembly, ...base]);
    expect(run.code).toBe(1);
    expect(run.out).toMatch(/~ update\s+Monitor\s+Shop\/Cpu\w* \S+ "web cpu"\n\s+warning: "80" -> "85"/);
    expect(run.out).toMatch(/! replace\s+Monitor\s+Shop\/Mem\w*[^\n]*\n\s+metric: "memory%" -> "container-mem%"/);
    expect(run.out).toMatch(/- delete\s+Monitor\s+Shop\/Alive/);

    // Apply: in place, replaced (old one cleaned up), removed.
    run = await cli(['apply', assembly, ...base]);
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/updated\s+Monitor/);
    expect(run.out).toMatch(/\[\d\/6\] replaced\s+Monitor\s+Shop\/Mem\w* \S+ -> \S+/);
    expect(run.out).toMatch(/\[6\/6\] deleted/);
    expect(run.out).toMatch(/deleted\s+Monitor\s+Shop\/Mem\w* \S+ \(old object of a replacement\)/);
    const after = monitorsByName();
    expect(Object.keys(after).sort()).toEqual(['web cpu', 'web memory']);
    expect(after['web cpu']).toMatchObject({ id: cpu.id, warning: 85 });
    expect(after['web memory'].id).not.toBe(mem.id);
    expect(after['web memory'].metric).toBe('container-mem%');
    expect((await cli(['diff', assembly, ...base])).code).toBe(0);

    // Drift made directly in Mackerel shows in diff, as last applied -> live.
    const response = await fetch(new URL(`api/v0/monitors/${cpu.id}`, shared.emulator.url), {
      method: 'PUT',
      headers: { 'X-Api-Key': shared.emulator.apiKey, 'Content-Type': 'application/json' },
      body: JSON.stringify({ ...after['web cpu'], id: undefined, warning: 70, memo: 'changed by hand' }),
    });
    expect(response.status).toBe(200);
    run = await cli(['diff', assembly, ...base]);
    // Only differences apply leaves as they are: exit code 3, not 1 (apply would change nothing).
    expect(run.code).toBe(3);
    expect(run.out).toMatch(/~ drift\s+Monitor\s+Shop\/Cpu\w*[^\n]*outside the template[^\n]*\n(\s+\w+: .*\n)*\s+warning: "85" -> "70"/);
    expect(run.out).toMatch(/memo: \(absent\) -> "changed by hand"/);

    // An object deleted outside the template shows as gone.
    const deleted = await fetch(new URL(`api/v0/monitors/${after['web memory'].id}`, shared.emulator.url), { method: 'DELETE', headers: { 'X-Api-Key': shared.emulator.apiKey } });
    expect(deleted.status).toBe(200);
    run = await cli(['diff', assembly, ...base]);
    expect(run.out).toMatch(new RegExp(`\\? gone\\s+Monitor\\s+Shop/Mem\\w* ${after['web memory'].id} "web memory" deleted in Mackerel outside the template`));
    expect(run.out).toMatch(/1 drifted, 1 deleted outside\.$/);
    expect(run.code).toBe(3);
    // apply leaves it gone, and its summary says so rather than calling it just unchanged
    run = await cli(['apply', assembly, ...base]);
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/\nDone: \d+ unchanged\. 1 of the unchanged was deleted in Mackerel outside the template and left so \(Monitor Shop\/Mem\w+\): like CloudFormation, apply re-creates an object only when its properties change; diff shows it as "\? gone"\.\n/);
    // and its count of what is in Mackerel leaves it out (the cpu monitor only)
    expect(run.out).toMatch(/^In Mackerel: 1 Service, 1 Role, 1 Monitor\.$/m);
    expect((await cli(['diff', assembly, ...base])).code).toBe(3);
    // that read is only for the summary: when it fails, the finished apply still succeeds, without the sentence
    // (--timeout 2: the read is retried within it, and would otherwise take the attempt limit's backoff)
    shared.emulator.injectFault({ method: 'GET', path: '/api/v0/monitors/*', status: 500, body: { error: { message: 'boom' } }, times: 1000 });
    run = await cli(['apply', assembly, ...base, '--timeout', '2']);
    shared.emulator.clearFaults();
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/\nDone: \d+ unchanged\.\n/);
    // --help says which exit code means what
    expect((await cli(['--help'])).out).toMatch(/exit 0 none,\s+1 apply would change something \(create, update, replace,\s+delete, leave, retain, move\), 3 only differences apply\s+leaves as they are \(drift, gone, kept, the deletes of a\s+stack only the state holds\), 2 error/);
    expect((await cli(['--help'])).out).toMatch(/objects of the app;\s+exit 0 done, 2 error, 130 stopped by Ctrl-C \(143 SIGTERM\)/);

    // Destroy leaves nothing the stack made.
    run = await cli(['apply', assembly, ...base, '--destroy']);
    expect(run.code).toBe(0);
    state = shared.emulator.state();
    expect(state.services).toEqual([]);
    expect(state.monitors).toEqual([]);
    expect(readState(stateFile).stacks).toEqual({});
  });

  test('a failure in the middle of an apply leaves state that a second apply finishes', async () => {
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url, '--timeout', '2'];
    let assembly = synthShop(dir, { cpuWarning: 80, memMetric: 'memory%', alive: false });
    const first = await cli(['apply', assembly, ...base]);
    expect(first.err).toBe('');
    expect(first.code).toBe(0);

    assembly = synthShop(dir, { cpuWarning: 90, memMetric: 'memory%', alive: false, disk: true });
    shared.emulator.injectFault({ method: 'POST', path: '/api/v0/monitors', status: 500, body: { error: { message: 'boom' } }, times: 1000 });
    const failed = await cli(['apply', assembly, ...base]);
    expect(failed.code).toBe(2);
    expect(failed.err).toMatch(/^cdk-mackerel: .*Disk.*500.*run apply again to finish$/);
    expect(failed.out).toMatch(/updated\s+Monitor\s+Shop\/Cpu/);
    const saved = readState(join(dir, '.mackerel-state.json')).stacks.Shop.resources;
    const cpuId = Object.keys(saved).find((id) => id.startsWith('Cpu'))!;
    expect(saved[cpuId].properties).toMatchObject({ warning: '90' });
    expect(Object.keys(saved).some((id) => id.startsWith('Disk'))).toBe(false);
    expect(monitorsByName()['web disk']).toBeUndefined();

    shared.emulator.clearFaults();
    const second = await cli(['apply', assembly, ...base]);
    expect(second.code).toBe(0);
    expect(second.out).toMatch(/created\s+Monitor\s+Shop\/Disk/);
    expect(second.out).toMatch(/unchanged\s+Monitor\s+Shop\/Cpu/);
    expect(monitorsByName()['web disk']).toMatchObject({ metric: 'disk%' });
  });
});

describe('a service created but neither marked nor deleted again', () => {
  // GIVEN a service whose create is answered but whose mark and whose delete fail (the delete, a 5xx, until the time is up)
  const failMarkAndDelete = (dir: string, markStatus: number, markBody: unknown = { error: { message: 'no' } }, deleteStatus = 500) => {
    shared.emulator.injectFault({ method: 'PUT', path: '/api/v0/services/shop/metadata/*', status: markStatus, body: markBody, times: 1000 });
    shared.emulator.injectFault({ method: 'DELETE', path: '/api/v0/services/shop', status: deleteStatus, body: { error: { message: 'boom' } }, times: 1000 });
    return synthStack(dir, (s) => new MackerelService(s, 'Service', { name: 'shop' }));
  };

  test('with the key refused on the mark, apply says the service is left, to delete before applying again, not that nothing was changed', async () => {
    const dir = workDir();
    const run = await cli(['apply', failMarkAndDelete(dir, 403), '--api-base', shared.emulator.url, '--timeout', '2']);

    expect(run.code).toBe(2);
    expect(run.err).toMatch(new RegExp(/^cdk-mackerel: Custom::MackerelService Service\w+: Create failed: service "shop" was created but could not be marked, and deleting it again failed too, so it is left in Mackerel: .*; /.source
      + /nothing else was changed; use a MACKEREL_APIKEY with write permission, delete service "shop" in Mackerel \(it is left there, in no state file\), then apply again \(as it is, another run fails the same way\)$/.source));
    expect(shared.emulator.state().services.map((x: any) => x.name)).toEqual(['shop']);
  }, 30_000);

  test('with a firewall\'s page refusing the mark, apply says the service is left, to delete before applying again, not that nothing was changed', async () => {
    const dir = workDir();
    const run = await cli(['apply', failMarkAndDelete(dir, 403, 'Access denied'), '--api-base', shared.emulator.url, '--timeout', '2']);

    expect(run.code).toBe(2);
    expect(run.err).toMatch(new RegExp('^cdk-mackerel: Custom::MackerelService Service\\w+: Create failed: service "shop" was created but could not be marked, .*; '
      + 'nothing else was changed; the answer is not Mackerel\'s JSON error, .*, delete service "shop" in Mackerel \\(it is left there, in no state file\\), then apply again$'));
  }, 30_000);

  test('with the mark failing for a while, apply says the service is left, to delete before running apply again to finish', async () => {
    const dir = workDir();
    const run = await cli(['apply', failMarkAndDelete(dir, 500), '--api-base', shared.emulator.url, '--timeout', '2']);

    expect(run.code).toBe(2);
    expect(run.err).toMatch(new RegExp('^cdk-mackerel: Custom::MackerelService Service\\w+: Create failed: service "shop" was created but its mark\'s outcome is unknown \\(its last answer HTTP 500\\), '
      + 'so it may or may not be marked, .*; '
      + 'what succeeded is saved in \\S+, delete service "shop" in Mackerel \\(it is left there, in no state file\\), then run apply again to finish$'));
  }, 30_000);

  test('with the mark failing for a while and the key refused deleting the service again, apply says so, as the handler\'s advice does', async () => {
    const dir = workDir();
    const run = await cli(['apply', failMarkAndDelete(dir, 500, undefined, 403), '--api-base', shared.emulator.url, '--timeout', '2']);

    expect(run.code).toBe(2);
    expect(run.err).toMatch(new RegExp('^cdk-mackerel: Custom::MackerelService Service\\w+: Create failed: service "shop" was created but .* Deleting it: DELETE /api/v0/services/shop: HTTP 403: boom; '
      + 'what succeeded is saved in \\S+, delete service "shop" in Mackerel \\(it is left there, in no state file; Mackerel refused MACKEREL_APIKEY deleting it: '
      + 'check that it has write permission and that the organization\'s API IP restriction, if it has one, allows this machine\\), then run apply again to finish$'));
  }, 30_000);
});

describe('an object deleted in Mackerel outside the template, then changed in it', () => {
  const v = { cpuWarning: 80, memMetric: 'memory%', alive: false };
  const remove = async (path: string) => {
    const response = await fetch(new URL(`api/v0/${path}`, shared.emulator.url), { method: 'DELETE', headers: { 'X-Api-Key': shared.emulator.apiKey } });
    expect(response.status).toBe(200);
  };
  /** Applies the shop, deletes `path` in Mackerel, then diffs and applies the shop with `change`. */
  async function goneThenChanged(path: () => string, change: Partial<typeof v> & { serviceMemo?: string; serviceId?: string }) {
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
    expect((await cli(['apply', synthShop(dir, v), ...base])).code).toBe(0);
    await remove(path());
    const assembly = synthShop(dir, { ...v, ...change });
    return { diff: await cli(['diff', assembly, ...base]), apply: await cli(['apply', assembly, ...base]) };
  }

  test('a monitor is re-created under a new ID: diff says replace, as apply then does', async () => {
    const { diff, apply } = await goneThenChanged(() => `monitors/${monitorsByName()['web cpu'].id}`, { cpuWarning: 70 });
    expect(diff.out).toMatch(/^! replace +Monitor +Shop\/Cpu\w+ \w+ "web cpu" \(new Mackerel ID; the old object is deleted\)\n {6}warning: "80" -> "70"$/m);
    expect(diff.out).not.toMatch(/~ update/);
    expect(apply.out).toMatch(/replaced +Monitor +Shop\/Cpu\w+ \w+ -> \w+ "web cpu"$/m);
  });

  test('a service is created anew with the memo of the template: diff says update, as apply then does, not that apply cannot change it', async () => {
    const { diff, apply } = await goneThenChanged(() => 'services/shop', { serviceMemo: 'the new shop' });
    expect(diff.out).toMatch(/^~ update +Service +Shop\/Service\w+ shop "shop"\n {6}memo: "the shop" -> "the new shop"$/m);
    expect(diff.out).not.toMatch(/= kept/);
    expect(apply.out).toMatch(/updated +Service +Shop\/Service\w+ shop "shop"$/m);
    expect(shared.emulator.state().services).toEqual([expect.objectContaining({ name: 'shop', memo: 'the new shop' })]);
  });

  test('a service moved to a new construct id is created anew: diff says create and delete, as the README says', async () => {
    const { diff } = await goneThenChanged(() => 'services/shop', { serviceId: 'Moved' });
    expect(diff.out).toMatch(/^\+ create +Service +Shop\/Moved\w+ "shop"$/m);
    expect(diff.out).toMatch(/^- delete +Service +Shop\/Service\w+ shop "shop"$/m);
    expect(diff.out).not.toMatch(/> move/);
  });
});

describe('--timeout', () => {
  test('a number of seconds with a fraction of a millisecond applies as any other', async () => {
    // Every request failed before it was sent ('The value of "delay" is out of range'), reported as an unknown outcome.
    const dir = workDir();
    const run = await cli(['apply', synthShop(dir, { cpuWarning: 80, memMetric: 'memory%', alive: true }), '--api-base', shared.emulator.url, '--timeout', '10.0005']);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(Object.keys(monitorsByName())).toHaveLength(3);
  });
});

describe('the API key', () => {
  test('reaches the handler in this process, never through process.env, where a child process or a dump of the environment would get it', async () => {
    const key = shared.emulator.apiKey;
    expect(process.env.MACKEREL_APIKEY).toBeUndefined();
    const sent: Array<{ method: string; key: string | null; envKey: string | undefined; envBase: string | undefined }> = [];
    const realFetch = globalThis.fetch;
    const spy = vi.spyOn(globalThis, 'fetch').mockImplementation((input, init) => {
      // The client hands fetch a Request of its own (client.ts), whose method and headers are the call's.
      const request = input instanceof Request ? input : undefined;
      sent.push({
        method: init?.method ?? request?.method ?? 'GET',
        key: new Headers(init?.headers ?? request?.headers).get('X-Api-Key'),
        envKey: process.env.MACKEREL_APIKEY,
        envBase: process.env.MACKEREL_APIBASE,
      });
      return realFetch(input, init);
    });
    let run;
    try {
      run = await cli(['apply', synthShop(workDir(), { cpuWarning: 80, memMetric: 'memory%', alive: true }), '--api-base', shared.emulator.url], { MACKEREL_APIKEY: key });
    } finally {
      spy.mockRestore();
    }
    expect(run.code).toBe(0);
    // The handler's creates carried the key, which was in the process's environment at no time.
    const creates = sent.filter((s) => s.method === 'POST');
    expect(creates.length).toBeGreaterThan(0);
    expect(creates.filter((s) => s.key !== key)).toEqual([]);
    expect(sent.filter((s) => s.envKey !== undefined || s.envBase !== undefined)).toEqual([]);
    expect(process.env.MACKEREL_APIKEY).toBeUndefined();
  });

  test('of another organization at the same API base is refused before anything is sent: its services of the same app would be taken for the state\'s', async () => {
    // GIVEN the shop applied to organization alpha, then to organization beta at the same address with a state of its own
    const dir = workDir();
    const assembly = synthShop(dir, { cpuWarning: 80, memMetric: 'memory%', alive: true });
    const alpha = await startEmulator({ port: 0, orgName: 'alpha' });
    const url = alpha.url;
    const state = join(dir, 'alpha.json');
    expect((await cli(['apply', assembly, '--api-base', url, '--state', state])).code).toBe(0);
    await alpha.close();
    const beta = await startEmulator({ port: Number(new URL(url).port), orgName: 'beta' });
    try {
      // The pooled connection to alpha fails once (a new process would have none).
      await fetch(new URL('api/v0/org', url)).catch(() => undefined);
      expect((await cli(['apply', assembly, '--api-base', url, '--state', join(dir, 'beta.json')])).code).toBe(0);
      const before = beta.requests().length;

      // WHEN alpha's state is used with beta's key, to diff, apply and destroy
      const runs = [];
      for (const command of [['diff'], ['apply'], ['apply', '--destroy']]) runs.push(await cli([...command, assembly, '--api-base', url, '--state', state]));

      // THEN each is refused, naming both organizations, and beta keeps its objects
      for (const run of runs) {
        expect(run.code).toBe(2);
        expect(run.err).toMatch(new RegExp(`^cdk-mackerel: state file ${state.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} belongs to organization "alpha", not "beta", `
          + 'the organization of the API key; use a key of "alpha", or pass --state with another file for "beta"; nothing was changed$'));
      }
      expect(beta.requests().slice(before).filter((r) => r.method !== 'GET')).toEqual([]);
      expect(beta.state().services.map((s) => s.name)).toEqual(['shop']);
      expect(beta.state().monitors).toHaveLength(3);
    } finally {
      await beta.close();
    }
  });

  test('a state written before the organization was recorded gets it from the next apply, one that changes nothing too', async () => {
    const dir = workDir();
    const assembly = synthShop(dir, { cpuWarning: 80, memMetric: 'memory%', alive: true });
    const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
    expect((await cli(['apply', assembly, ...base])).code).toBe(0);
    const { organization, ...older } = readState(join(dir, 'state.json'));
    expect(organization).toBe('emulator');
    writeFileSync(join(dir, 'state.json'), JSON.stringify(older));

    const run = await cli(['apply', assembly, ...base]);

    expect(run.out).toMatch(/^Done: 5 unchanged\.$/m);
    expect(readState(join(dir, 'state.json')).organization).toBe('emulator');
  });

  test('a state written before the organization was recorded that holds only old objects still to delete gets it before the first delete', async () => {
    // GIVEN a state of this API base, of no recorded organization, whose only entry is a monitor still to delete
    const dir = workDir();
    const assembly = synthShop(dir, { cpuWarning: 80, memMetric: 'memory%', alive: true });
    const file = join(dir, 'state.json');
    const base = ['--api-base', shared.emulator.url, '--state', file];
    const monitor = { id: '3Yr2Tf9Xu7A' };
    const pendingDeletes = [{ stackName: 'Shop', logicalId: 'Old', type: 'Custom::MackerelMonitor', physicalId: monitor.id, dependsOn: [] }];
    writeFileSync(file, JSON.stringify({ version: 1, apiBase: shared.emulator.url, stacks: {}, pendingDeletes }));

    // WHEN a destroy fails on that delete, so that the run saves nothing of its own
    shared.emulator.injectFault({ path: '/api/v0/monitors*', status: 400, body: { error: { message: 'boom' } }, times: 1000 });
    let run;
    try {
      run = await cli(['apply', assembly, ...base, '--destroy']);
    } finally {
      shared.emulator.clearFaults();
    }

    // THEN the state still records the organization of the key, which a later run with a key of another refuses
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/boom/);
    expect(readState(file)).toMatchObject({ organization: 'emulator', pendingDeletes: [{ physicalId: monitor.id }] });
  });

  test('an answer of GET /api/v0/org without an organization name is refused, not recorded: the next run would refuse the state or find it damaged', async () => {
    // GIVEN a state written before the organization was recorded
    const dir = workDir();
    const assembly = synthShop(dir, { cpuWarning: 80, memMetric: 'memory%', alive: true });
    const file = join(dir, 'state.json');
    const base = ['--api-base', shared.emulator.url, '--state', file];
    expect((await cli(['apply', assembly, ...base])).code).toBe(0);
    const { organization: _recorded, ...older } = readState(file);
    writeFileSync(file, JSON.stringify(older));

    // WHEN the API answers GET /api/v0/org with no name, or a name that is not a string
    const runs = [];
    for (const body of [{}, { name: '' }, { name: 5 }, null]) {
      shared.emulator.injectFault({ method: 'GET', path: '/api/v0/org', status: 200, body });
      runs.push(await cli(['apply', assembly, ...base]));
    }

    // THEN each run is refused before anything is sent, the state is left without an organization, and the next run records the real one
    for (const run of runs) {
      expect(run.code).toBe(2);
      expect(run.err).toMatch(/^cdk-mackerel: GET \/api\/v0\/org answered no organization name; is --api-base a Mackerel API\?$/);
    }
    expect(readState(file).organization).toBeUndefined();
    expect((await cli(['apply', assembly, ...base])).code).toBe(0);
    expect(readState(file).organization).toBe('emulator');
  });
});

describe('a memo the handler cannot update', () => {
  test('apply says it was not applied, and diff compares the memo Mackerel kept with the template, never as drift', async () => {
    // GIVEN the shop applied with the memo "one"
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url];
    const v = { cpuWarning: 80, memMetric: 'memory%', alive: false };
    let assembly = synthShop(dir, { ...v, serviceMemo: 'one' });
    expect((await cli(['apply', assembly, ...base])).code).toBe(0);

    // WHEN the template's memo becomes "two"
    assembly = synthShop(dir, { ...v, serviceMemo: 'two' });

    // THEN diff does not promise an update, but shows what Mackerel keeps
    let run = await cli(['diff', assembly, ...base]);
    expect(run.out).not.toMatch(/~ update/);
    expect(run.out).toMatch(/= kept\s+Service\s+Shop\/Service\w* shop "shop"[^\n]*no update API[^\n]*\n\s+memo: "one" -> "two"\n1 that apply cannot change\.$/);

    // and apply writes nothing to the service, says so, and reports it unchanged
    const before = shared.emulator.requests().length;
    run = await cli(['apply', assembly, ...base]);
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/unchanged\s+Service\s+Shop\/Service\w* shop "shop"/);
    expect(run.err).toMatch(/^notice: Shop\/Service\w*: the memo of the template was not applied, as Mackerel has no API to update the memo of a service/);
    expect(shared.emulator.requests().slice(before).filter((r) => r.method !== 'GET')).toEqual([]);
    expect(shared.emulator.state().services[0].memo).toBe('one');

    // and afterwards the kept memo is still shown against the template, not as a change made outside it
    run = await cli(['diff', assembly, ...base]);
    expect(run.code).toBe(3);
    expect(run.out).not.toMatch(/drift/);
    expect(run.out).toMatch(/= kept\s+Service[^\n]*\n\s+memo: "one" -> "two"\n1 that apply cannot change\.$/);

    // and a template back at the memo Mackerel kept has no difference left
    assembly = synthShop(dir, { ...v, serviceMemo: 'one' });
    expect((await cli(['apply', assembly, ...base])).code).toBe(0);
    run = await cli(['diff', assembly, ...base]);
    expect(run.out).toBe('No differences.');
    expect(run.code).toBe(0);
  });

  test('a service moved to a new logical ID with another memo keeps its memo, and diff shows it as kept, not drift', async () => {
    // GIVEN the shop applied with the memo "one"
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url];
    const v = { cpuWarning: 80, memMetric: 'memory%', alive: false };
    expect((await cli(['apply', synthShop(dir, { ...v, serviceMemo: 'one' }), ...base])).code).toBe(0);

    // WHEN the service construct moves (a new logical ID) and its memo becomes "two"
    const assembly = synthShop(dir, { ...v, serviceMemo: 'two', serviceId: 'Shop' });

    // THEN diff shows the service and its role moving, the memo kept, and nothing else, as apply will do
    let run = await cli(['diff', assembly, ...base]);
    expect(run.out).toMatch(/^> move\s+Service\s+Shop\/Service\w+ -> Shop\/Shop\w+ shop "shop"[^\n]*\n= kept\s+Service\s+Shop\/Shop\w+ shop "shop"[^\n]*\n\s+memo: "one" -> "two"\n/);
    expect(run.out).toMatch(/\n> move\s+Role\s+Shop\/Serviceweb\w+ -> Shop\/Shopweb\w+ shop:web "web"[^\n]*\n2 to move, 1 that apply cannot change\.$/);
    expect(run.code).toBe(1);

    run = await cli(['apply', assembly, ...base]);

    // THEN the new resource takes the service over, which keeps "one", and apply says so in diff's words
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/\] moved\s+Service\s+Shop\/Service\w+ -> Shop\/Shop\w+ shop "shop"\n/);
    expect(run.out).toMatch(/\] moved\s+Role\s+Shop\/Serviceweb\w+ -> Shop\/Shopweb\w+ shop:web "web"\n/);
    expect(run.out).not.toMatch(/created/);
    // and the old resource lets go of it rather than deleting it, and says so
    expect(run.out).toMatch(/released\s+Service\s+Shop\/Service\w+ shop "shop" \(taken over by Shop\/Shop\w+; it stays in Mackerel\)/);
    expect(run.out).toMatch(/released\s+Role\s+Shop\/Serviceweb\w+ shop:web "web" \(taken over by Shop\/Shopweb\w+; it stays in Mackerel\)/);
    expect(run.out).not.toMatch(/deleted/);
    expect(run.out).toMatch(/Done: 2 moved, 2 released, 2 unchanged\.\nIn Mackerel: 1 Service, 1 Role, 2 Monitor\./);
    expect(run.err).toMatch(/notice: Shop\/Shop\w*: the memo of the template was not applied/);
    expect(shared.emulator.state().services.map((s: { memo: string }) => s.memo)).toEqual(['one']);

    // and diff shows the kept memo against the template, never as a change made outside it
    run = await cli(['diff', assembly, ...base]);
    expect(run.out).not.toMatch(/drift/);
    expect(run.out).toMatch(/= kept\s+Service[^\n]*\n\s+memo: "one" -> "two"/);
  });
});

/** A stack with the provider, in a new app writing to `<dir>/cdk.out`. */
function stackWithProvider(dir: string, name: string, app = new App({ outdir: join(dir, 'cdk.out') })): { app: App; stack: Stack; outdir: string } {
  const outdir = join(dir, 'cdk.out');
  const stack = new Stack(app, name);
  addProvider(stack);
  return { app, stack, outdir };
}

describe('template parameters', () => {
  test('a list property fed from a CommaDelimitedList parameter is sent as a list, as CloudFormation sends it', async () => {
    const dir = workDir();
    const { app, stack, outdir } = stackWithProvider(dir, 'ListParam');
    const svc = new MackerelService(stack, 'Svc', { name: 'listparam' });
    const scopes = new CfnParameter(stack, 'Scopes', { type: 'CommaDelimitedList', default: ' listparam ' });
    const monitor = new ConnectivityMonitor(stack, 'Alive', { name: 'alive', scopes: [MonitorScope.fromService(svc)] });
    (monitor.node.findChild('Resource').node.defaultChild as any).addPropertyOverride('scopes', scopes.valueAsList);
    monitor.node.addDependency(svc); // the override drops the Ref that ordered the service first
    app.synth();

    const run = await cli(['apply', outdir, '--api-base', shared.emulator.url]);

    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(monitorsByName().alive.scopes).toEqual(['listparam']);
  });

  test('a value read from SSM at deploy time is a reported placeholder against the emulator, and refused against an organization', async () => {
    const dir = workDir();
    const { app, stack, outdir } = stackWithProvider(dir, 'SsmParam');
    const memo = ssm.StringParameter.valueForStringParameter(stack, '/shop/service-memo');
    new MackerelService(stack, 'Svc', { name: 'ssmparam', memo });
    app.synth();

    // Not a local address, so the CLI treats it as an organization: the loopback as an IPv4-mapped IPv6 address.
    const organization = shared.emulator.url.replace('127.0.0.1', '[::ffff:127.0.0.1]');
    let run = await cli(['apply', outdir, '--api-base', organization], { MACKEREL_APIKEY: shared.emulator.apiKey });
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/^cdk-mackerel: SsmParam: resource Svc\w+, property memo, uses parameter SsmParameterValue\w+ \(AWS::SSM::Parameter::Value<String>\): CloudFormation passes the value of SSM parameter \/shop\/service-memo, which cdk-mackerel does not read from AWS .*; expected the value with --parameters SsmParam:SsmParameterValue\w+=VALUE .*; nothing was changed$/);
    expect(shared.emulator.state().services).toEqual([]);

    run = await cli(['apply', outdir, '--api-base', shared.emulator.url]);
    expect(run.code).toBe(0);
    expect(run.err).toMatch(/^notice: parameter SsmParameterValue\w+ \(AWS::SSM::Parameter::Value<String>\) is not read from SSM parameter \/shop\/service-memo for the emulator; using the placeholder https:\/\/ssm.emulator.invalid\/shop\/service-memo$/);
    expect(shared.emulator.state().services.find((s: any) => s.name === 'ssmparam')?.memo).toBe('https://ssm.emulator.invalid/shop/service-memo');
  });

  test('only the conditions of Mackerel resources (and what they reference) are evaluated; --parameters gives what they need', async () => {
    const dir = workDir();
    const file = join(dir, 'Shop.template.json');
    const write = (memo: unknown) => writeFileSync(file, JSON.stringify({
      Parameters: { Env: { Type: 'String' }, Team: { Type: 'String', Default: 'web' } }, // Env: given at deploy time
      Conditions: { IsProd: { 'Fn::Equals': [{ Ref: 'Env' }, 'prod'] } },
      Resources: {
        Fn: { Type: 'AWS::Lambda::Function', Properties: {} },
        Backup: { Type: 'AWS::S3::Bucket', Condition: 'IsProd' },
        Svc: { Type: 'Custom::MackerelService', Properties: { ServiceToken: { 'Fn::GetAtt': ['Fn', 'Arn'] }, name: 'condparam', memo } },
      },
    }));
    const base = ['--api-base', shared.emulator.url];

    // Env only decides a bucket: it does not matter to Mackerel.
    write('plain');
    let run = await cli(['apply', file, ...base]);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    await cli(['apply', file, ...base, '--destroy']);

    // A Mackerel resource uses Env: without a value, refused before anything changes, saying how to give it.
    write({ 'Fn::Sub': '${Team} ${Env}' });
    run = await cli(['diff', file, ...base]);
    expect(run.err).toBe('cdk-mackerel: Shop: parameter Env has no Default; expected its value with --parameters Shop:Env=VALUE, as cdk deploy takes it');
    expect(run.code).toBe(2);

    // A stack's own value wins over one for every stack; Default gives way to a value given.
    run = await cli(['apply', file, ...base, '--parameters', 'Shop:Env=prod', '--parameters', 'Env=dev', '--parameters', 'Team=ops']);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(shared.emulator.state().services.find((s: any) => s.name === 'condparam')?.memo).toBe('ops prod');
    run = await cli(['diff', file, ...base, '--parameters', 'Env=prod', '--parameters', 'Team=ops']);
    expect(run.out).toBe('No differences.');
    expect(run.code).toBe(0);
  });

  test('--destroy needs no parameter values, as CloudFormation\'s delete takes none, though a Condition of the objects used them', async () => {
    const dir = workDir();
    const { app, stack, outdir } = stackWithProvider(dir, 'CondDestroy');
    const env = new CfnParameter(stack, 'Env', { type: 'String' });
    const prod = new CfnCondition(stack, 'IsProd', { expression: Fn.conditionEquals(env.valueAsString, 'prod') });
    const svc = new MackerelService(stack, 'Svc', { name: 'conddestroy' });
    (svc.node.findChild('Resource').node.defaultChild as CfnResource).cfnOptions.condition = prod;
    app.synth();
    const base = ['--api-base', shared.emulator.url];
    expect((await cli(['apply', outdir, ...base, '--parameters', 'Env=prod'])).code).toBe(0);
    expect(shared.emulator.state().services.map((s: any) => s.name)).toEqual(['conddestroy']);

    const run = await cli(['apply', outdir, ...base, '--destroy']);
    expect(run.err).toBe('');
    expect(run.out).toMatch(/deleted +Service +CondDestroy\/Svc\w+ conddestroy/);
    expect(run.code).toBe(0);
    expect(shared.emulator.state().services).toEqual([]);
  });

  test('Fn::FindInMap reads a CfnMapping by the stack\'s region, and a DefaultValue stands in for a missing key', async () => {
    const dir = workDir();
    const { app, stack, outdir } = stackWithProvider(dir, 'Mapped');
    const names = new CfnMapping(stack, 'Names', { mapping: { 'us-east-1': { service: 'mapped-use1' }, 'eu-west-1': { service: 'mapped-euw1' } } });
    const memos = new CfnMapping(stack, 'Memos', { mapping: { 'us-east-1': { other: 'x' } } });
    new MackerelService(stack, 'Svc', { name: names.findInMap(stack.region, 'service'), memo: memos.findInMap(stack.region, 'memo', 'the default memo') });
    app.synth();
    const template = readFileSync(join(outdir, 'Mapped.template.json'), 'utf8');
    expect(template).toContain('"DefaultValue"');

    const run = await cli(['apply', outdir, '--api-base', shared.emulator.url, '--region', 'eu-west-1']);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(shared.emulator.state().services.map((s: any) => [s.name, s.memo])).toEqual([['mapped-euw1', 'the default memo']]);

    const other = await cli(['diff', outdir, '--api-base', shared.emulator.url, '--region', 'ap-northeast-1']);
    expect(other.err).toBe('cdk-mackerel: Mapped: Fn::FindInMap ["Names","ap-northeast-1","service"]: mapping "Names" has no key "ap-northeast-1"; expected one of "us-east-1", "eu-west-1"');
    expect(other.code).toBe(2);
  });

  test('a value of a resource outside Mackerel (a load balancer DNS name) is refused against an organization before anything is sent; the emulator gets a .invalid placeholder, reported', async () => {
    const dir = workDir();
    const { app, stack, outdir } = stackWithProvider(dir, 'Web');
    const svc = new MackerelService(stack, 'Svc', { name: 'webplace' });
    const lb = new CfnResource(stack, 'Alb', { type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', properties: { Subnets: ['subnet-1'] } });
    // Created after the service: refused before the first operation, not halfway.
    new ExternalHttpMonitor(stack, 'Top', { name: 'top page', url: `https://${Token.asString(lb.getAtt('DNSName'))}/`, service: svc });
    app.synth();
    const refusal = /Web: resource Top\w+, property url, uses Alb\.DNSName \(AWS::ElasticLoadBalancingV2::LoadBalancer\), which is not a Mackerel resource: only CloudFormation knows its value, and cdk-mackerel does not read it from AWS; a placeholder is never sent to a real organization; expected the real value through a template parameter \(CfnParameter\) given with --parameters Web:NAME=VALUE, or a run against the emulator \(--emulator, or a local --api-base\), which uses a placeholder/;

    const organization = shared.emulator.url.replace('127.0.0.1', '[::ffff:127.0.0.1]');
    const key = { MACKEREL_APIKEY: shared.emulator.apiKey };
    let run = await cli(['apply', outdir, '--api-base', organization, '--state', join(dir, 'org.json')], key);
    expect(run.code).toBe(2);
    expect(run.err).toMatch(new RegExp(`^cdk-mackerel: ${refusal.source}; nothing was changed$`));
    expect(shared.emulator.requests().filter((r) => r.method !== 'GET')).toEqual([]);
    run = await cli(['diff', outdir, '--api-base', organization, '--state', join(dir, 'org.json')], key);
    expect(run.code).toBe(2);
    expect(run.err).toMatch(new RegExp(`^cdk-mackerel: ${refusal.source}$`));

    run = await cli(['apply', outdir, '--api-base', shared.emulator.url]);
    expect(run.code).toBe(0);
    expect(run.err).toBe('notice: Alb.DNSName (AWS::ElasticLoadBalancingV2::LoadBalancer) is not a Mackerel resource; using the placeholder Alb.DNSName.placeholder.invalid');
    expect(monitorsByName()['top page'].url).toBe('https://Alb.DNSName.placeholder.invalid/');
    run = await cli(['diff', outdir, '--api-base', shared.emulator.url]);
    expect(run.out).toBe('No differences.');
    expect(run.err).toBe('notice: Alb.DNSName (AWS::ElasticLoadBalancingV2::LoadBalancer) is not a Mackerel resource; using the placeholder Alb.DNSName.placeholder.invalid');
  });

  test('--parameters gives the value of an SSM-typed parameter, also against an organization', async () => {
    const dir = workDir();
    const { app, stack, outdir } = stackWithProvider(dir, 'SsmGiven');
    const memo = ssm.StringParameter.valueForStringParameter(stack, '/shop/service-memo');
    new MackerelService(stack, 'Svc', { name: 'ssmgiven', memo });
    app.synth();
    const param = Object.keys(JSON.parse(readFileSync(join(outdir, 'SsmGiven.template.json'), 'utf8')).Parameters)
      .find((p) => p.startsWith('SsmParameterValue'))!;

    const organization = shared.emulator.url.replace('127.0.0.1', '[::ffff:127.0.0.1]');
    const run = await cli(['apply', outdir, '--api-base', organization, '--parameters', `SsmGiven:${param}=the memo, from SSM`], { MACKEREL_APIKEY: shared.emulator.apiKey });
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(shared.emulator.state().services.find((s: any) => s.name === 'ssmgiven')?.memo).toBe('the memo, from SSM');
  });
});

/** An app of stacks with the provider, each filled by its builder, synthesized into `<dir>/cdk.out` (emptied first). */
function synthStacks(dir: string, stacks: { [name: string]: (stack: Stack) => void }): string {
  const outdir = join(dir, 'cdk.out');
  rmSync(outdir, { recursive: true, force: true });
  const app = new App({ outdir });
  for (const [name, build] of Object.entries(stacks)) build(stackWithProvider(dir, name, app).stack);
  app.synth();
  return outdir;
}

describe('what the templates no longer have', () => {
  const services = () => shared.emulator.state().services.map((s: any) => s.name);

  test('removing the last Mackerel construct of a stack deletes its objects; with nothing left, the stack is refused again', async () => {
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
    const outdir = synthStacks(dir, { Last: (s) => new MackerelService(s, 'Svc', { name: 'last' }) });
    expect((await cli(['apply', outdir, ...base])).code).toBe(0);

    synthStacks(dir, { Last: () => undefined });
    const diff = await cli(['diff', outdir, ...base]);
    expect(diff.err).toBe('');
    expect(diff.out).toMatch(/^- delete +Service +Last\/Svc\w+ last "last"\n1 to delete\.$/);
    expect(diff.code).toBe(1);
    const run = await cli(['apply', outdir, ...base]);
    expect(run.err).toBe('');
    expect(run.out).toMatch(/deleted +Service +Last\/Svc\w+ last/);
    expect(run.code).toBe(0);
    expect(services()).toEqual([]);
    expect(readState(join(dir, 'state.json')).stacks).toEqual({});

    const again = await cli(['apply', outdir, ...base]);
    expect(again.err).toMatch(/^cdk-mackerel: \S+ has no Custom::Mackerel\* resources; expected an app that uses MackerelProvider/);
    expect(again.code).toBe(2);
  });

  test('diff predicts a removed service that apply will leave because a removed role of it is retained; one removed with its own roles is a delete', async () => {
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
    const outdir = synthStacks(dir, {
      Last: (s) => {
        new MackerelService(s, 'Shop', { name: 'shop' }).addRole('web');
        new MackerelService(s, 'Keep', { name: 'keep' }).addRole('db', { removalPolicy: RemovalPolicy.RETAIN });
      },
    });
    expect((await cli(['apply', outdir, ...base])).code).toBe(0);
    synthStacks(dir, { Last: () => undefined });

    const diff = await cli(['diff', outdir, ...base]);
    const apply = await cli(['apply', outdir, ...base]);

    expect(diff.out).toMatch(/^- leave +Service +Last\/Keep\w+ keep "keep" \(not deleted: it still has role "keep:db", not this resource's, which deleting it would delete; it stays in Mackerel\)$/m);
    expect(diff.out).toMatch(/^- delete +Service +Last\/Shop\w+ shop "shop"$/m);
    expect(diff.out).toMatch(/^1 to leave, 1 to retain, 2 to delete\.$/m);
    expect(apply.out).toMatch(/left +Service +Last\/Keep\w+ keep "keep" \(not deleted: it still has role "keep:db", not this resource's, which deleting it would delete; it stays in Mackerel\)$/m);
    expect(apply.out).toMatch(/^Done: 2 deleted, 1 left, 1 retained\.$/m);
  });

  test('a removed service that the handler leaves in Mackerel (a role made outside cdk-mackerel is in it) is reported as left, with why, not as deleted', async () => {
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
    const outdir = synthStacks(dir, { Last: (s) => new MackerelService(s, 'Svc', { name: 'last' }) });
    expect((await cli(['apply', outdir, ...base])).code).toBe(0);
    await byHand('services/last/roles', { name: 'byhand' });

    synthStacks(dir, { Last: () => undefined });
    // diff predicts it from the roles it reads with the service, in apply's words
    const diff = await cli(['diff', outdir, ...base]);
    expect(diff.out).toMatch(/^- leave +Service +Last\/Svc\w+ last "last" \(not deleted: it still has role "last:byhand", not this resource's, which deleting it would delete; it stays in Mackerel\)\n1 to leave\.$/);
    expect(diff.code).toBe(1);
    const run = await cli(['apply', outdir, ...base]);

    expect(run.err).toBe('');
    expect(run.out).toMatch(/\[1\/1\] left +Service +Last\/Svc\w+ last "last" \(not deleted: it still has role "last:byhand", not this resource's, which deleting it would delete; it stays in Mackerel\)/);
    expect(run.out).toMatch(/^Done: 1 left\.$/m);
    expect(run.code).toBe(0);
    expect(services()).toEqual(['last']);
    expect(readState(join(dir, 'state.json')).stacks).toEqual({});
  });

  test('a removed role that a monitor made outside cdk-mackerel is scoped to alone is left in Mackerel, with the monitor, and reported as left', async () => {
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
    const outdir = synthStacks(dir, { Roles: (s) => new MackerelService(s, 'Svc', { name: 'roles' }).addRole('web') });
    expect((await cli(['apply', outdir, ...base])).code).toBe(0);
    const { id } = await byHand('monitors', { type: 'host', name: 'web cpu by hand', metric: 'cpu%', operator: '>', warning: 80, duration: 1, scopes: ['roles:web'] });

    synthStacks(dir, { Roles: (s) => new MackerelService(s, 'Svc', { name: 'roles' }) });
    const diff = await cli(['diff', outdir, ...base]);
    const run = await cli(['apply', outdir, ...base]);

    const why = `\\(not deleted: it is still named in the scopes of monitor "web cpu by hand" \\(${id}\\), `
      + 'not this resource\'s, which deleting it would delete or change; it stays in Mackerel\\)';
    // diff says so first, in apply's words
    expect(diff.err).toBe('');
    expect(diff.out).toMatch(new RegExp(`^- leave +Role +Roles/Svcweb\\w+ roles:web "web" ${why}\n1 to leave\\.$`));
    expect(run.err).toBe('');
    expect(run.out).toMatch(new RegExp(`\\[2/2\\] left +Role +Roles/Svcweb\\w+ roles:web "web" ${why}\n`));
    expect(run.out).toMatch(/^Done: 1 left, 1 unchanged\.$/m);
    expect(run.code).toBe(0);
    expect(shared.emulator.state().services.find((s: any) => s.name === 'roles')?.roles.map((r: any) => r.name)).toEqual(['web']);
    expect(monitorsByName()['web cpu by hand']).toMatchObject({ id, scopes: ['roles:web'] });
  });

  test('a removed service that a downtime made outside cdk-mackerel is scoped to alone is left in Mackerel, with the downtime, and reported as left', async () => {
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
    const outdir = synthStacks(dir, { Muted: (s) => new MackerelService(s, 'Svc', { name: 'muted' }) });
    expect((await cli(['apply', outdir, ...base])).code).toBe(0);
    const { id } = await byHand('downtimes', { name: 'muted by hand', start: 2_000_000_000, duration: 60, serviceScopes: ['muted'] });

    synthStacks(dir, { Muted: () => undefined });
    const diff = await cli(['diff', outdir, ...base]);
    const run = await cli(['apply', outdir, ...base]);

    const why = `\\(not deleted: it is still named in the scopes of downtime "muted by hand" \\(${id}\\), `
      + 'not this resource\'s, which deleting it would delete or change; it stays in Mackerel\\)';
    // diff says so first, in apply's words
    expect(diff.err).toBe('');
    expect(diff.out).toMatch(new RegExp(`^- leave +Service +Muted/Svc\\w+ muted "muted" ${why}\n1 to leave\\.$`));
    expect(run.err).toBe('');
    expect(run.out).toMatch(new RegExp(`\\[1/1\\] left +Service +Muted/Svc\\w+ muted "muted" ${why}\n`));
    expect(run.out).toMatch(/^Done: 1 left\.$/m);
    expect(run.code).toBe(0);
    expect(services()).toContain('muted');
    expect(shared.emulator.state().downtimes.find((d: any) => d.id === id)).toMatchObject({ serviceScopes: ['muted'] });
  });

  test('a removed service that an expression monitor made outside cdk-mackerel reads by service(...) is left in Mackerel, and diff says so first', async () => {
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
    const outdir = synthStacks(dir, { Read: (s) => new MackerelService(s, 'Svc', { name: 'readby' }) });
    expect((await cli(['apply', outdir, ...base])).code).toBe(0);
    const { id } = await byHand('monitors', { type: 'expression', name: 'orders by hand', expression: 'sum(service(readby, orders.count))', operator: '<', warning: 10 });

    synthStacks(dir, { Read: () => undefined });
    const diff = await cli(['diff', outdir, ...base]);
    const run = await cli(['apply', outdir, ...base]);

    const why = `\\(not deleted: it is still named in service\\(\\.\\.\\.\\) of the expression of monitor "orders by hand" \\(${id}\\), `
      + 'not this resource\'s, which deleting it would leave alerting Unknown; it stays in Mackerel\\)';
    expect(diff.err).toBe('');
    expect(diff.out).toMatch(new RegExp(`^- leave +Service +Read/Svc\\w+ readby "readby" ${why}\n1 to leave\\.$`));
    expect(run.err).toBe('');
    expect(run.out).toMatch(new RegExp(`\\[1/1\\] left +Service +Read/Svc\\w+ readby "readby" ${why}\n`));
    expect(run.code).toBe(0);
    expect(services()).toContain('readby');
    expect(monitorsByName()['orders by hand']).toMatchObject({ id, expression: 'sum(service(readby, orders.count))' });
  });

  test('why a delete left its object (LeftInMackerel) is scrubbed as every line is: a role named as a NoEcho value shows ****', async () => {
    // GIVEN: a service holding a role made outside, named as the value of a NoEcho parameter of the stack
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json'), '--parameters', 'Left:Token=sekret-role-0815'];
    const token = (s: Stack) => new CfnParameter(s, 'Token', { type: 'String', noEcho: true });
    const outdir = synthStacks(dir, { Left: (s) => { token(s); new MackerelService(s, 'Svc', { name: 'leftsec' }); } });
    expect((await cli(['apply', outdir, ...base])).code).toBe(0);
    await byHand('services/leftsec/roles', { name: 'sekret-role-0815' });

    // WHEN: the service is removed, the parameter kept
    synthStacks(dir, { Left: (s) => { token(s); } });
    const diff = await cli(['diff', outdir, ...base]);
    const run = await cli(['apply', outdir, ...base]);

    // THEN: diff's prediction and apply's handler's LeftInMackerel both name the role masked
    expect(diff.out).toMatch(/^- leave +Service +Left\/Svc\w+ leftsec "leftsec" \(not deleted: it still has role "leftsec:\*\*\*\*", /m);
    expect(run.out).toMatch(/left +Service +Left\/Svc\w+ leftsec "leftsec" \(not deleted: it still has role "leftsec:\*\*\*\*", /);
    expect(`${diff.out}${diff.err}${run.out}${run.err}`).not.toContain('sekret-role-0815');
    expect(services()).toContain('leftsec');
  });

  test('a stack removed from the app whose service has a role made outside: diff reads it live, and says leave as apply --destroy --stack leaves it', async () => {
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
    expect((await cli(['apply', synthStacks(dir, { Gone: (s) => new MackerelService(s, 'Svc', { name: 'gone-shop' }).addRole('web') }), ...base])).code).toBe(0);
    await byHand('services/gone-shop/roles', { name: 'byhand' });
    // WHEN the app no longer has the stack
    const outdir = synthStacks(dir, { Kept: (s) => new MackerelService(s, 'Svc', { name: 'kept-shop' }) });
    const why = '\\(not deleted: it still has role "gone-shop:byhand", not this resource\'s, which deleting it would delete; it stays in Mackerel\\)';
    // THEN diff, of the whole app and of that stack alone, says what apply --destroy --stack does: the role of the stack goes, the service stays
    for (const only of [[], ['--stack', 'Gone']]) {
      const diff = await cli(['diff', outdir, ...base, ...only]);
      expect(diff.out).toMatch(new RegExp(`^- leave +Service +Gone/Svc\\w+ gone-shop "gone-shop" ${why}$`, 'm'));
      expect(diff.out).toMatch(/^- delete +Role +Gone\/Svcweb\w+ gone-shop:web "web"$/m);
    }
    const destroy = await cli(['apply', outdir, ...base, '--destroy', '--stack', 'Gone']);
    expect(destroy.out).toMatch(new RegExp(`left +Service +Gone/Svc\\w+ gone-shop "gone-shop" ${why}$`, 'm'));
    expect(destroy.out).toMatch(/^Done: 1 deleted, 1 left\.$/m);
    expect(services()).toContain('gone-shop');
  });

  test('a stack removed from the app: diff shows its objects deleted or changed outside, as for a stack of the app', async () => {
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
    expect((await cli(['apply', synthStacks(dir, { Drop: (s) => new MackerelService(s, 'Svc', { name: 'drop-shop' }).addRole('web') }), ...base])).code).toBe(0);
    const gone = await fetch(`${shared.emulator.url}api/v0/services/drop-shop/roles/web`, { method: 'DELETE', headers: { 'X-Api-Key': shared.emulator.apiKey } });
    expect(gone.status).toBe(200);
    const outdir = synthStacks(dir, { Kept: (s) => new MackerelService(s, 'Svc', { name: 'kept-drop' }) });
    const diff = await cli(['diff', outdir, ...base]);
    expect(diff.out.split('\n')).toEqual([
      expect.stringMatching(/^\+ create +Service +Kept\/Svc/), '      name: "kept-drop"',
      'stack Drop is in the state file but not in the app: apply leaves its objects in Mackerel; apply --destroy --stack Drop deletes them',
      // not what a stack of the app hears (apply re-creates it when its properties change): nothing re-creates it
      expect.stringMatching(/^\? gone +Role +Drop\/Svcweb\w+ drop-shop:web "web" deleted in Mackerel outside the template \(its stack is no longer in the app, so no apply re-creates it\)$/),
      expect.stringMatching(/^- delete +Service +Drop\/Svc\w+ drop-shop "drop-shop"$/),
      expect.stringMatching(/^- delete +Role +Drop\/Svcweb\w+ drop-shop:web "web"$/),
      '1 to create, 1 deleted outside, 2 to delete.',
    ]);
  });

  test('a stack removed from the app is not part of a --stack run of another, also when that stack is the only one of the app', async () => {
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
    expect((await cli(['apply', synthStacks(dir, { Gone: (s) => new MackerelService(s, 'Svc', { name: 'gone-alone' }) }), ...base])).code).toBe(0);
    const outdir = synthStacks(dir, { Only: (s) => new MackerelService(s, 'Svc', { name: 'only-alone' }) });
    // WHEN the app's one stack is diffed and applied with --stack
    const diff = await cli(['diff', outdir, ...base, '--stack', 'Only']);
    const apply = await cli(['apply', outdir, ...base, '--stack', 'Only']);
    // THEN both are that stack's alone, as with an app of several stacks: no line, delete or notice of the removed one
    expect(diff.out.split('\n')).toEqual([expect.stringMatching(/^\+ create +Service +Only\/Svc\w+ "only-alone"$/), '      name: "only-alone"', '1 to create.']);
    expect(apply.err).toBe('');
    expect(apply.code).toBe(0);
    expect((await cli(['diff', outdir, ...base, '--stack', 'Only'])).code).toBe(0);
    // and a run of the whole app still lists it
    expect((await cli(['diff', outdir, ...base])).out).toMatch(/^stack Gone is in the state file but not in the app/m);
  });

  test('diff predicts the old copy of a renamed service that apply will leave (a role made outside is in it); one with only its own roles is deleted', async () => {
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
    const synth = (suffix: string) => synthStacks(dir, {
      Last: (s) => {
        new MackerelService(s, 'Svc', { name: `held${suffix}` }).addRole('web');
        new MackerelService(s, 'Free', { name: `free${suffix}` }).addRole('web');
        new MackerelService(s, 'Tied', { name: `tied${suffix}` });
      },
    });
    expect((await cli(['apply', synth(''), ...base])).code).toBe(0);
    const post = (path: string, body: object) => fetch(`${shared.emulator.url}api/v0/${path}`, {
      method: 'POST', headers: { 'X-Api-Key': shared.emulator.apiKey, 'Content-Type': 'application/json' }, body: JSON.stringify(body),
    });
    expect((await post('services/held/roles', { name: 'byhand' })).status).toBe(200);
    const monitor = await post('monitors', { type: 'service', name: 'by hand', service: 'tied', metric: 'tied.x', operator: '>', warning: 1, duration: 1 });
    const { id } = await monitor.json() as { id: string };
    const outdir = synth('2');

    const diff = await cli(['diff', outdir, ...base]);
    const apply = await cli(['apply', outdir, ...base]);

    const why = 'not deleted: it still has role "held:byhand", not this resource\'s, which deleting it would delete; it stays in Mackerel';
    const escaped = why.replace(/[()]/g, '\\$&');
    expect(diff.out).toMatch(new RegExp(`^! replace +Service +Last/Svc\\w+ held "held2" \\(new Mackerel ID; the old object is ${escaped}\\)$`, 'm'));
    expect(diff.out).toMatch(/^! replace +Service +Last\/Free\w+ free "free2" \(new Mackerel ID; the old object is deleted\)$/m);
    expect(apply.out).toMatch(new RegExp(`left +Service +Last/Svc\\w+ held \\(old object of a replacement\\) \\(${escaped}\\)$`, 'm'));
    expect(apply.out).toMatch(/deleted +Service +Last\/Free\w+ free \(old object of a replacement\)$/m);
    const tied = `not deleted: it still has monitor "by hand" \\(${id}\\), not this resource's, which deleting it would delete; it stays in Mackerel`;
    expect(diff.out).toMatch(new RegExp(`^! replace +Service +Last/Tied\\w+ tied "tied2" \\(new Mackerel ID; the old object is ${tied}\\)$`, 'm'));
    expect(apply.out).toMatch(new RegExp(`left +Service +Last/Tied\\w+ tied \\(old object of a replacement\\) \\(${tied}\\)$`, 'm'));
    expect(services()).toEqual(expect.arrayContaining(['held', 'held2', 'free2', 'tied']));
    expect(services()).not.toContain('free');
  });

  test('diff predicts a removed service that apply will leave because a monitor made outside is tied to it; its own monitor, removed with it, keeps nothing', async () => {
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
    const outdir = synthStacks(dir, {
      Last: (s) => {
        new MackerelService(s, 'Keep', { name: 'keep' });
        const shop = new MackerelService(s, 'Shop', { name: 'shop' });
        new ServiceMetricMonitor(s, 'Orders', { name: 'orders', service: shop, metric: 'shop.orders', operator: MonitorOperator.LESS_THAN, warning: 1, duration: 1 });
      },
    });
    expect((await cli(['apply', outdir, ...base])).code).toBe(0);
    const { id } = await byHand('monitors', { type: 'service', name: 'by hand', service: 'keep', metric: 'keep.x', operator: '>', warning: 1, duration: 1 });
    synthStacks(dir, { Last: () => undefined });

    const diff = await cli(['diff', outdir, ...base]);
    const apply = await cli(['apply', outdir, ...base]);

    const why = `\\(not deleted: it still has monitor "by hand" \\(${id}\\), not this resource's, which deleting it would delete; it stays in Mackerel\\)`;
    expect(diff.out).toMatch(new RegExp(`^- leave +Service +Last/Keep\\w+ keep "keep" ${why}$`, 'm'));
    expect(diff.out).toMatch(/^- delete +Service +Last\/Shop\w+ shop "shop"$/m);
    expect(diff.out).toMatch(/^1 to leave, 2 to delete\.$/m);
    expect(apply.out).toMatch(new RegExp(`left +Service +Last/Keep\\w+ keep "keep" ${why}$`, 'm'));
    expect(apply.out).toMatch(/^Done: 2 deleted, 1 left\.$/m);
  });

  describe('a role and a monitor that name a service by a literal name, with no dependency on its resource', () => {
    // Hand-written, as a template of another tool may be: the library's constructs add a DependsOn on a service of their stack they name.
    const keep = { Keep: { Type: 'Custom::MackerelService', Properties: { name: 'keep' } } };
    const shop = { ZShop: { Type: 'Custom::MackerelService', Properties: { name: 'shop' } } };
    const named = {
      AWeb: { Type: 'Custom::MackerelRole', Properties: { service: 'shop', name: 'web' } },
      AOrders: { Type: 'Custom::MackerelMonitor', Properties: { type: 'service', name: 'orders', service: 'shop', metric: 'orders', operator: '>', warning: 1, duration: 1 } },
    };
    /** Applies the service, then the role and monitor naming it (created once it exists): the state records no dependency between them. */
    async function applied(): Promise<{ file: string; base: string[]; write: (resources: object) => void }> {
      const dir = workDir();
      const file = join(dir, 'Shop.template.json');
      const write = (resources: object) => writeFileSync(file, JSON.stringify({ Resources: resources }));
      const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
      write({ ...keep, ...shop });
      expect((await cli(['apply', file, ...base])).code).toBe(0);
      write({ ...keep, ...shop, ...named });
      expect((await cli(['apply', file, ...base])).code).toBe(0);
      expect(readState(join(dir, 'state.json')).stacks.Shop.resources.AWeb.dependsOn).toEqual([]);
      return { file, base, write };
    }

    test('removed with it, they are deleted before it, so it leaves Mackerel, as diff says', async () => {
      const { file, base, write } = await applied();
      write(keep);

      const diff = await cli(['diff', file, ...base]);
      const apply = await cli(['apply', file, ...base]);

      expect(diff.out).toMatch(/^- delete +Service +Shop\/ZShop shop "shop"$/m);
      expect(diff.out).toMatch(/^3 to delete\.$/m);
      expect(apply.err).toBe('');
      expect(apply.out).toMatch(/deleted +Role +Shop\/AWeb[^\n]*\n.*deleted +Monitor +Shop\/AOrders[^\n]*\n.*deleted +Service +Shop\/ZShop shop "shop"$/m);
      expect(apply.out).toMatch(/^Done: 3 deleted, 1 unchanged\.$/m);
      expect(services()).toEqual(['keep']);
    });

    test('--destroy deletes them before it too', async () => {
      const { file, base } = await applied();
      const destroy = await cli(['apply', file, ...base, '--destroy']);
      expect(destroy.err).toBe('');
      expect(destroy.out).toMatch(/^Done: 4 deleted\.$/m);
      expect(services()).toEqual([]);
    });
  });

  test('a removed role that a removed monitor of the stack names by a literal scope, with no dependency on it, is deleted after the monitor', async () => {
    // GIVEN a hand-written template: the role, then a monitor scoped to it by its literal name (created once it exists),
    // with logical IDs that alone would order the role's delete first
    const dir = workDir();
    const file = join(dir, 'Shop.template.json');
    const write = (resources: object) => writeFileSync(file, JSON.stringify({ Resources: resources }));
    const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
    const shop = { Shop: { Type: 'Custom::MackerelService', Properties: { name: 'shop' } } };
    const web = { ZWeb: { Type: 'Custom::MackerelRole', Properties: { service: { Ref: 'Shop' }, name: 'web' } } };
    const cpu = { ACpu: { Type: 'Custom::MackerelMonitor', Properties: { type: 'host', name: 'web cpu', metric: 'cpu%', operator: '>', warning: 80, duration: 1, scopes: ['shop:web'] } } };
    write({ ...shop, ...web });
    expect((await cli(['apply', file, ...base])).code).toBe(0);
    write({ ...shop, ...web, ...cpu });
    expect((await cli(['apply', file, ...base])).code).toBe(0);

    // WHEN both leave the template
    write(shop);
    const diff = await cli(['diff', file, ...base]);
    const apply = await cli(['apply', file, ...base]);

    // THEN the monitor goes first, so nothing names the role at its delete and it leaves Mackerel too, as diff says
    expect(diff.out).toMatch(/^- delete +Role +Shop\/ZWeb shop:web "web"$/m);
    expect(diff.out).toMatch(/^2 to delete\.$/m);
    expect(apply.err).toBe('');
    expect(apply.out).toMatch(/deleted +Monitor +Shop\/ACpu[^\n]*\n.*deleted +Role +Shop\/ZWeb shop:web "web"$/m);
    expect(apply.out).toMatch(/^Done: 2 deleted, 1 unchanged\.$/m);
    expect(shared.emulator.state().services.find((s: any) => s.name === 'shop')?.roles).toEqual([]);
  });

  test('a removed monitor naming a removed role of another stack by a literal scope is deleted before it, also when that stack comes first', async () => {
    // GIVEN stack Roles, first in the app, with the role roles:web, and stack Mon with a monitor scoped to it by its
    // literal name, which records no dependency between the stacks
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
    const cpu = (s: Stack) => new HostMetricMonitor(s, 'Cpu', {
      name: 'web cpu', metric: 'cpu%', operator: MonitorOperator.GREATER_THAN, warning: 80, duration: Duration.minutes(1), scopes: [MonitorScope.of('roles:web')],
    });
    const roles = (s: Stack) => new MackerelService(s, 'Svc', { name: 'roles' }).addRole('web');
    expect((await cli(['apply', synthStacks(dir, { Roles: roles, Mon: () => undefined }), ...base])).code).toBe(0);
    expect((await cli(['apply', synthStacks(dir, { Roles: roles, Mon: cpu }), ...base])).code).toBe(0);

    // WHEN the role and the monitor both leave their templates
    const outdir = synthStacks(dir, { Roles: (s) => new MackerelService(s, 'Svc', { name: 'roles' }), Mon: () => undefined });
    const diff = await cli(['diff', outdir, ...base]);
    const apply = await cli(['apply', outdir, ...base]);

    // THEN Mon's cleanup goes first: nothing names the role at its delete, so it leaves Mackerel, as diff says
    expect(diff.err).toBe('');
    expect(diff.out).toMatch(/^- delete +Role +Roles\/Svcweb\w+ roles:web "web"$/m);
    expect(diff.out).toMatch(/^2 to delete\.$/m);
    expect(apply.err).toBe('');
    expect(apply.out).toMatch(/deleted +Monitor +Mon\/Cpu\w* [^\n]*\n.*deleted +Role +Roles\/Svcweb\w+ roles:web "web"$/m);
    expect(apply.out).toMatch(/^Done: 2 deleted, 1 unchanged\.$/m);
    expect(apply.code).toBe(0);
    expect(shared.emulator.state().services.find((s: any) => s.name === 'roles')?.roles).toEqual([]);
  });

  test('removed monitors naming removed roles of each other\'s stack by literal scopes: the run completes, leaving the role whose name closes the cycle, as diff says', async () => {
    // GIVEN stacks A and B, each with a role and a monitor scoped to the role of the other by its literal name
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
    const role = (name: string) => (s: Stack) => new MackerelService(s, 'Svc', { name }).addRole('web');
    const cpu = (s: Stack, other: string) => new HostMetricMonitor(s, 'Cpu', {
      name: `${other} cpu`, metric: 'cpu%', operator: MonitorOperator.GREATER_THAN, warning: 80, duration: Duration.minutes(1), scopes: [MonitorScope.of(`${other}:web`)],
    });
    expect((await cli(['apply', synthStacks(dir, { A: role('cyca'), B: role('cycb') }), ...base])).code).toBe(0);
    const both = { A: (s: Stack) => { role('cyca')(s); cpu(s, 'cycb'); }, B: (s: Stack) => { role('cycb')(s); cpu(s, 'cyca'); } };
    expect((await cli(['apply', synthStacks(dir, both), ...base])).code).toBe(0);

    // WHEN the roles and the monitors all leave the templates
    const outdir = synthStacks(dir, { A: (s) => new MackerelService(s, 'Svc', { name: 'cyca' }), B: (s) => new MackerelService(s, 'Svc', { name: 'cycb' }) });
    const diff = await cli(['diff', outdir, ...base]);
    const apply = await cli(['apply', outdir, ...base]);

    // THEN A, first in the app, keeps its name of B's role and goes first: B's monitor still names A's role at its
    // delete, which is left; B's role is deleted after A's monitor. diff says so first
    const rolesOf = (name: string) => shared.emulator.state().services.find((s: any) => s.name === name)?.roles.map((r: any) => r.name);
    expect(diff.err).toBe('');
    expect(diff.out).toMatch(/^- leave +Role +A\/Svcweb\w+ cyca:web "web" \(not deleted: it is still named in the scopes of monitor "cyca cpu"/m);
    expect(diff.out).toMatch(/^- delete +Role +B\/Svcweb\w+ cycb:web "web"$/m);
    expect(apply.err).toBe('');
    expect(apply.out).toMatch(/left +Role +A\/Svcweb\w+ cyca:web "web" \(not deleted: it is still named in the scopes of monitor "cyca cpu"/m);
    expect(apply.out).toMatch(/deleted +Role +B\/Svcweb\w+ cycb:web "web"$/m);
    expect(apply.code).toBe(0);
    expect(rolesOf('cyca')).toEqual(['web']);
    expect(rolesOf('cycb')).toEqual([]);
  });

  test('diff predicts a removed role left when the run updates a monitor of the stack that still names it in its scopes', async () => {
    // GIVEN a hand-written template: a monitor of the stack scoped to the role by its literal name
    const dir = workDir();
    const file = join(dir, 'Shop.template.json');
    const write = (resources: object) => writeFileSync(file, JSON.stringify({ Resources: resources }));
    const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
    const shop = { Shop: { Type: 'Custom::MackerelService', Properties: { name: 'shop' } } };
    const web = { ZWeb: { Type: 'Custom::MackerelRole', Properties: { service: { Ref: 'Shop' }, name: 'web' } } };
    const api = { ZApi: { Type: 'Custom::MackerelRole', Properties: { service: { Ref: 'Shop' }, name: 'api' } } };
    const cpu = (scopes: string[]) => ({
      ACpu: { Type: 'Custom::MackerelMonitor', Properties: { type: 'host', name: 'web cpu', metric: 'cpu%', operator: '>', warning: 80, duration: 1, scopes } },
    });
    write({ ...shop, ...web, ...api });
    expect((await cli(['apply', file, ...base])).code).toBe(0);
    write({ ...shop, ...web, ...api, ...cpu(['shop:api']) });
    expect((await cli(['apply', file, ...base])).code).toBe(0);
    const id = shared.emulator.state().monitors.find((m: any) => m.name === 'web cpu')!.id;

    // WHEN the role leaves the template in the run that adds it to the monitor's scopes by its literal name
    write({ ...shop, ...api, ...cpu(['shop:api', 'shop:web']) });
    const diff = await cli(['diff', file, ...base]);
    const apply = await cli(['apply', file, ...base]);

    // THEN the update comes before the cleanup: the monitor names the role at its delete, which apply leaves, as diff
    // says first, though Mackerel's monitor does not name it yet
    const why = `\\(not deleted: it is still named in the scopes of monitor "web cpu" \\(${id}\\), `
      + 'not this resource\'s, which deleting it would delete or change; it stays in Mackerel\\)';
    expect(diff.err).toBe('');
    expect(diff.out).toMatch(new RegExp(`^- leave +Role +Shop/ZWeb shop:web "web" ${why}$`, 'm'));
    expect(apply.err).toBe('');
    expect(apply.out).toMatch(new RegExp(`left +Role +Shop/ZWeb shop:web "web" ${why}$`, 'm'));
    expect(shared.emulator.state().services.find((s: any) => s.name === 'shop')?.roles.map((r: any) => r.name).sort()).toEqual(['api', 'web']);
  });

  test('diff predicts a removed role left when the run creates a monitor that names it in its scopes', async () => {
    // GIVEN a hand-written template: a service with two roles
    const dir = workDir();
    const file = join(dir, 'Shop.template.json');
    const write = (resources: object) => writeFileSync(file, JSON.stringify({ Resources: resources }));
    const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
    const shop = { Shop: { Type: 'Custom::MackerelService', Properties: { name: 'shop' } } };
    const web = { ZWeb: { Type: 'Custom::MackerelRole', Properties: { service: { Ref: 'Shop' }, name: 'web' } } };
    const api = { ZApi: { Type: 'Custom::MackerelRole', Properties: { service: { Ref: 'Shop' }, name: 'api' } } };
    const cpu = { ACpu: { Type: 'Custom::MackerelMonitor', Properties: { type: 'host', name: 'web cpu', metric: 'cpu%', operator: '>', warning: 80, duration: 1, scopes: ['shop:api', 'shop:web'] } } };
    write({ ...shop, ...web, ...api });
    expect((await cli(['apply', file, ...base])).code).toBe(0);

    // WHEN the role leaves the template in the run that adds a monitor naming it by its literal name
    write({ ...shop, ...api, ...cpu });
    const diff = await cli(['diff', file, ...base]);
    const apply = await cli(['apply', file, ...base]);

    // THEN every create comes before the cleanup: the new monitor names the role at its delete, which apply leaves, as diff
    // says first, though Mackerel has no such monitor yet
    const id = shared.emulator.state().monitors.find((m: any) => m.name === 'web cpu')!.id;
    expect(apply.err).toBe('');
    expect(apply.out).toMatch(new RegExp(`left +Role +Shop/ZWeb shop:web "web" \\(not deleted: it is still named in the scopes of monitor "web cpu" \\(${id}\\), `, 'm'));
    expect(diff.err).toBe('');
    expect(diff.out).toMatch(/^- leave +Role +Shop\/ZWeb shop:web "web" \(not deleted: it is still named in the scopes of monitor "web cpu" \(known after apply: Shop\/ACpu\), /m);
  });

  test('diff predicts a removed service that apply will leave because the run ties a role or monitor to it by its literal name', async () => {
    // GIVEN a service shop, and an external monitor on another service
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
    const synth = (removed: boolean) => synthStacks(dir, {
      A: (s) => {
        const cart = new MackerelService(s, 'Cart', { name: 'cart' });
        if (!removed) new MackerelService(s, 'Shop', { name: 'shop' });
        const named = removed ? MackerelService.fromName(s, 'Named', 'shop') : cart;
        new ExternalHttpMonitor(s, 'Api', { name: 'api', url: 'https://example.com/', service: named, responseTimeWarning: Duration.millis(1500), responseTimeDuration: Duration.minutes(3) });
        if (removed) {
          new MackerelRole(s, 'Web', { service: named, name: 'web' });
          new ServiceMetricMonitor(s, 'Orders', { name: 'orders', service: named, metric: 'shop.orders', operator: MonitorOperator.LESS_THAN, warning: 1, duration: 1 });
        }
      },
    });
    expect((await cli(['apply', synth(false), ...base])).code).toBe(0);
    const api = shared.emulator.state().monitors.find((m: any) => m.name === 'api')!.id;

    // WHEN the service is removed in the run that moves the monitor to it by its name, and adds a role and a monitor on it by its name
    const removed = synth(true);
    const diff = await cli(['diff', removed, ...base]);
    const apply = await cli(['apply', removed, ...base]);

    // THEN the creates and the update come before the cleanup: apply leaves the service, which would delete them, and diff says so first
    const orders = shared.emulator.state().monitors.find((m: any) => m.name === 'orders')!.id;
    const why = (ordersId: string) => `\\(not deleted: it still has role "shop:web", monitor "api" \\(${api}\\), monitor "orders" ${ordersId}, not this resource's, `
      + 'which deleting it would delete; it stays in Mackerel\\)';
    expect(apply.err).toBe('');
    expect(apply.out).toMatch(new RegExp(`left +Service +A/Shop\\w+ shop "shop" ${why(`\\(${orders}\\)`)}$`, 'm'));
    expect(diff.out).toMatch(new RegExp(`^- leave +Service +A/Shop\\w+ shop "shop" ${why('\\(known after apply: A/Orders\\w+\\)')}$`, 'm'));
    expect(diff.out).toMatch(/^1 to update, 2 to create, 1 to leave\.$/m);
    expect(services().sort()).toEqual(['cart', 'shop']);
  });

  test('a stack removed from the app or renamed: apply warns, diff lists its deletes, apply --destroy --stack deletes it from the state alone', async () => {
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
    const outdir = synthStacks(dir, { OldB: (s) => new MackerelService(s, 'Svc', { name: 'old-b-1' }) });
    expect((await cli(['apply', outdir, ...base])).code).toBe(0);
    // A rename whose cleanup failed: the stack also holds a pending delete.
    synthStacks(dir, { OldB: (s) => new MackerelService(s, 'Svc', { name: 'old-b' }) });
    shared.emulator.injectFault({ method: 'DELETE', path: '/api/v0/services/old-b-1', status: 500, body: { error: { message: 'boom' } }, times: 1000 });
    expect((await cli(['apply', outdir, ...base, '--timeout', '2'])).code).toBe(2);
    shared.emulator.clearFaults();

    synthStacks(dir, { NewB: (s) => new MackerelService(s, 'Svc', { name: 'new-b' }) });
    let run = await cli(['apply', outdir, ...base]);
    expect(run.code).toBe(0);
    expect(run.err).toBe('notice: stack OldB is in the state file (1 object, 1 old object to delete) but not in the app; apply leaves its objects in Mackerel: '
      + 'delete them with apply --destroy --stack OldB, or add the stack back to the app');
    expect(services().sort()).toEqual(['new-b', 'old-b', 'old-b-1']);

    run = await cli(['diff', outdir, ...base]);
    expect(run.err).toBe('');
    // 3, not 1: the apply of the app just ran and left them, and would on every run; only apply --destroy --stack deletes them
    expect(run.code).toBe(3);
    expect(run.out.split('\n')).toEqual([
      'stack OldB is in the state file but not in the app: apply leaves its objects in Mackerel; apply --destroy --stack OldB deletes them',
      expect.stringMatching(/^- delete +Service +OldB\/Svc\w+ old-b-1 \(old object of a replacement/),
      expect.stringMatching(/^- delete +Service +OldB\/Svc\w+ old-b "old-b"$/),
      '2 to delete.',
    ]);

    // Without a template, only --destroy can act on it; a stack the state does not hold either stays an error.
    run = await cli(['apply', outdir, ...base, '--stack', 'OldB']);
    expect(run.err).toMatch(/^cdk-mackerel: --stack OldB is not in \S+, only in the state file \(1 object, 1 old object to delete\); expected --destroy to delete them from the state alone/);
    run = await cli(['apply', outdir, ...base, '--destroy', '--stack', 'Nope']);
    expect(run.err).toMatch(/^cdk-mackerel: --stack Nope is not in \S+; expected one of NewB; the state file \S+\/state\.json holds no stack Nope either$/);
    expect(run.code).toBe(2);
    run = await cli(['diff', outdir, ...base, '--stack', 'OldB']);
    expect(run.out).toMatch(/^stack OldB is in the state file but not in the app.*\n.*\n.*\n2 to delete\.$/);
    // 1 for a run of that stack alone: its only apply, --destroy, makes these deletes
    expect(run.code).toBe(1);

    run = await cli(['apply', outdir, ...base, '--destroy', '--stack', 'OldB']);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/deleted +Service +OldB\/Svc\w+ old-b-1/);
    expect(run.out).toMatch(/deleted +Service +OldB\/Svc\w+ old-b "old-b"/);
    expect(services()).toEqual(['new-b']);
    const state = readState(join(dir, 'state.json'));
    expect({ stacks: Object.keys(state.stacks), pendingDeletes: state.pendingDeletes }).toEqual({ stacks: ['NewB'], pendingDeletes: [] });
    run = await cli(['diff', outdir, ...base]);
    expect(run.out).toBe('No differences.');
    expect((await cli(['apply', outdir, ...base])).err).toBe('');
  });

  test('an AnomalyDetectionMonitor moved to a new construct id: diff says the create fails, as the old one watches the role until the cleanup; '
    + 'removed in one apply and added back in the next, it moves', async () => {
    // GIVEN a monitor of shop:web, applied
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
    const version = (id?: string) => synthStacks(dir, {
      A: (s) => {
        const web = new MackerelService(s, 'Shop', { name: 'shop' }).addRole('web');
        if (id) new AnomalyDetectionMonitor(s, id, { name: 'web anomaly', scopes: [MonitorScope.fromRole(web)], warningSensitivity: AnomalySensitivity.NORMAL });
      },
    });
    expect((await cli(['apply', version('Anomaly'), ...base])).code).toBe(0);
    const [old] = shared.emulator.state().monitors.map((m: any) => m.id);

    // WHEN it moves to a new id in one run
    let outdir = version('Moved');
    const diff = await cli(['diff', outdir, ...base]);
    const apply = await cli(['apply', outdir, ...base]);

    // THEN diff says what apply meets: Mackerel allows one anomaly detection monitor per role, and the old one goes only after the create
    expect(diff.err).toMatch(new RegExp(`^notice: A/Moved\\w+: apply's create will fail: role "shop:web" is watched by the anomaly detection monitor ${old} `
      + '\\(A/Anomaly\\w+ of the state file\\), which this run does not change before it \\(a delete comes after every create and update\\), and Mackerel allows '
      + 'one anomaly detection monitor per role\\. Remove the role \\(or the monitor\\) in one apply and add it back in the next$', 'm'));
    // and apply, failing on it, gives diff's advice, not to fix the template, which is right as it is
    expect(apply.err).toMatch(/HTTP 400: scopes: role "shop:web" is already watched by anomaly detection monitor/);
    expect(apply.err).toMatch(new RegExp(`; nothing was changed; role "shop:web" is still watched by the anomaly detection monitor ${old} \\(A/Anomaly\\w+ of the state file; `
      + 'a delete comes after every create and update\\), and Mackerel allows one anomaly detection monitor per role: remove the role \\(or the monitor\\) '
      + 'in one apply and add it back in the next \\(as it is, another run fails the same way\\)$', 'm'));
    expect(apply.err).not.toMatch(/fix the template/);
    expect(apply.code).toBe(2);

    // WHEN it is removed in one apply and added back in the next, as the notice says: neither diff warns, and the monitor moves
    outdir = version();
    expect((await cli(['diff', outdir, ...base])).err).toBe('');
    expect((await cli(['apply', outdir, ...base])).code).toBe(0);
    outdir = version('Moved');
    expect((await cli(['diff', outdir, ...base])).err).toBe('');
    expect((await cli(['apply', outdir, ...base])).code).toBe(0);
    expect(shared.emulator.state().monitors).toEqual([expect.objectContaining({ type: 'anomalyDetection', scopes: ['shop:web'] })]);
  });

  test('an AnomalyDetectionMonitor moved to a new construct id while a monitor made outside cdk-mackerel watches its role: diff says the create fails, '
    + 'and not to remove the role for one apply, after which that monitor still watches it', async () => {
    // GIVEN a monitor of shop:web applied, then deleted in Mackerel and another one of shop:web made there
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
    const version = (id: string) => synthStacks(dir, {
      A: (s) => {
        const web = new MackerelService(s, 'Shop', { name: 'shop' }).addRole('web');
        new AnomalyDetectionMonitor(s, id, { name: 'web anomaly', scopes: [MonitorScope.fromRole(web)], warningSensitivity: AnomalySensitivity.NORMAL });
      },
    });
    expect((await cli(['apply', version('Anomaly'), ...base])).code).toBe(0);
    const [applied] = shared.emulator.state().monitors.map((m: any) => m.id);
    const call = (method: string, path: string, body?: unknown) => fetch(new URL(`api/v0/${path}`, shared.emulator.url), {
      method, headers: { 'X-Api-Key': shared.emulator.apiKey, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
    });
    expect((await call('DELETE', `monitors/${applied}`)).status).toBe(200);
    const outside = await (await call('POST', 'monitors', { type: 'anomalyDetection', name: 'by hand', scopes: ['shop:web'], warningSensitivity: 'sensitive' })).json() as { id: string };

    // WHEN it moves to a new id
    const outdir = version('Moved');
    const diff = await cli(['diff', outdir, ...base]);

    // THEN diff says the create fails on the monitor made outside, which no apply deletes
    expect(diff.err).toMatch(new RegExp(`^notice: A/Moved\\w+: apply's create will fail: role "shop:web" is watched by the anomaly detection monitor ${outside.id}, `
      + 'which no resource of the state file holds \\(made outside cdk-mackerel, so no apply deletes it\\), and Mackerel allows one anomaly detection monitor per role\\. '
      + 'Delete that monitor or take the role from it in Mackerel, or leave the role out of this one$', 'm'));
    expect(diff.err).not.toMatch(/add it back in the next/);
    // and apply fails on it as said, with diff's advice: not to fix the template, nor to remove the role for one apply
    const apply = await cli(['apply', outdir, ...base]);
    expect(apply.err).toMatch(/HTTP 400: scopes: role "shop:web" is already watched by anomaly detection monitor/);
    expect(apply.err).toMatch(new RegExp(`; nothing was changed; role "shop:web" is watched by the anomaly detection monitor ${outside.id}, `
      + 'which no resource of the state file holds \\(made outside cdk-mackerel, so no apply deletes it\\), and Mackerel allows one anomaly detection monitor per role: '
      + 'delete that monitor or take the role from it in Mackerel, or leave the role out of this one, then apply again \\(as it is, another run fails the same way\\)$', 'm'));
    expect(apply.err).not.toMatch(/fix the template|add it back in the next/);
    expect(apply.code).toBe(2);
  });

  test('a new AnomalyDetectionMonitor of a role that a monitor made outside cdk-mackerel watches: apply fails with diff\'s advice, not to fix the template', async () => {
    // GIVEN shop:web applied, and an anomaly detection monitor of it made in Mackerel
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
    const version = (monitor: boolean) => synthStacks(dir, {
      A: (s) => {
        const web = new MackerelService(s, 'Shop', { name: 'shop' }).addRole('web');
        if (monitor) new AnomalyDetectionMonitor(s, 'Anomaly', { name: 'web anomaly', scopes: [MonitorScope.fromRole(web)], warningSensitivity: AnomalySensitivity.NORMAL });
      },
    });
    expect((await cli(['apply', version(false), ...base])).code).toBe(0);
    const made = await fetch(new URL('api/v0/monitors', shared.emulator.url), {
      method: 'POST',
      headers: { 'X-Api-Key': shared.emulator.apiKey, 'Content-Type': 'application/json' },
      body: JSON.stringify({ type: 'anomalyDetection', name: 'by hand', scopes: ['shop:web'], warningSensitivity: 'sensitive' }),
    });
    const outside = await made.json() as { id: string };

    // WHEN a monitor of the role is added
    const apply = await cli(['apply', version(true), ...base]);

    // THEN
    expect(apply.err).toMatch(/HTTP 400: scopes: role "shop:web" is already watched by anomaly detection monitor/);
    expect(apply.err).toMatch(new RegExp(`; nothing was changed; role "shop:web" is watched by the anomaly detection monitor ${outside.id}, which no resource of the state file holds `
      + '\\(made outside cdk-mackerel, so no apply deletes it\\), and Mackerel allows one anomaly detection monitor per role: delete that monitor or take the role '
      + 'from it in Mackerel, or leave the role out of this one, then apply again \\(as it is, another run fails the same way\\)$', 'm'));
    expect(apply.err).not.toMatch(/fix the template/);
    expect(apply.code).toBe(2);
  });

  test('an AnomalyDetectionMonitor replaced by a monitor of another type while a new one takes its role: diff says the create fails, '
    + 'as the old object watches the role until the cleanup', async () => {
    // GIVEN P, an anomaly detection monitor of shop:web, applied
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
    const version = (moved: boolean) => synthStacks(dir, {
      A: (s) => {
        const web = new MackerelService(s, 'Shop', { name: 'shop' }).addRole('web');
        const scopes = [MonitorScope.fromRole(web)];
        if (!moved) {
          new AnomalyDetectionMonitor(s, 'P', { name: 'p', scopes, warningSensitivity: AnomalySensitivity.NORMAL });
          return;
        }
        // P becomes a host metric monitor: a new type is a replacement, whose old object goes only in the cleanup
        new HostMetricMonitor(s, 'P', { name: 'p', metric: 'cpu%', operator: MonitorOperator.GREATER_THAN, warning: 80, duration: Duration.minutes(1), scopes });
        new AnomalyDetectionMonitor(s, 'Q', { name: 'q', scopes, warningSensitivity: AnomalySensitivity.NORMAL });
      },
    });
    expect((await cli(['apply', version(false), ...base])).code).toBe(0);
    const [old] = shared.emulator.state().monitors.map((m: any) => m.id);

    // WHEN P is replaced and Q takes its role in one run
    const outdir = version(true);
    const diff = await cli(['diff', outdir, ...base]);
    const apply = await cli(['apply', outdir, ...base]);

    // THEN diff says what apply meets: P's old object still watches shop:web when Q is created
    expect(diff.out).toMatch(/! replace +Monitor +A\/P\w+/);
    expect(diff.err).toMatch(new RegExp(`^notice: A/Q\\w+: apply's create will fail: role "shop:web" is watched by the anomaly detection monitor ${old} `
      + '\\(A/P\\w+ of the state file\\), which this run does not change before it \\(a delete comes after every create and update\\)', 'm'));
    expect(apply.err).toMatch(/HTTP 400: scopes: role "shop:web" is already watched by anomaly detection monitor/);
    // and apply, failing on it, says so, though the state's P is the new host monitor by then: the old object's roles are kept with it
    expect(apply.err).toMatch(new RegExp(`; what succeeded is saved in \\S+; role "shop:web" is still watched by the anomaly detection monitor ${old} `
      + '\\(the old object of A/P\\w+ of the state file; a delete comes after every create and update\\), and Mackerel allows one anomaly detection monitor '
      + 'per role: remove the role \\(or the monitor\\) in one apply and add it back in the next \\(as it is, another run fails the same way\\)$', 'm'));
    expect(apply.err).not.toMatch(/fix the template/);
    const pending = readState(join(dir, 'state.json')).pendingDeletes;
    expect(pending).toEqual([expect.objectContaining({ physicalId: old, type: 'Custom::MackerelMonitor', roles: ['shop:web'] })]);
    expect(apply.code).toBe(2);
  });

  test('an AnomalyDetectionMonitor refused for another reason, no other monitor of the state watching its roles: apply says to fix the template', async () => {
    // GIVEN an anomaly detection monitor of shop:web applied, and a second one of shop:api
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
    const version = (roles: string[]) => synthStacks(dir, {
      A: (s) => {
        const svc = new MackerelService(s, 'Shop', { name: 'shop' });
        for (const r of roles) {
          new AnomalyDetectionMonitor(s, `Anomaly${r}`, { name: `${r} anomaly`, scopes: [MonitorScope.fromRole(svc.addRole(r))], warningSensitivity: AnomalySensitivity.NORMAL });
        }
      },
    });
    expect((await cli(['apply', version(['web']), ...base])).code).toBe(0);

    // WHEN Mackerel refuses the create of the second with a 400 of its own
    shared.emulator.injectFault({ method: 'POST', path: '/api/v0/monitors', status: 400, body: { error: { message: 'refused' } } });
    const apply = await cli(['apply', version(['web', 'api']), ...base]);

    // THEN the advice is the usual one: the monitor of shop:web the state holds watches no role of the refused one
    expect(apply.code).toBe(2);
    expect(apply.err).toMatch(/HTTP 400: refused; what succeeded is saved in \S+; fix the template, then apply again \(as it is, another run fails the same way\)$/m);
    expect(apply.err).not.toMatch(/one anomaly detection monitor per role/);
  });

  test('a role moved between two AnomalyDetectionMonitors updated in one run: diff does not warn, as the update of the other may let go of it first', async () => {
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
    const version = (a: string[], b: string[]) => synthStacks(dir, {
      S: (s) => {
        const svc = new MackerelService(s, 'Shop', { name: 'shop' });
        const roles: { [name: string]: MackerelRole } = Object.fromEntries(['web', 'api', 'batch'].map((r) => [r, svc.addRole(r)]));
        new AnomalyDetectionMonitor(s, 'A', { name: 'a', scopes: a.map((r) => MonitorScope.fromRole(roles[r])), warningSensitivity: AnomalySensitivity.NORMAL });
        new AnomalyDetectionMonitor(s, 'B', { name: 'b', scopes: b.map((r) => MonitorScope.fromRole(roles[r])), warningSensitivity: AnomalySensitivity.NORMAL });
      },
    });
    expect((await cli(['apply', version(['web', 'batch'], ['api']), ...base])).code).toBe(0);
    const outdir = version(['batch'], ['api', 'web']);
    const diff = await cli(['diff', outdir, ...base]);
    expect(diff.err).toBe('');
    expect(diff.code).toBe(1);
    expect((await cli(['apply', outdir, ...base])).code).toBe(0);
  });

  test('a logical ID whose resource type changes is refused by diff and apply, as CloudFormation refuses it; another id replaces the object', async () => {
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
    const outdir = synthStacks(dir, { Typed: (s) => new EmailChannel(s, 'Alerts', { name: 'typed', emails: ['a@example.com'] }) });
    expect((await cli(['apply', outdir, ...base])).code).toBe(0);
    const [channelId] = Object.values(readState(join(dir, 'state.json')).stacks.Typed.resources).map((r) => r.physicalId);

    synthStacks(dir, { Typed: (s) => new NotificationGroup(s, 'Alerts', { name: 'typed group' }) });
    const refused = new RegExp(`Typed/Alerts\\w+ was applied as Custom::MackerelChannel \\(${channelId} "typed"\\) and is Custom::MackerelNotificationGroup in the template; `
      + 'expected the type it was applied with, as CloudFormation refuses to change the type of a logical ID: give the new construct another id');
    const diff = await cli(['diff', outdir, ...base]);
    expect(diff.err).toMatch(new RegExp(`^cdk-mackerel: apply would refuse this run: ${refused.source}`));
    expect(diff.code).toBe(2);
    const run = await cli(['apply', outdir, ...base]);
    expect(run.err).toMatch(new RegExp(`^cdk-mackerel: ${refused.source}.*; nothing was changed$`));
    expect(run.code).toBe(2);
    expect(shared.emulator.state().channels.map((c: any) => c.id)).toContain(channelId);
    expect(shared.emulator.state().notificationGroups.map((g: any) => g.name)).not.toContain('typed group');

    synthStacks(dir, { Typed: (s) => new NotificationGroup(s, 'Group', { name: 'typed group' }) });
    expect((await cli(['diff', outdir, ...base])).out).toMatch(/^\+ create +NotificationGroup +Typed\/Group\w+ "typed group"\n(.*\n)*- delete +Channel +Typed\/Alerts\w+ \S+ "typed"\n1 to create, 1 to delete\.$/);
    expect((await cli(['apply', outdir, ...base])).code).toBe(0);
    expect(shared.emulator.state().channels.map((c: any) => c.id)).not.toContain(channelId);
  });
});

describe('the cleanup deletes old objects of replacements and removed objects together, each before what it depended on, as CloudFormation does', () => {
  const services = () => shared.emulator.state().services.map((s: any) => s.name).sort();
  const deletes = (out: string) => [...out.matchAll(/deleted +(\w+) +\S+ (\S+)/g)].map((m) => `${m[1]} ${m[2]}`);
  const requests = (stack: Stack, service: MackerelService) => new ServiceMetricMonitor(stack, 'Requests', {
    name: 'requests', service, metric: 'requests', operator: MonitorOperator.GREATER_THAN, warning: 100, duration: 1,
  });

  // Deleting a service deletes its roles and the monitors tied to it, so the handler leaves a
  // service that still has ones of other resources: deleted first, they leave it none.
  for (const [what, next] of [
    ['its role and service metric monitor replaced with it', { role: true, monitor: true }],
    ['its role removed', { role: false, monitor: true }],
    ['its service metric monitor removed', { role: true, monitor: false }],
  ] as const) {
    test(`a renamed service, ${what}: its old object goes last, and leaves Mackerel`, async () => {
      const dir = workDir();
      const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
      const version = (name: string, has: { readonly role: boolean; readonly monitor: boolean }) => synthStacks(dir, {
        Shop: (s) => {
          const service = new MackerelService(s, 'Service', { name });
          if (has.role) service.addRole('web');
          if (has.monitor) requests(s, service);
        },
      });
      expect((await cli(['apply', version('shop', { role: true, monitor: true }), ...base])).code).toBe(0);
      const run = await cli(['apply', version('store', next), ...base]);
      expect(run.err).toBe('');
      expect(run.code).toBe(0);
      expect(deletes(run.out)).toHaveLength(3);
      expect(deletes(run.out).at(-1)).toBe('Service shop');
      expect(services()).toEqual(['store']);
      expect(readState(join(dir, 'state.json')).pendingDeletes).toEqual([]);
    });
  }

  test('a service removed while the monitor tied to it is replaced: the monitor\'s old object goes first, then the service', async () => {
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
    const outdir = synthStacks(dir, { Shop: (s) => requests(s, new MackerelService(s, 'Service', { name: 'shop' })) });
    expect((await cli(['apply', outdir, ...base])).code).toBe(0);
    synthStacks(dir, {
      Shop: (s) => new HostMetricMonitor(s, 'Requests', {
        name: 'requests', metric: 'cpu%', operator: MonitorOperator.GREATER_THAN, warning: 80, duration: Duration.minutes(1),
      }),
    });
    const run = await cli(['apply', outdir, ...base]);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(deletes(run.out)).toEqual([expect.stringMatching(/^Monitor \w+$/), 'Service shop']);
    expect(services()).toEqual([]);
  });
});

describe('a service that takes over the name of another of its stack', () => {
  const marks = () => shared.emulator.state().services.map((s: any) => [s.name, s.metadata['cdk-mackerel']]);

  test('two services that swap names keep both objects, and a destroy then deletes both', async () => {
    // GIVEN services A (shop) and B (cart), whose names are swapped
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
    const synth = (a: string, b: string) => synthStacks(dir, {
      Shop: (s) => {
        new MackerelService(s, 'A', { name: a });
        new MackerelService(s, 'B', { name: b });
      },
    });
    expect((await cli(['apply', synth('shop', 'cart'), ...base])).code).toBe(0);
    const swapped = synth('cart', 'shop');
    const apply = await cli(['apply', swapped, ...base]);

    // WHEN the swapped services are destroyed
    const destroy = await cli(['apply', swapped, '--destroy', ...base]);

    // THEN the swap let go of each old object to the other service, whose mark is its own alone, and the destroy deleted both
    expect(apply.out).toMatch(/released +Service +Shop\/A\w+ shop \(taken over by Shop\/B\w+; it stays in Mackerel\)$/m);
    expect(apply.out).toMatch(/released +Service +Shop\/B\w+ cart \(taken over by Shop\/A\w+; it stays in Mackerel\)$/m);
    expect(destroy.err).toBe('');
    expect(destroy.out).toMatch(/^Done: 2 deleted\.$/m);
    expect(marks()).toEqual([]);
  });

  test('diff says that each old object is taken over, as apply releases it, not that it is deleted or left', async () => {
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
    const synth = (names: { [id: string]: string }) => synthStacks(dir, {
      Shop: (s) => Object.entries(names).forEach(([id, name]) => new MackerelService(s, id, { name })),
    });
    expect((await cli(['apply', synth({ A: 'shop', B: 'cart' }), ...base])).code).toBe(0);
    // Two services swap names.
    const swap = await cli(['diff', synth({ A: 'cart', B: 'shop' }), ...base]);
    // A service takes the name of a removed one.
    const onto = await cli(['diff', synth({ A: 'cart' }), ...base]);

    expect(swap.out).toMatch(/^! replace +Service +Shop\/A\w+ shop "cart" \(new Mackerel ID; the old object is taken over by Shop\/B\w+; it stays in Mackerel\)$/m);
    expect(swap.out).toMatch(/^! replace +Service +Shop\/B\w+ cart "shop" \(new Mackerel ID; the old object is taken over by Shop\/A\w+; it stays in Mackerel\)$/m);
    expect(onto.out).toMatch(/^! replace +Service +Shop\/A\w+ shop "cart" \(new Mackerel ID; the old object is deleted\)$/m);
    expect(onto.out).toMatch(/^> move +Service +Shop\/B\w+ -> Shop\/A\w+ cart "cart" \(a new logical ID takes the object over; it stays in Mackerel\)$/m);
    expect(onto.out).not.toMatch(/- delete/);
    const apply = await cli(['apply', synth({ A: 'cart' }), ...base]);
    expect(apply.out).toMatch(/released +Service +Shop\/B\w+ cart "cart" \(taken over by Shop\/A\w+; it stays in Mackerel\)$/m);
    expect(apply.out).toMatch(/deleted +Service +Shop\/A\w+ shop \(old object of a replacement\)$/m);
    expect(marks()).toEqual([['cart', expect.objectContaining({ logicalResourceId: expect.stringMatching(/^A/) })]]);
  });

  test('diff says that a service renamed to the name of another of its stack keeps that one\'s memo, as apply then leaves it', async () => {
    // GIVEN services A (shop) and B (cart), each with a memo of its own
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
    const synth = (names: { [id: string]: string }) => synthStacks(dir, {
      Shop: (s) => Object.entries(names).forEach(([id, name]) => new MackerelService(s, id, { name, memo: `memo of ${id}` })),
    });
    expect((await cli(['apply', synth({ A: 'shop', B: 'cart' }), ...base])).code).toBe(0);

    // WHEN they swap names, each memo staying with its construct
    const swapped = synth({ A: 'cart', B: 'shop' });
    const diff = await cli(['diff', swapped, ...base]);
    const apply = await cli(['apply', swapped, ...base]);

    // THEN diff shows each memo that the object taken over keeps, which apply leaves and the next diff still shows
    expect(diff.out).toMatch(/^= kept +Service +Shop\/A\w+ cart "cart" differs from the template in fields with no update API.*\n +memo: "memo of B" -> "memo of A"$/m);
    expect(diff.out).toMatch(/^= kept +Service +Shop\/B\w+ shop "shop" differs from the template in fields with no update API.*\n +memo: "memo of A" -> "memo of B"$/m);
    expect(diff.out).toMatch(/^2 to replace, 2 that apply cannot change\.$/m);
    expect(apply.code).toBe(0);
    expect(shared.emulator.state().services.map((s: any) => [s.name, s.memo]).sort()).toEqual([['cart', 'memo of B'], ['shop', 'memo of A']]);
    const after = await cli(['diff', swapped, ...base]);
    expect(after.out.split('\n').filter((l) => /^= kept/.test(l))).toEqual(diff.out.split('\n').filter((l) => /^= kept/.test(l)));
  });
});

describe('a service or role the run creates under a name Mackerel already has', () => {
  const post = (path: string, body: object) => fetch(`${shared.emulator.url}api/v0/${path}`, {
    method: 'POST', headers: { 'X-Api-Key': shared.emulator.apiKey, 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });

  test('made outside cdk-mackerel: diff says the create will fail, as apply then fails on it', async () => {
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
    expect((await post('services', { name: 'hand' })).status).toBe(200);
    expect((await post('services/hand/roles', { name: 'web' })).status).toBe(200);
    const outdir = synthStacks(dir, { Shop: (s) => new MackerelService(s, 'Svc', { name: 'hand' }).addRole('web') });
    const why = (label: string, what: string) => `${label} already exists in Mackerel \\(with no cdk-mackerel mark: made outside cdk-mackerel, or left by a create `
      + `stopped before it could mark it\\); expected a name that is free\\. Refer to an existing ${what} instead of creating it\\. `
      + 'If a stopped create left it, delete it in Mackerel and deploy again\\.';
    // WHEN diff runs
    const diff = await cli(['diff', outdir, ...base]);
    // THEN it shows the creates apply sends, and says that each will fail, in the handler's words
    expect(diff.out).toMatch(/^\+ create +Service +Shop\/Svc\w+ "hand"$/m);
    expect(diff.err.split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^notice: Shop/Svc\\w+: apply's create will fail: ${why('service "hand"', 'service with MackerelService\\.fromName\\(\\)')}$`)),
      expect.stringMatching(new RegExp(`^notice: Shop/Svcweb\\w+: apply's create will fail: ${why('role "hand:web"', 'role with MackerelRole\\.fromFullName\\(\\)')}$`)),
    ]);
    const apply = await cli(['apply', outdir, ...base]);
    expect(apply.err).toMatch(new RegExp(`Create failed: ${why('service "hand"', 'service with MackerelService\\.fromName\\(\\)')}`));
    expect(apply.code).toBe(2);
    // AND apply, as diff, says that another run fails the same way, rather than to run it again to finish
    expect(apply.err).toMatch(/; nothing was changed; give it another name in the template, or free that one in Mackerel, then apply again \(as it is, another run fails the same way\)$/);
  });

  test('a rename to a name another stack\'s resource marked: diff says the replacement\'s create will fail', async () => {
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
    const other = ['--api-base', shared.emulator.url, '--state', join(dir, 'other.json')];
    expect((await cli(['apply', synthStacks(join(dir), { Theirs: (s) => new MackerelService(s, 'Svc', { name: 'theirs' }) }), ...other])).code).toBe(0);
    expect((await cli(['apply', synthStacks(dir, { Shop: (s) => new MackerelService(s, 'Svc', { name: 'mine' }) }), ...base])).code).toBe(0);
    const diff = await cli(['diff', synthStacks(dir, { Shop: (s) => new MackerelService(s, 'Svc', { name: 'theirs' }) }), ...base]);
    expect(diff.out).toMatch(/^! replace +Service +Shop\/Svc\w+ mine "theirs"/m);
    expect(diff.err).toMatch(/^notice: Shop\/Svc\w+: apply's create will fail: service "theirs" already exists in Mackerel \(created by resource Svc\w+ of stack \S+\/Theirs\/\S+\); expected a name that is free\. Refer to an existing service with MackerelService\.fromName\(\) instead of creating it\.$/);
  });

  test('of the same stack (a retained service added back under another construct id): taken over, so diff says nothing more', async () => {
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
    const svc = (id: string) => (s: Stack) => new MackerelService(s, id, { name: 'kept', removalPolicy: RemovalPolicy.RETAIN });
    expect((await cli(['apply', synthStacks(dir, { Shop: svc('Old') }), ...base])).code).toBe(0);
    expect((await cli(['apply', synthStacks(dir, { Shop: (s) => new MackerelService(s, 'Other', { name: 'other' }) }), ...base])).code).toBe(0);
    const outdir = synthStacks(dir, { Shop: svc('New') });
    const diff = await cli(['diff', outdir, ...base]);
    expect(diff.err).toBe('');
    expect(diff.out).toMatch(/^\+ create +Service +Shop\/New\w+ "kept"$/m);
    expect((await cli(['apply', outdir, ...base])).code).toBe(0);
  });
});
