import type { Component, InventoryNode, Session, SessionTemplate } from '../../core/types.js';
import type { EventRecord } from '../../store/events.js';
import type { Paint } from '../io.js';
import type { ResourceView } from './format.js';

const dash = (s: string | null | undefined) => (s ? s : '-');
/** The last two path segments name an image's artifact well enough: compute-v2/kernel. */
const shortPath = (p: string | undefined) => (p ? p.split('/').filter(Boolean).slice(-2).join('/') : '-');

export function paintStatus(v: string, p: Paint): string {
  if (v === 'stable' || v === 'complete' || v === 'succeeded') return p.green(v);
  if (v === 'failed') return p.red(v);
  if (v === 'on_hold' || v === 'pending' || v === 'ignored') return p.yellow(v);
  if (v === '-') return p.dim(v);
  return p.cyan(v);
}

export const inventoryView: ResourceView<InventoryNode> = {
  name: (n) => n.xname,
  api: (n) => n,
  columns: [
    { header: 'XNAME', value: (n) => n.xname },
    { header: 'NID', value: (n) => (n.nid === null ? '-' : String(n.nid)) },
    { header: 'HOSTNAME', value: (n) => dash(n.hostname) },
    { header: 'ROLE', value: (n) => dash(n.subrole ? `${n.role}/${n.subrole}` : n.role) },
    { header: 'GROUPS', value: (n) => (n.groups.length ? n.groups.join(',') : '-') },
    { header: 'ENABLED', value: (n) => (n.enabled ? 'true' : 'false') },
    { header: 'ARCH', value: (n) => dash(n.arch), wide: true },
    { header: 'BMC', value: (n) => dash(n.bmc_address), wide: true },
    { header: 'CREDENTIALS', value: (n) => dash(n.credentials_ref), wide: true },
  ],
};

export const templateView: ResourceView<SessionTemplate> = {
  name: (t) => t.name,
  api: (t) => t,
  columns: [
    { header: 'NAME', value: (t) => t.name },
    { header: 'BOOT SETS', value: (t) => Object.keys(t.boot_sets).join(',') },
    { header: 'KERNEL', value: (t) => Object.values(t.boot_sets).map((b) => shortPath(b.kernel ?? b.path)).join(',') },
    { header: 'CONFIGURATION', value: (t) => (t.enable_cfs === false ? '-' : dash(t.cfs?.configuration)) },
    { header: 'NODES', value: (t) => Object.values(t.boot_sets).map((b) => [...(b.node_list ?? []), ...(b.node_groups ?? []), ...(b.node_roles_groups ?? [])].join(',')).join(';'), wide: true },
    { header: 'DESCRIPTION', value: (t) => dash(t.description), wide: true },
  ],
};

export const sessionView: ResourceView<Session> = {
  name: (s) => s.name,
  api: (s) => s,
  columns: [
    { header: 'NAME', value: (s) => s.name },
    { header: 'TEMPLATE', value: (s) => s.template_name },
    { header: 'OPERATION', value: (s) => s.operation },
    { header: 'STAGED', value: (s) => (s.stage ? 'true' : 'false') },
    { header: 'STATUS', value: (s) => s.status.status, paint: paintStatus },
    { header: 'NODES', value: (s) => String(s.components ? s.components.split(',').length : 0) },
    { header: 'STARTED', value: (s) => s.status.start_time },
    { header: 'LIMIT', value: (s) => dash(s.limit), wide: true },
    { header: 'ENDED', value: (s) => dash(s.status.end_time), wide: true },
    { header: 'ERROR', value: (s) => dash(s.status.error), wide: true },
  ],
};

export const componentView: ResourceView<Component> = {
  name: (c) => c.id,
  api: (c) => c,
  columns: [
    { header: 'XNAME', value: (c) => c.id },
    { header: 'ENABLED', value: (c) => (c.enabled ? 'true' : 'false') },
    { header: 'PHASE', value: (c) => dash(c.status.phase) },
    { header: 'STATUS', value: (c) => c.status.status, paint: paintStatus },
    { header: 'SESSION', value: (c) => dash(c.session) },
    { header: 'STAGED', value: (c) => dash(c.staged_state.session) },
    { header: 'DESIRED KERNEL', value: (c) => shortPath(c.desired_state.boot_artifacts?.kernel), wide: true },
    { header: 'STAGED KERNEL', value: (c) => shortPath(c.staged_state.boot_artifacts?.kernel), wide: true },
    { header: 'ERROR', value: (c) => dash(c.error), wide: true },
  ],
};

export const eventView: ResourceView<EventRecord> = {
  name: (e) => String(e.id),
  api: (e) => e,
  columns: [
    { header: 'TIME', value: (e) => e.at },
    { header: 'ACTION', value: (e) => e.action },
    { header: 'BY', value: (e) => e.actor },
    { header: 'VIA', value: (e) => e.via },
    { header: 'DETAIL', value: (e) => Object.entries(e.detail).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(' ') },
  ],
};
