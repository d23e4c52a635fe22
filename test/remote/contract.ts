/**
 * The Backend contract, written once and run against LocalBackend (the SQLite file) and
 * RemoteBackend (bosd's API): every method, with the same results and the same error codes
 * and exit codes. Each step is recorded in a transcript; contract.test.ts then compares the
 * two transcripts step by step.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isBosError, type ErrorCode } from '../../src/core/errors.js';
import { normalizeInventoryRecord } from '../../src/core/inventory.js';
import { OPTION_KEYS, OPTION_SPECS, defaultOptions } from '../../src/core/options.js';
import type { BootArtifacts, InventoryNode } from '../../src/core/types.js';
import type { Backend } from '../../src/services/backend.js';
import type { TemplateBody } from '../../src/services/templates.js';
import { Store } from '../../src/store/store.js';
import type { BackendUnderTest } from './helpers.js';

export type Outcome =
  | { ok: true; value: unknown }
  | { ok: false; code: string; exit: number; message: string; hint: string };

export type Transcript = Array<{ step: string; outcome: Outcome }>;

/** A backend plus a way to write a node's reported (actual) state, which no Backend method does. */
export interface ContractTarget extends BackendUnderTest {
  store(): Store;
}

export const X = ['x1000c0s0b0n0', 'x1000c0s0b0n1', 'x1000c0s1b0n0', 'x1000c0s1b0n1'] as const;

export const NODES: InventoryNode[] = [
  { xname: X[0], nid: 1, hostname: 'cn01', role: 'Compute', groups: ['compute', 'rack1'] },
  { xname: X[1], nid: 2, hostname: 'cn02', role: 'Compute', groups: ['compute'] },
  { xname: X[2], nid: 3, hostname: 'cn03', role: 'Compute', groups: ['compute'] },
  { xname: X[3], nid: 4, hostname: 'uan01', role: 'Application', groups: [] },
].map((r, i) => normalizeInventoryRecord(r as unknown as Record<string, unknown>, `node ${i + 1}`));

export const V2: BootArtifacts = { kernel: 's3://img/v2/kernel', initrd: 's3://img/v2/initrd', kernel_parameters: 'console=ttyS0' };

export const TEMPLATE: TemplateBody = {
  description: 'compute on v2',
  enable_cfs: true,
  cfs: { configuration: 'cfg-v2' },
  boot_sets: { compute: { ...V2, node_roles_groups: ['Compute'] } },
};

export function backendContract(label: string, factory: () => Promise<ContractTarget>, transcript: Transcript): void {
  describe(`Backend contract: ${label}`, () => {
    let t: ContractTarget;
    let b: Backend;

    beforeAll(async () => {
      t = await factory();
      b = t.backend;
    });
    afterAll(async () => { await t?.close(); });

    /** Runs a call that must succeed; records its value. */
    async function ok<T>(step: string, fn: () => Promise<T>): Promise<T> {
      let value: T;
      try {
        value = await fn();
      } catch (e) {
        throw new Error(`${label}: ${step} failed: ${(e as Error).message}`);
      }
      transcript.push({ step, outcome: { ok: true, value: structuredClone(value) } });
      return value;
    }

    /** Runs a call that must fail with this code and exit code; records the error. */
    async function fails(step: string, fn: () => Promise<unknown>, code: ErrorCode, exit: number): Promise<void> {
      let err: unknown;
      try {
        await fn();
      } catch (e) {
        err = e;
      }
      expect(err, `${step} should fail`).toBeDefined();
      if (!isBosError(err)) throw new Error(`${label}: ${step} threw a non-BosError: ${(err as Error)?.stack}`);
      transcript.push({ step, outcome: { ok: false, code: err.code, exit: err.exitCode, message: err.message, hint: err.hint } });
      expect({ step, code: err.code, exit: err.exitCode }).toEqual({ step, code, exit });
      expect(err.message).not.toMatch(/\n/);
    }

    /** What bosd records after a node booted its desired state (its boot report). */
    function bootDesired(xname: string): void {
      const s = t.store();
      s.write(() => {
        const c = s.components.get(xname)!;
        expect(c.desired_state.boot_artifacts?.kernel).toBe(V2.kernel);
        s.components.put({ ...c, actual_state: { boot_artifacts: c.desired_state.boot_artifacts, last_updated: new Date().toISOString() } });
      });
    }

    it('inventory: import, list, describe, and its errors', async () => {
      const r = await ok('importInventory', () => b.importInventory(NODES));
      expect(r.added).toEqual([...X]);
      expect((await ok('importInventory again', () => b.importInventory(NODES))).unchanged).toEqual([...X]);
      const list = await ok('listInventory', () => b.listInventory());
      expect(list.map((n) => n.xname)).toEqual([...X]);
      const d = await ok('describeNode by nid', () => b.describeNode('nid000002'));
      expect(d.node.xname).toBe(X[1]);
      expect(d.component?.id).toBe(X[1]);
      await ok('describeNode by hostname', () => b.describeNode('uan01'));
      await fails('describeNode unknown', () => b.describeNode('nosuchhost'), 'BOS_NODE_NOT_FOUND', 3);
      await fails('describeNode unknown xname', () => b.describeNode('x9999c0s0b0n0'), 'BOS_NODE_NOT_FOUND', 3);
      const clash = normalizeInventoryRecord({ xname: 'x1000c0s2b0n0', nid: 1, hostname: 'cn99' }, 'clash');
      await fails('importInventory nid clash', () => b.importInventory([clash]), 'BOS_INVENTORY_INVALID', 2);
    });

    it('session templates: create, get, list, update, check, delete, and their errors', async () => {
      const created = await ok('createTemplate', () => b.createTemplate('compute-v2', TEMPLATE));
      expect(created.name).toBe('compute-v2');
      await fails('createTemplate duplicate', () => b.createTemplate('compute-v2', TEMPLATE), 'BOS_TEMPLATE_EXISTS', 4);
      await fails('createTemplate bad name', () => b.createTemplate('bad name!', TEMPLATE), 'BOS_NAME_INVALID', 2);
      await fails('createTemplate dot name', () => b.createTemplate('..', TEMPLATE), 'BOS_NAME_INVALID', 2);
      await fails('createTemplate body names another', () => b.createTemplate('other', { ...TEMPLATE, name: 'compute-v2' }), 'BOS_TEMPLATE_INVALID', 2);
      await fails('createTemplate kernel without initrd', () => b.createTemplate('broken', {
        boot_sets: { c: { kernel: 's3://k', node_roles_groups: ['Compute'] } },
      } as TemplateBody), 'BOS_VALUE_INVALID', 2);
      expect((await ok('getTemplate', () => b.getTemplate('compute-v2'))).boot_sets.compute.kernel).toBe(V2.kernel);
      await fails('getTemplate unknown', () => b.getTemplate('nope'), 'BOS_TEMPLATE_NOT_FOUND', 3);
      await fails('getTemplate dot-dot', () => b.getTemplate('..'), 'BOS_TEMPLATE_NOT_FOUND', 3);
      await ok('createTemplate scratch', () => b.createTemplate('scratch', TEMPLATE));
      expect((await ok('listTemplates', () => b.listTemplates())).map((x) => x.name)).toEqual(['compute-v2', 'scratch']);
      expect((await ok('updateTemplate', () => b.updateTemplate('scratch', { description: 'changed' }))).description).toBe('changed');
      await fails('updateTemplate unknown', () => b.updateTemplate('nope', { description: 'x' }), 'BOS_TEMPLATE_NOT_FOUND', 3);
      await fails('updateTemplate invalid', () => b.updateTemplate('scratch', { boot_sets: {} }), 'BOS_VALUE_INVALID', 2);
      await fails('updateTemplate rules', () => b.updateTemplate('scratch', { boot_sets: { c: { ...V2 } } }), 'BOS_TEMPLATE_INVALID', 2);
      expect(await ok('checkTemplate valid', () => b.checkTemplate({ ...TEMPLATE, name: 'x' }))).toEqual([]);
      const problems = await ok('checkTemplate invalid', () => b.checkTemplate({ name: 'x', boot_sets: { c: { kernel: 's3://k' } } }));
      expect(problems.length).toBeGreaterThan(0);
      await ok('deleteTemplate', () => b.deleteTemplate('scratch'));
      await fails('deleteTemplate unknown', () => b.deleteTemplate('scratch'), 'BOS_TEMPLATE_NOT_FOUND', 3);
    });

    it('sessions: warnings (a node in two boot sets) come back with the session', async () => {
      // Made and deleted before 'up', which then stages every compute node.
      await ok('createTemplate two boot sets', () => b.createTemplate('twosets', {
        boot_sets: { a: { ...V2, node_roles_groups: ['Compute'] }, b: { ...V2, node_list: [X[0]] } },
      }));
      const warned = await ok('createSession with warnings', () => b.createSession({ name: 'warned', template_name: 'twosets', operation: 'reboot', stage: true, limit: 'cn01' }));
      expect(warned.warnings).toEqual([`node ${X[0]} is in boot sets "a" and "b"; "b" wins`]);
      await ok('deleteSession warned', () => b.deleteSession('warned'));
    });

    it('sessions: create (staged, dry run), get, list, status, history, and their errors', async () => {
      const gen = await ok('createSession generated name, limit', () => b.createSession({ template_name: 'compute-v2', operation: 'reboot', stage: true, limit: 'cn03' }));
      expect(gen.session.name).toMatch(/^[0-9a-f-]{36}$/);
      expect(gen.warnings).toEqual([]);
      await ok('deleteSession generated', () => b.deleteSession(gen.session.name));
      const dry = await ok('createSession dry run', () => b.createSession({ name: 'dry', template_name: 'compute-v2', operation: 'reboot', stage: true, dry_run: true }));
      expect(dry.dry_run).toBe(true);
      expect(dry.nodes).toEqual([X[0], X[1], X[2]]);
      expect(dry.plan.length).toBeGreaterThan(0);
      await fails('getSession after dry run', () => b.getSession('dry'), 'BOS_SESSION_NOT_FOUND', 3);
      const s = await ok('createSession staged', () => b.createSession({ name: 'up', template_name: 'compute-v2', operation: 'reboot', stage: true }));
      expect(s.nodes).toEqual([X[0], X[1], X[2]]);
      // "" as BOS's POST answers it (server/controllers/v2/sessions.py); reads show the nodes set up.
      expect(s.session.components).toBe('');
      expect((await b.getSession('up')).components).toBe(`${X[0]},${X[1]},${X[2]}`);
      expect(s.dry_run).toBe(false);
      await fails('createSession duplicate', () => b.createSession({ name: 'up', template_name: 'compute-v2', operation: 'reboot', stage: true }), 'BOS_SESSION_EXISTS', 4);
      await fails('createSession unknown template', () => b.createSession({ template_name: 'nope', operation: 'reboot' }), 'BOS_TEMPLATE_NOT_FOUND', 3);
      await fails('createSession bad operation', () => b.createSession({ template_name: 'compute-v2', operation: 'explode' }), 'BOS_OPERATION_INVALID', 2);
      await fails('createSession unknown limit', () => b.createSession({ template_name: 'compute-v2', operation: 'reboot', limit: 'nosuch' }), 'BOS_LIMIT_UNKNOWN_NAME', 2);
      await fails('createSession no nodes', () => b.createSession({ template_name: 'compute-v2', operation: 'reboot', limit: 'uan01' }), 'BOS_LIMIT_INVALID', 2);
      await fails('createSession bad name', () => b.createSession({ name: 'bad name', template_name: 'compute-v2', operation: 'reboot' }), 'BOS_NAME_INVALID', 2);
      await fails('createSession bad budget', () => b.createSession({ template_name: 'compute-v2', operation: 'reboot', max_failures: 'lots' }), 'BOS_VALUE_INVALID', 2);
      expect((await ok('getSession', () => b.getSession('up'))).stage).toBe(true);
      await fails('getSession unknown', () => b.getSession('nope'), 'BOS_SESSION_NOT_FOUND', 3);
      expect((await ok('listSessions', () => b.listSessions({}))).map((x) => x.name)).toEqual(['up']);
      expect(await ok('listSessions complete', () => b.listSessions({ status: 'complete' }))).toEqual([]);
      await fails('listSessions bad status', () => b.listSessions({ status: 'bogus' }), 'BOS_VALUE_INVALID', 2);
      const st = await ok('sessionStatus', () => b.sessionStatus('up'));
      expect(st.counts.staged).toBe(3);
      expect(st.extended.managed_components_count).toBe(3);
      await fails('sessionStatus unknown', () => b.sessionStatus('nope'), 'BOS_SESSION_NOT_FOUND', 3);
      expect((await ok('sessionHistory', () => b.sessionHistory('up'))).length).toBeGreaterThan(0);
      await fails('sessionHistory unknown', () => b.sessionHistory('nope'), 'BOS_SESSION_NOT_FOUND', 3);
    });

    it('apply-staged: succeeded, failed, ignored with equal reasons; and its errors', async () => {
      // x1000c0s1b0n0 (cn03) is staged by a session that is then deleted: applying it fails.
      await ok('createSession doomed', () => b.createSession({ name: 'doomed', template_name: 'compute-v2', operation: 'reboot', stage: true, limit: 'cn03' }));
      await ok('deleteSession doomed', () => b.deleteSession('doomed'));
      await fails('deleteSession unknown', () => b.deleteSession('doomed'), 'BOS_SESSION_NOT_FOUND', 3);
      const dry = await ok('applyStaged dry run', () => b.applyStaged(['nid[000001-000002]'], { dryRun: true }));
      expect(dry.succeeded).toEqual([X[0], X[1]]);
      expect(dry.plan?.length).toBeGreaterThan(0);
      const r = await ok('applyStaged', () => b.applyStaged(['nid[000001-000002]', 'cn03 uan01', 'nid999999', 'nid000001']));
      expect(r.succeeded).toEqual([X[0], X[1]]);
      expect(r.failed).toEqual([X[2]]);
      expect(r.ignored).toEqual([X[3], 'nid999999']);
      expect(r.reasons).toEqual({
        [X[2]]: 'staged session doomed no longer exists',
        [X[3]]: 'nothing is staged for it',
        nid999999: 'not a known node name',
      });
      await fails('applyStaged no nodes', () => b.applyStaged([]), 'BOS_NO_NODES', 2);
      await fails('applyStaged blank', () => b.applyStaged(['  ']), 'BOS_NO_NODES', 2);
      await fails('applyStaged bad hostlist', () => b.applyStaged(['nid[3-1]']), 'BOS_HOSTLIST_INVALID', 2);
      await fails('applyStaged BMC xname', () => b.applyStaged(['x1000c0s0b0']), 'BOS_XNAME_INVALID', 2);
      // A node that already runs its staged state is left alone unless forced.
      bootDesired(X[0]);
      const again = await ok('applyStaged current', () => b.applyStaged(['cn01'], { skipCurrent: true }));
      expect(again.succeeded).toEqual([X[0]]);
      expect(again.reasons[X[0]]).toMatch(/already current/);
      const forced = await ok('applyStaged forced', () => b.applyStaged(['cn01'], { skipCurrent: false }));
      expect(forced.reasons[X[0]]).toBeUndefined();
      // BOS's EMPTY_ACTUAL_STATE (common/values.py): the fields are there, empty.
      expect((await b.getComponent(X[0])).actual_state).toMatchObject({ boot_artifacts: { kernel: '', kernel_parameters: '', initrd: '' }, bss_token: '' });
    });

    it('components: list with filters, get by any name, update, history, and their errors', async () => {
      expect((await ok('listComponents', () => b.listComponents({}))).map((c) => c.id)).toEqual([...X]);
      expect((await ok('listComponents ids', () => b.listComponents({ ids: [X[1], X[3]] }))).map((c) => c.id)).toEqual([X[1], X[3]]);
      expect((await ok('listComponents enabled', () => b.listComponents({ enabled: true }))).map((c) => c.id)).toEqual([X[0], X[1]]);
      expect((await ok('listComponents disabled', () => b.listComponents({ enabled: false }))).map((c) => c.id)).toEqual([X[2], X[3]]);
      await ok('listComponents status', () => b.listComponents({ status: ['failed', 'on_hold'] }));
      await ok('listComponents no phase', () => b.listComponents({ phase: '' }));
      expect((await ok('listComponents session', () => b.listComponents({ session: 'up' }))).map((c) => c.id)).toEqual([X[0], X[1]]);
      expect((await ok('listComponents staged session', () => b.listComponents({ staged_session: 'up' }))).map((c) => c.id)).toEqual([X[0], X[1]]);
      await ok('listComponents page', () => b.listComponents({ page_size: 2, start_after_id: X[0] }));
      await fails('listComponents bad status', () => b.listComponents({ status: ['sleepy'] }), 'BOS_VALUE_INVALID', 2);
      await fails('listComponents bad phase', () => b.listComponents({ phase: 'dancing' }), 'BOS_VALUE_INVALID', 2);
      expect((await ok('getComponent xname', () => b.getComponent(X[0]))).id).toBe(X[0]);
      expect((await ok('getComponent nid', () => b.getComponent('nid000002'))).id).toBe(X[1]);
      expect((await ok('getComponent bare nid', () => b.getComponent('2'))).id).toBe(X[1]);
      expect((await ok('getComponent hostname', () => b.getComponent('cn03'))).id).toBe(X[2]);
      await fails('getComponent unknown', () => b.getComponent('nosuch'), 'BOS_COMPONENT_NOT_FOUND', 3);
      await fails('getComponent unknown xname', () => b.getComponent('x9999c0s0b0n0'), 'BOS_COMPONENT_NOT_FOUND', 3);
      await fails('getComponent BMC xname', () => b.getComponent('x1000c0s0b0'), 'BOS_XNAME_INVALID', 2);

      expect((await ok('updateComponent disable', () => b.updateComponent('cn02', { enabled: false }))).enabled).toBe(false);
      expect((await ok('updateComponent enable', () => b.updateComponent('nid000002', { enabled: true }))).enabled).toBe(true);
      const cleared = await ok('updateComponent clear staged', () => b.updateComponent(X[1], { clearStaged: true }));
      expect(cleared.staged_state.session).toBeUndefined();
      const failed = await b.getComponent('cn03');
      expect(failed.error).toMatch(/no longer exists/);
      const fixed = await ok('updateComponent clear error', () => b.updateComponent('cn03', { clearError: true, enabled: true }));
      expect(fixed.error).toBe('');
      expect(fixed.enabled).toBe(true);
      await fails('updateComponent nothing', () => b.updateComponent('cn03', {}), 'BOS_USAGE', 2);
      await fails('updateComponent unknown', () => b.updateComponent('nosuch', { enabled: true }), 'BOS_COMPONENT_NOT_FOUND', 3);

      const h = await ok('componentHistory', () => b.componentHistory('cn02'));
      expect(h.map((e) => e.subject).every((s) => s === X[1])).toBe(true);
      expect((await ok('componentHistory last 2', () => b.componentHistory(X[1], 2))).length).toBe(2);
      await fails('componentHistory unknown', () => b.componentHistory('nosuch'), 'BOS_COMPONENT_NOT_FOUND', 3);
      await fails('componentHistory unknown xname', () => b.componentHistory('x9999c0s0b0n0'), 'BOS_COMPONENT_NOT_FOUND', 3);
    });

    it('session controls: resume, abort, rollback, and their errors', async () => {
      expect((await ok('resumeSession', () => b.resumeSession('up', '10%'))).released).toEqual([]);
      await fails('resumeSession bad budget', () => b.resumeSession('up', 'many'), 'BOS_VALUE_INVALID', 2);
      await fails('resumeSession unknown', () => b.resumeSession('nope'), 'BOS_SESSION_NOT_FOUND', 3);
      await ok('createSession to abort', () => b.createSession({ name: 'halt', template_name: 'compute-v2', operation: 'reboot', stage: true, limit: 'cn03' }));
      const aborted = await ok('abortSession', () => b.abortSession('halt'));
      expect(aborted.unstaged).toEqual([X[2]]);
      await fails('abortSession unknown', () => b.abortSession('nope'), 'BOS_SESSION_NOT_FOUND', 3);
      await fails('rollback nothing earlier', () => b.rollback({ session: 'up' }), 'BOS_LIMIT_INVALID', 2);
      await fails('rollback neither', () => b.rollback({}), 'BOS_USAGE', 2);
      await fails('rollback unknown session', () => b.rollback({ session: 'nope' }), 'BOS_SESSION_NOT_FOUND', 3);
    });

    it('a session over a node that already runs the target reports it as current', async () => {
      // cn01 boots v2 (its desired state since apply-staged, with configuration cfg-v2).
      bootDesired(X[0]);
      const s = await ok('createSession over a current node', () => b.createSession({ name: 'again', template_name: 'compute-v2', operation: 'reboot', limit: 'cn01' }));
      expect(s.nodes).toEqual([X[0]]);
      expect(s.current).toEqual([X[0]]);
      // The plan comes with a dry run (a real create returns BOS's session and the current nodes).
      const dry = await ok('createSession dry run over a current node', () => b.createSession({ name: 'again-dry', template_name: 'compute-v2', operation: 'reboot', limit: 'cn01', dry_run: true }));
      expect(dry.plan).toEqual([{ nodes: [X[0]], change: expect.objectContaining({ current: true }) }]);
    });

    it('tokens: create, list, revoke, and their errors', async () => {
      const tok = await ok('createToken', () => b.createToken({ role: 'wlm', description: 'slurmctld' }));
      expect(tok.token.role).toBe('wlm');
      expect(tok.secret).toMatch(/^bos_[a-z0-9]{8}_/);
      const list = await ok('listTokens', () => b.listTokens());
      expect(list.map((x) => x.role)).toEqual(['admin', 'wlm']);
      await fails('createToken bad role', () => b.createToken({ role: 'root' }), 'BOS_VALUE_INVALID', 2);
      await fails('createToken node without node role', () => b.createToken({ role: 'admin', node: X[0] }), 'BOS_VALUE_INVALID', 2);
      await fails('createToken bad expiry', () => b.createToken({ role: 'wlm', expires: 'soon' }), 'BOS_VALUE_INVALID', 2);
      expect((await ok('revokeToken', () => b.revokeToken(tok.token.id))).revoked_at).not.toBeNull();
      await fails('revokeToken unknown', () => b.revokeToken('zzzzzzzz'), 'BOS_TOKEN_NOT_FOUND', 3);
    });

    it('options: get, update from text, every key, and their errors', async () => {
      expect(await ok('getOptions', () => b.getOptions())).toEqual(defaultOptions());
      const o = await ok('updateOptions', () => b.updateOptions({ max_boot_wait_time: '1800', clear_stage: 'true', logging_level: 'DEBUG' }));
      expect(o.max_boot_wait_time).toBe(1800);
      expect(o.clear_stage).toBe(true);
      await fails('updateOptions bad value', () => b.updateOptions({ max_boot_wait_time: 'soon' }), 'BOS_OPTION_INVALID', 2);
      await fails('updateOptions out of range', () => b.updateOptions({ default_retry_policy: '-1' }), 'BOS_OPTION_INVALID', 2);
      await fails('updateOptions unknown key', () => b.updateOptions({ bogus: '1' }), 'BOS_OPTION_INVALID', 2);
      expect((await b.getOptions()).max_boot_wait_time).toBe(1800);
      const all: Record<string, unknown> = {};
      for (const k of OPTION_KEYS) all[k] = String(OPTION_SPECS[k].default);
      expect(await ok('updateOptions every key', () => b.updateOptions(all))).toEqual(defaultOptions());
    });

    // BOS: operators/session_setup.py (_apply_limit, "No nodes were found to act upon."), server/controllers/v2/sessions.py.
    it('BOS\'s session rules (strict: false, as BOS clients get them): the limit as given, unknown names match nothing, no node is no refusal', async () => {
      const empty = await ok('createSession BOS unknown limit', () => b.createSession({ name: 'bos-empty', template_name: 'compute-v2', operation: 'reboot', limit: 'nosuch', strict: false }));
      expect(empty.nodes).toEqual([]);
      expect(empty.session).toMatchObject({ name: 'bos-empty', limit: 'nosuch', components: '', status: { status: 'pending', error: null } });
      const none = await ok('createSession BOS no node', () => b.createSession({ name: 'bos-none', template_name: 'compute-v2', operation: 'reboot', limit: 'uan01', strict: false }));
      expect(none.nodes).toEqual([]);
      const mixed = await ok('createSession BOS known and unknown', () => b.createSession({ name: 'bos-mixed', template_name: 'compute-v2', operation: 'reboot', stage: true, limit: 'cn02,nosuch', strict: false }));
      expect(mixed.nodes).toEqual([X[1]]);
      expect(mixed.session.limit).toBe('cn02,nosuch');
      expect((await ok('getSession BOS pending', () => b.getSession('bos-mixed'))).components).toBe(X[1]);
      // bosctl's own checks (the default) still refuse before anything is written.
      await fails('createSession strict unknown limit', () => b.createSession({ name: 'strict-unknown', template_name: 'compute-v2', operation: 'reboot', limit: 'cn02,nosuch' }), 'BOS_LIMIT_UNKNOWN_NAME', 2);
      await fails('getSession strict unknown not stored', () => b.getSession('strict-unknown'), 'BOS_SESSION_NOT_FOUND', 3);
    });

    // BOS: operators/status.py (a failed node is disabled), server/controllers/v2/session_status.py (phases of enabled nodes only).
    it('a failed node, disabled as bosd leaves it, shows failed with its error in the session\'s status', async () => {
      const st = t.store();
      st.write(() => {
        const c = st.components.get(X[2])!;
        st.components.put({ ...c, enabled: false, session: 'bos-failed', error: 'did not power off', status: { phase: 'powering_off', status: 'failed', status_override: 'failed' } });
        st.sessions.put({ name: 'bos-failed', operation: 'reboot', template_name: 'compute-v2', limit: '', stage: false, components: X[2], include_disabled: false, status: { status: 'running', start_time: '2026-01-01T00:00:00.000Z', end_time: null, error: null } });
      });
      const c = await ok('getComponent failed', () => b.getComponent(X[2]));
      expect(c).toMatchObject({ enabled: false, error: 'did not power off', status: { status: 'failed', status_override: 'failed' } });
      const r = await ok('sessionStatus with a failed node', () => b.sessionStatus('bos-failed'));
      expect(r.counts.failed).toBe(1);
      expect(r.extended).toMatchObject({ percent_failed: 100, phases: { percent_powering_off: 0 }, error_summary: { 'did not power off': { count: 1, list: X[2] } } });
    });
  });
}

// ---------------------------------------------------------------------------------------
// Comparing transcripts

const TIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z/g;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

function isEvent(v: Record<string, unknown>): boolean {
  return typeof v.kind === 'string' && typeof v.subject === 'string' && typeof v.action === 'string' && 'actor' in v;
}

/**
 * What may differ between the backends, masked: times, generated names, token ids and
 * secrets, and who acted (locally the user, remotely the token). Two differences of the
 * API are normalised and named here:
 * - a component update is recorded as "updated" locally and as "patched" by bosd;
 * - clearing a staged state leaves {last_updated} locally and empty strings through PATCH.
 */
export function normalize(v: unknown, key = ''): unknown {
  if (typeof v === 'string') {
    if (key === 'secret') return '<secret>';
    if (key === 'duration') return '<duration>';
    return v.replace(TIME, '<time>').replace(UUID, '<uuid>');
  }
  if (Array.isArray(v)) return v.map((x) => normalize(x, key));
  if (v && typeof v === 'object') {
    const o = { ...(v as Record<string, unknown>) };
    if (isEvent(o)) {
      o.id = '<id>';
      o.actor = '<actor>';
      o.via = '<via>';
      if (o.action === 'patched' || o.action === 'updated') { o.action = '<update>'; o.detail = '<detail>'; }
    }
    if (key === 'token' || (typeof o.role === 'string' && 'revoked_at' in o)) { o.id = '<id>'; o.created_by = '<by>'; }
    if (key === 'staged_state') {
      const ba = o.boot_artifacts as BootArtifacts | undefined;
      if (ba && !ba.kernel && !ba.initrd && !ba.kernel_parameters) delete o.boot_artifacts;
      if (o.configuration === '') delete o.configuration;
    }
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(o).sort()) if (o[k] !== undefined) out[k] = normalize(o[k], k);
    return out;
  }
  return v;
}
