/**
 * Who may do what through the API. admin: everything. wlm (a workload manager such as a
 * Slurm controller): apply staged state and read components. node: report its own boot and
 * read its own component (a node token without a node may report for any node: a fleet
 * reporter, as the simulator uses).
 */
export const ROLES = ['admin', 'wlm', 'node'] as const;
export type Role = (typeof ROLES)[number];

export type Permission =
  /** Anyone, even without a token. */
  | 'public'
  /** Read components (list, get). */
  | 'read_components'
  /** Read one component: the node role may read its own. */
  | 'read_component'
  | 'apply_staged'
  /** A node's boot report: PATCH of its own component's actual_state. */
  | 'report_boot'
  | 'admin';

export interface Principal {
  role: Role;
  /** For node tokens: the one node it speaks for; null = any node. */
  node: string | null;
  /** Token id or "unix-socket": who, for the events table. */
  name: string;
  /** A tenant-bound token: the only tenant it ever acts as (bosctl's extension to BOS). */
  tenant?: string;
}

export function allowed(p: Principal, perm: Permission, componentId?: string): boolean {
  if (perm === 'public' || p.role === 'admin') return true;
  switch (perm) {
    case 'read_components':
    case 'apply_staged':
      return p.role === 'wlm';
    case 'read_component':
      return p.role === 'wlm' || (p.role === 'node' && (p.node === null || p.node === componentId));
    case 'report_boot':
      return p.role === 'node' && (p.node === null || p.node === componentId);
    default:
      return false;
  }
}
