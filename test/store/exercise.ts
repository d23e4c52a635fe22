import { newComponent } from '../../src/core/component.js';
import type { Component, InventoryNode, Session, SessionTemplate } from '../../src/core/types.js';
import type { Store } from '../../src/store/store.js';

const actor = { user: 'test', via: 'vitest' };

/** One script of every table family's writes, run on each engine; the dumps must be equal. */
export function exercise(s: Store): void {
  const node = (i: number): InventoryNode => ({
    xname: `x1000c0s${i}b0n0`, nid: i + 1, hostname: `nid00000${i + 1}`, aliases: [`Node-${i}`], role: 'Compute', subrole: null,
    groups: ['all', i % 2 ? 'odd' : 'even'], enabled: true, arch: 'X86', bmc_address: null, redfish_system_id: null, credentials_ref: 'sim',
  });
  s.write(() => { for (let i = 0; i < 4; i++) s.inventory.put(node(i), '2026-01-01T00:00:00Z'); });
  s.write(() => s.inventory.put(node(1), '2026-01-02T00:00:00Z'));
  s.write(() => {
    for (const id of ['x1000c0s1b0n0', 'x1000c0s0b0n0', 'x1000c0s_b0n0']) {
      const c = newComponent(id);
      c.actual_state = { boot_artifacts: { kernel: `k-${id}`, initrd: '', kernel_parameters: '' }, last_updated: '2026-01-01T00:00:00Z' } as Component['actual_state'];
      s.components.put(c);
      s.components.put(c);
      s.components.setLastStable(id, { boot_artifacts: { kernel: 'k1', initrd: 'i1', kernel_parameters: '' } } as Component['desired_state']);
    }
    s.bssTokens.put('tok-1', { kernel: 'a', initrd: 'b', kernel_parameters: 'c' }, '2026-01-01T00:00:00Z');
    s.bssTokens.put('tok-1', { kernel: 'a2', initrd: 'b2', kernel_parameters: 'c2' }, '2026-01-01T00:00:01Z');
    s.options.set({ max_boot_wait_time: 10, clear_stage: true });
    s.templates.put({ name: 'tpl', tenant: null, boot_sets: {} } as unknown as SessionTemplate, '2026-01-01T00:00:00Z');
    s.templates.put({ name: 'tpl', tenant: 'blue', boot_sets: {} } as unknown as SessionTemplate, '2026-01-01T00:00:00Z');
    for (const tenant of ['blue', undefined]) {
      s.sessions.put({ name: 's1', tenant, operation: 'reboot', template_name: 'tpl', limit: '', stage: false, components: 'x1000c0s0b0n0',
        include_disabled: false, status: { status: 'running', start_time: '2026-01-01T00:00:00Z', end_time: null, error: null } } as Session);
    }
    s.sessions.setControl('s1', { max_failures: '2', halted_at: null });
    s.tenants.put({ name: 'blue', nodes: 'x1000c0s0b0n0', xnames: ['x1000c0s0b0n0'], description: 'é ü', created_at: 'a', updated_at: 'b' });
    s.tokens.insert({ id: 't1', role: 'admin', node: null, tenant: null, hash: 'h', description: '', created_at: 'a', created_by: 'me', expires_at: null });
    s.events.record('2026-01-01T00:00:00Z', 'component', 'x1000c0s0b0n0', 'boot', { session: 's1', n: 1 }, actor);
    s.events.record('2026-01-01T00:00:01Z', 'session', 's1', 'create', { quote: "it's \"q\" ? @x" }, actor);
  });
  s.write(() => s.inventory.delete('x1000c0s3b0n0'));
}
