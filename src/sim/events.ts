import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Scheduler } from './clock.js';
import type { SimBmc, SimNode } from './fleet.js';
import { BodyError, isRecord, readJson, sendEmpty, sendJson } from './http.js';
import type { EventsMode, FaultKind, PowerState } from './types.js';

const ODATA = { 'OData-Version': '4.0' };
/** DMTF ResourceEvent registry: MessageArgs are the resource's URI and its new PowerState. */
export const POWER_MESSAGE_ID = 'ResourceEvent.1.0.ResourcePowerStateChanged';
/** How late an `events_late` event arrives, in simulated seconds. */
export const LATE_EVENT_SIM_SECONDS = 60;

interface Subscription {
  id: string;
  destination: string;
  context: string;
  protocol: string;
  registryPrefixes: string[];
  resourceTypes: string[];
  /** An SSE connection's own subscription (listed while the stream is open). */
  stream?: ServerResponse;
}

interface BmcEvents {
  subs: Map<string, Subscription>;
  nextId: number;
}

export interface EventCounters {
  /** Events delivered (SSE records written plus pushes answered 2xx). */
  sent: number;
  sse: number;
  pushed: number;
  pushFailed: number;
  dropped: number;
  delayed: number;
  subscriptionsCreated: number;
  subscriptionsDeleted: number;
}

type ErrorFn = (res: ServerResponse, status: number, code: string, message: string) => void;

/**
 * The EventService of every simulated BMC (DMTF Redfish EventService): Subscriptions (push
 * of Event bodies to a Destination), and a ServerSentEventUri stream. Power changes of a system
 * become ResourcePowerStateChanged events. The faults events_dropped / events_late lose or
 * delay a node's events.
 */
export class SimEventService {
  readonly counters: EventCounters = { sent: 0, sse: 0, pushed: 0, pushFailed: 0, dropped: 0, delayed: 0, subscriptionsCreated: 0, subscriptionsDeleted: 0 };
  private readonly bmcs = new Map<SimBmc, BmcEvents>();
  private readonly pushes = new Set<AbortController>();
  private nextEventId = 1;
  private closed = false;

  constructor(
    private readonly modeOf: (bmc: SimBmc) => EventsMode,
    private readonly scheduler: Scheduler,
    private readonly hasFault: (node: SimNode, kind: FaultKind) => boolean,
    private readonly error: ErrorFn,
  ) {}

  mode(bmc: SimBmc): EventsMode {
    return this.modeOf(bmc);
  }

  /** Subscriptions live now, over every BMC (SSE streams included). */
  get live(): number {
    let n = 0;
    for (const b of this.bmcs.values()) n += b.subs.size;
    return n;
  }

  private state(bmc: SimBmc): BmcEvents {
    let s = this.bmcs.get(bmc);
    if (!s) {
      s = { subs: new Map(), nextId: 1 };
      this.bmcs.set(bmc, s);
    }
    return s;
  }

  /** Requests below /redfish/v1/EventService (`rest` starts with 'EventService'); the caller has authenticated them. */
  async handle(bmc: SimBmc, req: IncomingMessage, res: ServerResponse, rest: string[], method: string): Promise<void> {
    const mode = this.modeOf(bmc);
    const base = `${bmc.prefix}/redfish/v1/EventService`;
    if (mode === 'none') return this.error(res, 404, 'ResourceMissingAtURI', `the resource at ${base} was not found`);
    if (rest.length === 1) {
      if (method !== 'GET') return this.notAllowed(res, 'GET');
      return sendJson(res, 200, {
        '@odata.id': base,
        '@odata.type': '#EventService.v1_7_0.EventService',
        Id: 'EventService',
        Name: 'Event Service',
        ServiceEnabled: true,
        DeliveryRetryAttempts: 3,
        DeliveryRetryIntervalSeconds: 30,
        EventFormatTypes: ['Event'],
        RegistryPrefixes: ['ResourceEvent'],
        ResourceTypes: ['ComputerSystem'],
        ...(mode === 'sse+push' ? { ServerSentEventUri: `${base}/SSE` } : {}),
        Subscriptions: { '@odata.id': `${base}/Subscriptions` },
      }, ODATA);
    }
    if (rest[1] === 'SSE' && rest.length === 2 && mode === 'sse+push') {
      if (method !== 'GET') return this.notAllowed(res, 'GET');
      return this.openStream(bmc, req, res);
    }
    if (rest[1] !== 'Subscriptions') return this.error(res, 404, 'ResourceMissingAtURI', `the resource at ${bmc.prefix}/redfish/v1/${rest.join('/')} was not found`);
    const s = this.state(bmc);
    if (rest.length === 2) {
      if (method === 'POST') return this.subscribe(bmc, req, res);
      if (method !== 'GET') return this.notAllowed(res, 'GET, POST');
      const members = [...s.subs.keys()].map((id) => ({ '@odata.id': `${base}/Subscriptions/${id}` }));
      return sendJson(res, 200, { '@odata.id': `${base}/Subscriptions`, '@odata.type': '#EventDestinationCollection.EventDestinationCollection', Name: 'Event Subscriptions', Members: members, 'Members@odata.count': members.length }, ODATA);
    }
    const sub = rest.length === 3 ? s.subs.get(rest[2]!) : undefined;
    if (!sub) return this.error(res, 404, 'ResourceMissingAtURI', `no subscription ${rest.slice(2).join('/')}`);
    if (method === 'GET') return sendJson(res, 200, this.describe(bmc, sub), ODATA);
    if (method === 'DELETE') {
      this.remove(s, sub);
      return sendEmpty(res, 204, ODATA);
    }
    return this.notAllowed(res, 'GET, DELETE');
  }

  private describe(bmc: SimBmc, sub: Subscription): Record<string, unknown> {
    return {
      '@odata.id': `${bmc.prefix}/redfish/v1/EventService/Subscriptions/${sub.id}`,
      '@odata.type': '#EventDestination.v1_9_0.EventDestination',
      Id: sub.id,
      Name: 'Event Subscription',
      Destination: sub.destination,
      Context: sub.context,
      Protocol: sub.protocol,
      SubscriptionType: sub.stream ? 'SSE' : 'RedfishEvent',
      EventFormatType: 'Event',
      RegistryPrefixes: sub.registryPrefixes,
      ResourceTypes: sub.resourceTypes,
      DeliveryRetryPolicy: 'SuspendRetries',
    };
  }

  private remove(s: BmcEvents, sub: Subscription): void {
    if (!s.subs.delete(sub.id)) return;
    this.counters.subscriptionsDeleted++;
    sub.stream?.end();
  }

  private async subscribe(bmc: SimBmc, req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body: unknown;
    try {
      body = await readJson(req);
    } catch (err) {
      if (err instanceof BodyError) return this.error(res, 400, 'MalformedJSON', 'The request body submitted was malformed JSON.');
      throw err;
    }
    if (!isRecord(body) || typeof body.Destination !== 'string' || !/^https?:\/\//.test(body.Destination)) {
      return this.error(res, 400, 'PropertyMissing', 'The property Destination (an http(s) URI) is a required property and must be included in the request.');
    }
    const protocol = body.Protocol ?? 'Redfish';
    if (protocol !== 'Redfish') return this.error(res, 400, 'PropertyValueNotInList', `The value ${JSON.stringify(protocol)} for the property Protocol is not in the list of acceptable values (Redfish).`);
    const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
    const s = this.state(bmc);
    const id = String(s.nextId++);
    s.subs.set(id, {
      id,
      destination: body.Destination,
      context: typeof body.Context === 'string' ? body.Context : '',
      protocol,
      registryPrefixes: strings(body.RegistryPrefixes),
      resourceTypes: strings(body.ResourceTypes),
    });
    this.counters.subscriptionsCreated++;
    const location = `${bmc.prefix}/redfish/v1/EventService/Subscriptions/${id}`;
    return sendJson(res, 201, this.describe(bmc, s.subs.get(id)!), { ...ODATA, Location: location });
  }

  private openStream(bmc: SimBmc, req: IncomingMessage, res: ServerResponse): void {
    const s = this.state(bmc);
    const id = String(s.nextId++);
    const sub: Subscription = { id, destination: '', context: '', protocol: 'Redfish', registryPrefixes: [], resourceTypes: [], stream: res };
    s.subs.set(id, sub);
    this.counters.subscriptionsCreated++;
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', ...ODATA });
    res.write(': stream open\n\n');
    const gone = () => {
      if (s.subs.get(id) === sub) {
        s.subs.delete(id);
        this.counters.subscriptionsDeleted++;
      }
    };
    res.on('close', gone);
    req.on('close', gone);
  }

  /** A system's PowerState changed: one event to every subscriber of its BMC. */
  powerChanged(node: SimNode, to: PowerState): void {
    if (this.closed || this.modeOf(node.bmc) === 'none') return;
    const s = this.bmcs.get(node.bmc);
    if (!s || s.subs.size === 0) return;
    if (this.hasFault(node, 'events_dropped')) {
      this.counters.dropped++;
      return;
    }
    const origin = `${node.bmc.prefix}/redfish/v1/Systems/${node.systemId}`;
    const eventId = String(this.nextEventId++);
    const record = {
      EventType: 'Other',
      EventId: eventId,
      EventTimestamp: new Date(this.scheduler.now()).toISOString(),
      Severity: 'OK',
      MessageSeverity: 'OK',
      Message: `The power state of resource ${origin} has changed to type ${to}.`,
      MessageId: POWER_MESSAGE_ID,
      MessageArgs: [origin, to],
      OriginOfCondition: { '@odata.id': origin },
    };
    const deliver = () => {
      for (const sub of s.subs.values()) this.deliver(sub, eventId, record);
    };
    if (this.hasFault(node, 'events_late')) {
      this.counters.delayed++;
      this.scheduler.after(LATE_EVENT_SIM_SECONDS, deliver);
    } else deliver();
  }

  private deliver(sub: Subscription, eventId: string, record: Record<string, unknown>): void {
    const event = { '@odata.type': '#Event.v1_7_0.Event', Id: eventId, Name: 'Event Array', Context: sub.context, Events: [record], 'Events@odata.count': 1 };
    if (sub.stream) {
      if (sub.stream.writableEnded || sub.stream.destroyed) return;
      sub.stream.write(`id: ${eventId}\ndata: ${JSON.stringify(event)}\n\n`);
      this.counters.sse++;
      this.counters.sent++;
      return;
    }
    const ac = new AbortController();
    this.pushes.add(ac);
    const timer = setTimeout(() => ac.abort(), 5000);
    fetch(sub.destination, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event), signal: ac.signal })
      .then(async (r) => {
        await r.arrayBuffer().catch(() => undefined);
        if (r.ok) {
          this.counters.pushed++;
          this.counters.sent++;
        } else this.counters.pushFailed++;
      })
      .catch(() => { this.counters.pushFailed++; })
      .finally(() => {
        clearTimeout(timer);
        this.pushes.delete(ac);
      });
  }

  private notAllowed(res: ServerResponse, allow: string): void {
    res.setHeader('Allow', allow);
    this.error(res, 405, 'OperationNotAllowed', 'The HTTP method is not allowed on this resource.');
  }

  /** Ends every open SSE stream (as a BMC reboot or a dropped connection does); returns how many. */
  breakStreams(): number {
    let n = 0;
    for (const s of this.bmcs.values()) {
      for (const sub of s.subs.values()) {
        if (!sub.stream) continue;
        sub.stream.destroy();
        n++;
      }
    }
    return n;
  }

  /** Ends every stream and push in flight. */
  close(): void {
    this.closed = true;
    for (const s of this.bmcs.values()) for (const sub of s.subs.values()) sub.stream?.destroy();
    for (const ac of this.pushes) ac.abort();
    this.pushes.clear();
  }
}
