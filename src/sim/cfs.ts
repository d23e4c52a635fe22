import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Cancel, Scheduler } from './clock.js';
import type { Fleet } from './fleet.js';
import { BodyError, isRecord, readJson, sendJson, sendProblem } from './http.js';
import type { CfsCall, CfsStatus } from './types.js';

interface Layer {
  clone_url: string;
  playbook: string;
  commit: string;
  status: 'applied' | 'failed' | 'skipped';
  last_updated: string;
  session_name: string;
}

/** A state layer as a PATCH gives it (state or state_append), with CFS's defaults. */
function stateLayer(l: Record<string, unknown>): Layer {
  return {
    clone_url: String(l.clone_url ?? ''),
    playbook: String(l.playbook ?? ''),
    commit: String(l.commit ?? ''),
    status: l.status === 'failed' || l.status === 'skipped' ? l.status : 'applied',
    last_updated: new Date().toISOString(),
    session_name: String(l.session_name ?? ''),
  };
}

interface CfsComponent {
  id: string;
  desired_config: string;
  enabled: boolean;
  configuration_status: CfsStatus;
  state: Layer[];
  tags: Record<string, string>;
  error_count: number;
  retry_policy: number;
  /** Bumped by every patch that restarts configuration; a running configure checks it. */
  gen: number;
  timer: Cancel | null;
}

const PATCH_FIELDS = new Set(['desired_config', 'enabled', 'state', 'state_append', 'tags', 'error_count', 'retry_policy', 'id']);

class PatchError extends Error {}

/** Simulated CFS v3 components: desired_config, enabled, configuration_status. */
export class Cfs {
  readonly components = new Map<string, CfsComponent>();
  readonly calls: CfsCall[] = [];
  patches = 0;

  constructor(
    private readonly fleet: Fleet,
    private readonly scheduler: Scheduler,
  ) {
    for (const n of fleet.order) {
      const id = n.place.xname;
      this.components.set(id, {
        id,
        desired_config: '',
        enabled: false,
        configuration_status: 'unconfigured',
        state: [],
        tags: {},
        error_count: 0,
        retry_policy: 3,
        gen: 0,
        timer: null,
      });
    }
  }

  view(c: CfsComponent): Record<string, unknown> {
    return {
      id: c.id,
      desired_config: c.desired_config,
      enabled: c.enabled,
      configuration_status: c.configuration_status,
      state: c.state.map((l) => ({ ...l })),
      tags: { ...c.tags },
      error_count: c.error_count,
      retry_policy: c.retry_policy,
    };
  }

  counts(): Record<CfsStatus, number> {
    const out: Record<CfsStatus, number> = { unconfigured: 0, pending: 0, configured: 0, failed: 0 };
    for (const c of this.components.values()) out[c.configuration_status]++;
    return out;
  }

  /** Called when a node has booted: pending, enabled components start configuring. */
  nodeBooted(xname: string): void {
    const c = this.components.get(xname);
    if (c) this.evaluate(c);
  }

  /** Called when a node loses power: a running configuration stops (status stays pending). */
  nodeDown(xname: string): void {
    const c = this.components.get(xname);
    if (c) {
      c.timer?.cancel();
      c.timer = null;
    }
  }

  private isBooted(xname: string): boolean {
    const n = this.fleet.nodes.get(xname);
    return !!n && n.power === 'On' && n.booted !== null;
  }

  private evaluate(c: CfsComponent): void {
    if (c.desired_config === '') {
      c.timer?.cancel();
      c.timer = null;
      c.configuration_status = 'unconfigured';
      return;
    }
    if (c.configuration_status !== 'pending') return;
    if (!c.enabled || !this.isBooted(c.id)) {
      c.timer?.cancel();
      c.timer = null;
      return;
    }
    if (c.timer) return;
    const gen = c.gen;
    const node = this.fleet.nodes.get(c.id);
    const epoch = node?.epoch ?? 0;
    c.timer = this.scheduler.after(this.fleet.timings.configure, () => {
      c.timer = null;
      if (c.gen !== gen || (node && node.epoch !== epoch) || !c.enabled || !this.isBooted(c.id)) return;
      if (node && this.fleet.hasFault(node, 'cfs_held')) {
        this.evaluate(c);
        return;
      }
      const fails = node ? this.fleet.hasFault(node, 'cfs_fails') : false;
      c.state = [
        {
          clone_url: 'https://api-gw-service-nmn.local/vcs/cray/sim-config-management.git',
          playbook: 'site.yml',
          commit: createHash('sha1').update(c.desired_config).digest('hex'),
          status: fails ? 'failed' : 'applied',
          last_updated: new Date().toISOString(),
          session_name: `batcher-${randomUUID()}`,
        },
      ];
      if (fails) {
        c.error_count++;
        c.configuration_status = 'failed';
      } else {
        c.configuration_status = 'configured';
      }
    });
  }

  private validatePatch(patch: unknown): Record<string, unknown> {
    if (!isRecord(patch)) throw new PatchError('patch must be an object');
    for (const k of Object.keys(patch)) {
      if (!PATCH_FIELDS.has(k)) throw new PatchError(`unknown or read-only field "${k}"`);
    }
    if (patch.desired_config !== undefined && (typeof patch.desired_config !== 'string' || patch.desired_config.length > 60)) {
      throw new PatchError('desired_config must be a string of at most 60 characters');
    }
    if (patch.enabled !== undefined && typeof patch.enabled !== 'boolean') throw new PatchError('enabled must be a boolean');
    if (patch.state !== undefined && !Array.isArray(patch.state)) throw new PatchError('state must be a list');
    if (patch.tags !== undefined && (!isRecord(patch.tags) || Object.values(patch.tags).some((v) => typeof v !== 'string'))) {
      throw new PatchError('tags must be an object of strings');
    }
    for (const f of ['error_count', 'retry_policy'] as const) {
      if (patch[f] !== undefined && !Number.isInteger(patch[f])) throw new PatchError(`${f} must be an integer`);
    }
    if (patch.state_append !== undefined && !isRecord(patch.state_append)) throw new PatchError('state_append must be an object');
    return patch;
  }

  private applyPatch(c: CfsComponent, patch: Record<string, unknown>): void {
    let restart = false;
    if (typeof patch.desired_config === 'string' && patch.desired_config !== c.desired_config) {
      c.desired_config = patch.desired_config;
      restart = true;
    }
    if (typeof patch.enabled === 'boolean' && patch.enabled !== c.enabled) {
      c.enabled = patch.enabled;
      restart = true;
    }
    if (Array.isArray(patch.state)) {
      c.state = patch.state.filter(isRecord).map(stateLayer);
      restart = true;
    }
    if (isRecord(patch.state_append)) {
      c.state.push(stateLayer(patch.state_append));
    }
    if (isRecord(patch.tags)) {
      for (const [k, v] of Object.entries(patch.tags)) {
        if (v === '') delete c.tags[k];
        else c.tags[k] = String(v);
      }
    }
    if (typeof patch.error_count === 'number') c.error_count = patch.error_count;
    if (typeof patch.retry_policy === 'number') c.retry_policy = patch.retry_policy;
    if (restart) {
      c.gen++;
      c.timer?.cancel();
      c.timer = null;
      c.configuration_status = c.desired_config === '' ? 'unconfigured' : 'pending';
    }
    this.evaluate(c);
  }

  private matches(c: CfsComponent, q: { ids?: Set<string>; status?: Set<string>; enabled?: boolean; config?: string; tags?: [string, string][] }): boolean {
    if (q.ids && !q.ids.has(c.id)) return false;
    if (q.status && !q.status.has(c.configuration_status)) return false;
    if (q.enabled !== undefined && c.enabled !== q.enabled) return false;
    if (q.config !== undefined && c.desired_config !== q.config) return false;
    if (q.tags && q.tags.some(([k, v]) => c.tags[k] !== v)) return false;
    return true;
  }

  private static parseTags(s: string): [string, string][] {
    return s
      .split(',')
      .filter(Boolean)
      .map((kv) => {
        const i = kv.indexOf('=');
        return (i < 0 ? [kv, ''] : [kv.slice(0, i), kv.slice(i + 1)]) as [string, string];
      });
  }

  handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://cfs.local');
    const path = url.pathname.replace(/\/+$/, '');
    const method = req.method ?? 'GET';
    try {
      if (path === '/cfs/healthz' && method === 'GET') return sendJson(res, 200, { db_status: 'ok', kafka_status: 'ok' });
      if (path === '/cfs/versions' && method === 'GET') return sendJson(res, 200, { major: '1', minor: '0', patch: '0' });
      if (path === '/cfs/v3/components') return await this.collection(method, url, req, res);
      const m = /^\/cfs\/v3\/components\/([^/]+)$/.exec(path);
      if (m) return await this.single(method, decodeURIComponent(m[1]!), req, res);
      this.calls.push({ at: Date.now(), method, ids: [] });
      return sendProblem(res, 404, 'Not Found', `no such resource ${path}`);
    } catch (err) {
      if (err instanceof BodyError) return sendProblem(res, err.status, 'Bad Request', err.message);
      if (err instanceof PatchError) return sendProblem(res, 400, 'Bad Request', err.message);
      throw err;
    }
  };

  private async collection(method: string, url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (method === 'GET') {
      const p = url.searchParams;
      const idList = p.get('ids') ? p.get('ids')!.split(',').filter(Boolean) : undefined;
      this.calls.push({ at: Date.now(), method, ids: idList ?? [] });
      const enabledQ = p.get('enabled');
      if (enabledQ !== null && enabledQ !== 'true' && enabledQ !== 'false') return sendProblem(res, 400, 'Bad Request', 'enabled must be true or false');
      const limitQ = p.get('limit');
      const limit = limitQ === null ? undefined : Number(limitQ);
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) return sendProblem(res, 400, 'Bad Request', 'limit must be a positive integer');
      const q = {
        ids: idList ? new Set(idList) : undefined,
        status: p.get('status') ? new Set(p.get('status')!.split(',')) : undefined,
        enabled: enabledQ === null ? undefined : enabledQ === 'true',
        config: p.get('config_name') ?? undefined,
        tags: p.get('tags') ? Cfs.parseTags(p.get('tags')!) : undefined,
      };
      let list = [...this.components.values()].filter((c) => this.matches(c, q));
      list.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      const after = p.get('after_id');
      if (after) list = list.filter((c) => c.id > after);
      let next: Record<string, unknown> | null = null;
      if (limit !== undefined && list.length > limit) {
        list = list.slice(0, limit);
        const nextParams: Record<string, unknown> = {};
        for (const [k, v] of p) nextParams[k] = v;
        nextParams.limit = limit;
        nextParams.after_id = list[list.length - 1]!.id;
        next = nextParams;
      }
      return sendJson(res, 200, { components: list.map((c) => this.view(c)), next });
    }
    if (method !== 'PATCH') {
      this.calls.push({ at: Date.now(), method, ids: [] });
      return sendProblem(res, 405, 'Method Not Allowed', `${method} is not supported on /cfs/v3/components (the simulator creates every node's component)`);
    }
    let body: unknown;
    try {
      body = await readJson(req);
    } catch (err) {
      this.calls.push({ at: Date.now(), method, ids: [] });
      throw err;
    }
    this.patches++;
    if (Array.isArray(body)) {
      // The list form: one patch per component, each naming its id.
      const ids = body.map((b) => (isRecord(b) && typeof b.id === 'string' ? b.id : ''));
      this.calls.push({ at: Date.now(), method, ids, patch: body });
      if (ids.some((id) => id === '')) return sendProblem(res, 400, 'Bad Request', 'every component in the list needs an id');
      const patches = body.map((b) => this.validatePatch(b));
      const missing = ids.filter((id) => !this.components.has(id));
      if (missing.length > 0) return sendProblem(res, 404, 'Not Found', `unknown components: ${missing.join(',')}`);
      patches.forEach((p, i) => this.applyPatch(this.components.get(ids[i]!)!, p));
      return sendJson(res, 200, { component_ids: ids });
    }
    if (!isRecord(body) || !isRecord(body.patch) || !isRecord(body.filters)) {
      this.calls.push({ at: Date.now(), method, ids: [] });
      return sendProblem(res, 400, 'Bad Request', 'the body must be {"patch": {...}, "filters": {...}} or a list of components');
    }
    const f = body.filters;
    const idList = typeof f.ids === 'string' ? f.ids.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
    this.calls.push({ at: Date.now(), method, ids: idList ?? [], patch: body.patch });
    const patch = this.validatePatch(body.patch);
    if (patch.id !== undefined) throw new PatchError('a bulk patch cannot change ids');
    if (idList === undefined && f.status === undefined && f.enabled === undefined && f.config_name === undefined && f.tags === undefined) {
      return sendProblem(res, 400, 'Bad Request', 'at least one filter is required');
    }
    const q = {
      ids: idList ? new Set(idList) : undefined,
      status: typeof f.status === 'string' ? new Set([f.status]) : undefined,
      enabled: typeof f.enabled === 'boolean' ? f.enabled : undefined,
      config: typeof f.config_name === 'string' ? f.config_name : undefined,
      tags: typeof f.tags === 'string' ? Cfs.parseTags(f.tags) : undefined,
    };
    const hits = [...this.components.values()].filter((c) => this.matches(c, q));
    for (const c of hits) this.applyPatch(c, patch);
    return sendJson(res, 200, { component_ids: hits.map((c) => c.id) });
  }

  private async single(method: string, id: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const c = this.components.get(id);
    if (method === 'GET') {
      this.calls.push({ at: Date.now(), method, ids: [id] });
      if (!c) return sendProblem(res, 404, 'Not Found', `component ${id} could not be found`);
      return sendJson(res, 200, this.view(c));
    }
    if (method === 'PATCH') {
      let body: unknown;
      try {
        body = await readJson(req);
      } finally {
        this.calls.push({ at: Date.now(), method, ids: [id], patch: body });
      }
      this.patches++;
      const patch = this.validatePatch(body);
      if (!c) return sendProblem(res, 404, 'Not Found', `component ${id} could not be found`);
      if (patch.id !== undefined && patch.id !== id) throw new PatchError('id does not match the path');
      this.applyPatch(c, patch);
      return sendJson(res, 200, this.view(c));
    }
    this.calls.push({ at: Date.now(), method, ids: [id] });
    return sendProblem(res, 405, 'Method Not Allowed', `${method} is not supported on /cfs/v3/components/{id}`);
  }

  close(): void {
    for (const c of this.components.values()) {
      c.timer?.cancel();
      c.timer = null;
    }
  }
}
