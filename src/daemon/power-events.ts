import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import type { PowerState } from '../core/reconcile.js';
import {
  createSubscription, deleteSubscription, listSubscriptions, openSse, powerEventsOf, readEventService, sseAgent, systemIdOf,
  type EventsClient,
} from '../integrations/redfish-events.js';
import type { PowerTarget } from './drivers.js';
import type { Logger } from './log.js';
import type { NodeTable, NodeWork } from './node-work.js';

/** bosd.yaml `redfish_events`. */
export interface PowerEventsConfig {
  /** auto: SSE where offered, else push when push_url is set; sse / push: only that; off: poll. */
  mode: 'auto' | 'sse' | 'push' | 'off';
  /** Base URL BMCs reach bosd's API at; subscriptions post to <push_url>/redfish-events/<id>. */
  pushUrl: string | null;
  /** A change is overdue (bosd reads the node once) this long after the last sign of it (request or event). */
  overdueMs: number;
}

export const DEFAULT_POWER_EVENTS: PowerEventsConfig = { mode: 'auto', pushUrl: null, overdueMs: 60_000 };

/** Every Context bosd writes starts so: a restart finds (and removes) the subscriptions it made before. */
export const CONTEXT_PREFIX = 'bosctl-bosd';
export const PUSH_PATH = '/redfish-events/';
const MAX_PUSH_BYTES = 256 * 1024;
const RECONNECT_MIN_MS = 1000;
const RECONNECT_MAX_MS = 60_000;
/**
 * How long a node's first read waits for its BMC's subscription to come up. Short: a read made
 * before is a fact all the same (only not one events keep current), and the events of the change
 * bosd then asks for make it current again; a large apply must not wait for hundreds of set-ups.
 */
const READY_WAIT_MS = 250;

type BmcMode = 'starting' | 'live' | 'polling';

interface BmcEvents {
  xname: string;
  target: PowerTarget;
  mode: BmcMode;
  via?: 'sse' | 'push';
  /** Monotonic time the stream (or subscription) has been live since. */
  liveSince: number;
  /** System Id → node. */
  systems: Map<string, string>;
  ready: Promise<void>;
  abort?: AbortController;
  push?: { key: string; secret: Buffer; uri?: string; subscriptionsUri: string; pushUrl: string };
  reconnectMs: number;
  timer?: NodeJS.Timeout;
  /** Why it polls (logged once per reason). */
  reason?: string;
}

export interface PowerEventsStats {
  bmcsLive: number;
  bmcsPolling: number;
  received: number;
  applied: number;
  pushRefused: number;
  fallbacks: number;
}

export interface PowerEventsDeps {
  client: EventsClient;
  nodes: NodeTable;
  log: Logger;
  mono: () => number;
  config: PowerEventsConfig;
  /** Who this bosd is in its subscriptions' Context (the same after a restart; another bosd's differs). */
  owner: string;
  /** The system Id of a node whose inventory has none. */
  resolveSystem(t: PowerTarget): Promise<string>;
}

function digest(b: Buffer | string): Buffer {
  return createHash('sha256').update(b).digest();
}

/**
 * Per BMC: subscribes to its power events on first contact (SSE, else push to bosd's own
 * listener), keeps the subscription (reconnects, re-creates), and removes it at stop. While a
 * BMC's events are live its nodes' power facts come from events: no poll, a read only when a
 * change is overdue; a stream that breaks, a refused subscription or a missed event puts the
 * BMC back on polling.
 */
export class PowerEvents {
  private readonly bmcs = new Map<string, BmcEvents>();
  private readonly byKey = new Map<string, BmcEvents>();
  private readonly nodeBmc = new Map<string, BmcEvents>();
  /** Node → its last power state seen (event or read) and when, and the last event's time. */
  private readonly known = new Map<string, { state: PowerState; at: number; eventAt: number }>();
  private readonly counts = { received: 0, applied: 0, pushRefused: 0, fallbacks: 0 };
  private agent?: Dispatcher;
  private stopped = false;

  constructor(private readonly d: PowerEventsDeps) {}

  get enabled(): boolean {
    return this.d.config.mode !== 'off';
  }

  stats(): PowerEventsStats {
    let live = 0;
    let polling = 0;
    for (const b of this.bmcs.values()) b.mode === 'live' ? live++ : b.mode === 'polling' ? polling++ : undefined;
    return { bmcsLive: live, bmcsPolling: polling, ...this.counts };
  }

  /** The node's BMC is about to be read: subscribe on first contact, and wait (briefly) for it to be live. */
  async contact(t: PowerTarget): Promise<void> {
    if (!this.enabled || this.stopped) return;
    let b = this.bmcs.get(t.bmcXname);
    if (!b) {
      const fresh: BmcEvents = { xname: t.bmcXname, target: t, mode: 'starting', liveSince: Number.POSITIVE_INFINITY, systems: new Map(), ready: Promise.resolve(), reconnectMs: RECONNECT_MIN_MS };
      this.bmcs.set(t.bmcXname, fresh);
      fresh.ready = this.start(fresh);
      b = fresh;
    }
    if (!this.nodeBmc.has(t.nodeXname)) {
      this.nodeBmc.set(t.nodeXname, b);
      const id = t.systemId ?? (await this.d.resolveSystem(t).catch(() => ''));
      if (id) b.systems.set(id, t.nodeXname);
    }
    if (b.mode === 'starting') {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([b.ready, new Promise<void>((r) => { timer = setTimeout(r, READY_WAIT_MS); timer.unref(); })]);
      clearTimeout(timer);
    }
  }

  /** Whether a power state seen at `at` is still the node's state (its BMC's events live since). */
  covers(id: string, at: number): boolean {
    const b = this.nodeBmc.get(id);
    return !!b && b.mode === 'live' && b.liveSince <= at;
  }

  /** The node's power as events (and reads) left it, when its BMC's events are live since. */
  current(id: string): { state: PowerState; at: number } | undefined {
    const k = this.known.get(id);
    return k && this.covers(id, k.at) ? { state: k.state, at: k.at } : undefined;
  }

  /**
   * When the node's power must be read although events are live: a change it waits for (Off
   * while powering off, on while powering on) overdue since its last sign (the action's start
   * or the last event); never (+Infinity) when it waits for none. undefined: its BMC is polled.
   */
  readDue(w: NodeWork): number | undefined {
    const k = this.known.get(w.id);
    if (!k || !this.covers(w.id, k.at)) return undefined;
    const phase = w.component.status.phase;
    const waits = phase === 'powering_off' ? k.state !== 'Off' : phase === 'powering_on' && (k.state === 'Off' || k.state === 'PoweringOff');
    if (!waits) return Number.POSITIVE_INFINITY;
    return Math.max(k.eventAt, k.at, w.actionAt?.at ?? 0) + this.d.config.overdueMs;
  }

  /**
   * A read of the node's power (sent at `sentAt`, answered at `at`): a state that differs from
   * what live events said before it was sent means one was missed. An event that came while
   * the read was under way is newer than the read, or as new: it stays, and is returned.
   */
  observed(id: string, state: PowerState, sentAt: number, at: number): { state: PowerState; at: number } | undefined {
    if (!this.enabled) return undefined;
    const k = this.known.get(id);
    const b = this.bmcOf(id);
    if (k && k.eventAt >= sentAt) return { state: k.state, at: k.at };
    if (k && b?.mode === 'live' && this.covers(id, k.at) && k.state !== state) {
      this.fallBack(b, `an event was missed (node ${id} read ${state}, events said ${k.state})`, false);
    }
    this.known.set(id, { state, at, eventAt: k?.eventAt ?? 0 });
    return undefined;
  }

  /** bosd's API route POST /redfish-events/<key>: a BMC's push. */
  handlePush(req: IncomingMessage, res: ServerResponse, key: string): void {
    const answer = (status: number) => {
      res.writeHead(status, { 'content-length': '0' });
      res.end();
    };
    const b = this.byKey.get(key);
    if (req.method !== 'POST') return answer(405);
    if (!b || !b.push) {
      this.counts.pushRefused++;
      req.resume();
      return answer(404);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_PUSH_BYTES) chunks.push(c);
    });
    req.on('end', () => {
      if (size > MAX_PUSH_BYTES) return answer(413);
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        this.counts.pushRefused++;
        return answer(400);
      }
      const context = typeof (body as { Context?: unknown })?.Context === 'string' ? (body as { Context: string }).Context : '';
      if (!b.push || !timingSafeEqual(digest(context), digest(this.contextFor(b.push.key, b.push.secret)))) {
        this.counts.pushRefused++;
        this.d.log.log('warn', 'Redfish event refused: wrong Context', { bmc: b.xname });
        return answer(401);
      }
      answer(204);
      this.take(b, body);
    });
    req.on('error', () => answer(400));
  }

  /** Ends every stream and deletes every push subscription bosd made (bounded by the caller). */
  async stop(): Promise<void> {
    this.stopped = true;
    const deletes: Promise<void>[] = [];
    for (const b of this.bmcs.values()) {
      clearTimeout(b.timer);
      b.abort?.abort();
      if (b.push?.uri) deletes.push(deleteSubscription(this.d.client, b.target, b.push.uri).catch(() => undefined));
    }
    await Promise.all(deletes);
    await this.agent?.close().catch(() => undefined);
  }

  // -------------------------------------------------------------------------------------------

  private contextFor(key: string, secret: Buffer): string {
    return `${CONTEXT_PREFIX}:${this.d.owner}:${key}:${secret.toString('base64url')}`;
  }

  private bmcOf(id: string): BmcEvents | undefined {
    return this.nodeBmc.get(id);
  }

  private async start(b: BmcEvents): Promise<void> {
    const { mode, pushUrl } = this.d.config;
    try {
      const info = await readEventService(this.d.client, b.target);
      if (!info || !info.enabled) return this.fallBack(b, 'it offers no enabled EventService', true);
      if (info.sseUri && (mode === 'auto' || mode === 'sse')) return this.openStream(b, info.sseUri);
      if (info.subscriptionsUri && pushUrl && (mode === 'auto' || mode === 'push')) return await this.subscribe(b, info.subscriptionsUri, pushUrl);
      return this.fallBack(b, mode === 'sse' ? 'it offers no SSE stream' : pushUrl ? 'it offers no Subscriptions' : 'it offers no SSE stream and redfish_events.push_url is not set', true);
    } catch (e) {
      return this.fallBack(b, `its EventService could not be used: ${(e as Error).message}`, true);
    }
  }

  private openStream(b: BmcEvents, uri: string): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.agent ??= sseAgent(this.d.client.tls);
    const abort = new AbortController();
    b.abort = abort;
    b.via = 'sse';
    return new Promise<void>((opened) => {
      openSse(this.d.client, b.target, uri, this.agent!, abort.signal, () => {
        this.goLive(b);
        opened();
      }, (body) => this.take(b, body))
        .then(() => { if (!abort.signal.aborted) this.lost(b, 'its event stream ended', () => this.openStream(b, uri)); })
        .catch((e: unknown) => { if (!abort.signal.aborted) this.lost(b, `its event stream failed: ${(e as Error).message}`, () => this.openStream(b, uri)); })
        .finally(opened);
    });
  }

  private async subscribe(b: BmcEvents, subscriptionsUri: string, pushUrl: string): Promise<void> {
    const base = pushUrl.replace(/\/+$/, '') + PUSH_PATH;
    // Subscriptions this bosd made here before (a crash, a restart) go first; others' stay.
    const mine = `${CONTEXT_PREFIX}:${this.d.owner}:`;
    for (const s of await listSubscriptions(this.d.client, b.target, subscriptionsUri)) {
      if (s.context.startsWith(mine)) await deleteSubscription(this.d.client, b.target, s.uri);
    }
    if (this.stopped) return;
    const key = randomBytes(12).toString('hex');
    const secret = randomBytes(24);
    b.push = { key, secret, subscriptionsUri, pushUrl };
    this.byKey.set(key, b);
    b.push.uri = await createSubscription(this.d.client, b.target, subscriptionsUri, base + key, this.contextFor(key, secret));
    b.via = 'push';
    if (this.stopped) {
      await deleteSubscription(this.d.client, b.target, b.push.uri).catch(() => undefined);
      return;
    }
    this.goLive(b);
  }

  /** After a missed event: a push subscription the BMC no longer has is made again; one it has is deleted (polling). */
  private async renewOrDrop(b: BmcEvents, push: NonNullable<BmcEvents['push']>): Promise<void> {
    try {
      const r = await this.d.client.call(b.target, 'GET', push.uri!);
      if (r.status === 404 && !this.stopped && b.push === push) {
        this.byKey.delete(push.key);
        b.push = undefined;
        this.d.log.log('info', 'Redfish push subscription gone from the BMC: made again', { bmc: b.xname });
        await this.subscribe(b, push.subscriptionsUri, push.pushUrl);
        return;
      }
    } catch {
      // Not known whether it is there: delete it, and poll.
    }
    await deleteSubscription(this.d.client, b.target, push.uri!).catch(() => undefined);
  }

  private goLive(b: BmcEvents): void {
    b.mode = 'live';
    b.liveSince = this.d.mono();
    b.reconnectMs = RECONNECT_MIN_MS;
    if (b.reason) this.d.log.log('info', 'Redfish events live again: its nodes are not polled', { bmc: b.xname, via: b.via });
    b.reason = undefined;
  }

  /** The stream broke: poll meanwhile, and connect again after a back-off. */
  private lost(b: BmcEvents, why: string, again: () => Promise<void>): void {
    this.fallBack(b, why, false);
    if (this.stopped) return;
    const ms = b.reconnectMs;
    b.reconnectMs = Math.min(RECONNECT_MAX_MS, b.reconnectMs * 2);
    b.timer = setTimeout(() => { void again(); }, ms);
    b.timer.unref();
  }

  private fallBack(b: BmcEvents, why: string, forGood: boolean): void {
    const wasLive = b.mode === 'live';
    b.mode = 'polling';
    b.liveSince = Number.POSITIVE_INFINITY;
    if (wasLive) this.counts.fallbacks++;
    if (b.reason !== why) {
      b.reason = why;
      this.d.log.log(wasLive ? 'warn' : 'info', `BMC ${b.xname} is polled: ${why}`, { bmc: b.xname, events: 'polling' });
    }
    if (wasLive && !forGood && why.startsWith('an event was missed')) {
      // A missed event is not a broken stream: this BMC stays on polling for this run, unless
      // it dropped bosd's push subscription (expired, reset), which is then made again.
      b.abort?.abort();
      if (b.push?.uri) void this.renewOrDrop(b, b.push);
    }
    // Its nodes wake to be read now: what the events said may be old.
    for (const id of b.systems.values()) {
      const w = this.d.nodes.get(id);
      if (w) this.wake(w);
    }
  }

  private take(b: BmcEvents, body: unknown): void {
    if (b.mode !== 'live') return;
    for (const e of powerEventsOf(body)) {
      this.counts.received++;
      const id = b.systems.get(systemIdOf(e.origin));
      if (!id) continue;
      const now = this.d.mono();
      const w = this.d.nodes.get(id);
      if (e.state) {
        this.known.set(id, { state: e.state, at: now, eventAt: now });
        if (w) w.power = { state: e.state, at: now };
      } else {
        // Something changed without its PowerState: read it once.
        this.known.delete(id);
        if (w) w.power = undefined;
      }
      this.counts.applied++;
      if (w) this.wake(w);
    }
  }

  private wake(w: NodeWork): void {
    if (w.busy) w.dueAfterStep = true;
    else this.d.nodes.setDue(w, 0);
  }
}


