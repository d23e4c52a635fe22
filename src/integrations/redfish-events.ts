/**
 * The Redfish EventService as bosd uses it (DMTF EventService / EventDestination / Event):
 * find it, subscribe (push: POST to Subscriptions; SSE: a text/event-stream GET of
 * ServerSentEventUri), list and delete subscriptions, and read power changes out of Event bodies.
 * Requests go through RedfishClient (its auth and pools); an SSE stream has a connection of its own.
 */
import { Agent, request, type Dispatcher } from 'undici';
import { isRecord } from './http.js';
import type { BmcTarget, PowerState, RedfishClient } from './redfish.js';

const POWER_STATES: ReadonlySet<string> = new Set(['On', 'Off', 'PoweringOn', 'PoweringOff']);

/** What RedfishClient offers the EventService code (a test may fake it). */
export type EventsClient = Pick<RedfishClient, 'serviceRoot' | 'call' | 'authorize' | 'tls'>;

export interface EventServiceInfo {
  /** The EventService resource's URI. */
  uri: string;
  enabled: boolean;
  /** ServerSentEventUri, when the BMC offers SSE. */
  sseUri?: string;
  /** The Subscriptions collection, for push subscriptions. */
  subscriptionsUri?: string;
}

export interface SubscriptionInfo {
  uri: string;
  context: string;
  destination: string;
}

/** A power change (or, without `state`, some change of the system: read it once). */
export interface PowerEvent {
  /** The system's @odata.id (OriginOfCondition). */
  origin: string;
  state?: PowerState;
}

export class EventServiceError extends Error {
  constructor(message: string, readonly status?: number) {
    super(message);
    this.name = 'EventServiceError';
  }
}

function odataId(v: unknown): string | undefined {
  return isRecord(v) && typeof v['@odata.id'] === 'string' && v['@odata.id'] !== '' ? v['@odata.id'] : undefined;
}

function json(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The BMC's EventService, or null when its service root names none. */
export async function readEventService(client: EventsClient, t: BmcTarget): Promise<EventServiceInfo | null> {
  const root = await client.serviceRoot(t);
  const uri = odataId(root.EventService);
  if (!uri) return null;
  const res = await client.call(t, 'GET', uri);
  if (res.status === 404) return null;
  const body = json(res.text);
  if (res.status !== 200 || !isRecord(body)) throw new EventServiceError(`GET ${uri} answered ${res.status}`, res.status);
  const sse = typeof body.ServerSentEventUri === 'string' && body.ServerSentEventUri !== '' ? body.ServerSentEventUri : undefined;
  const subs = odataId(body.Subscriptions);
  return { uri, enabled: body.ServiceEnabled !== false, ...(sse ? { sseUri: sse } : {}), ...(subs ? { subscriptionsUri: subs } : {}) };
}

/** Creates a push subscription for ComputerSystem changes; returns its URI. */
export async function createSubscription(client: EventsClient, t: BmcTarget, subscriptionsUri: string, destination: string, context: string): Promise<string> {
  const res = await client.call(t, 'POST', subscriptionsUri, {
    Destination: destination,
    Protocol: 'Redfish',
    Context: context,
    EventFormatType: 'Event',
    ResourceTypes: ['ComputerSystem'],
  });
  if (res.status !== 201 && res.status !== 200 && res.status !== 204) throw new EventServiceError(`POST ${subscriptionsUri} answered ${res.status}`, res.status);
  const location = res.headers.location;
  const loc = Array.isArray(location) ? location[0] : location;
  const uri = loc ?? odataId(json(res.text));
  if (!uri) throw new EventServiceError(`POST ${subscriptionsUri} answered ${res.status} without a Location or @odata.id`, res.status);
  return uri;
}

/** Every subscription of the BMC, with its Context and Destination (one GET per member). */
export async function listSubscriptions(client: EventsClient, t: BmcTarget, subscriptionsUri: string): Promise<SubscriptionInfo[]> {
  const res = await client.call(t, 'GET', subscriptionsUri);
  const body = json(res.text);
  if (res.status !== 200 || !isRecord(body)) throw new EventServiceError(`GET ${subscriptionsUri} answered ${res.status}`, res.status);
  const members = Array.isArray(body.Members) ? body.Members.map(odataId).filter((u): u is string => !!u) : [];
  const out: SubscriptionInfo[] = [];
  for (const uri of members) {
    const r = await client.call(t, 'GET', uri);
    const m = json(r.text);
    if (r.status !== 200 || !isRecord(m)) continue;
    out.push({ uri, context: typeof m.Context === 'string' ? m.Context : '', destination: typeof m.Destination === 'string' ? m.Destination : '' });
  }
  return out;
}

/** Deletes a subscription; one already gone counts as deleted. */
export async function deleteSubscription(client: EventsClient, t: BmcTarget, uri: string): Promise<void> {
  const res = await client.call(t, 'DELETE', uri);
  if (res.status !== 200 && res.status !== 202 && res.status !== 204 && res.status !== 404) throw new EventServiceError(`DELETE ${uri} answered ${res.status}`, res.status);
}

/**
 * The power changes in an Event body: ResourcePowerStateChanged (any registry, e.g.
 * ResourceEvent or CrayAlerts) carries the new PowerState as its second MessageArg; other
 * messages about a ComputerSystem (ResourceChanged, ...) say only that it changed.
 */
export function powerEventsOf(body: unknown): PowerEvent[] {
  if (!isRecord(body) || !Array.isArray(body.Events)) return [];
  const out: PowerEvent[] = [];
  for (const e of body.Events) {
    if (!isRecord(e)) continue;
    const origin = odataId(e.OriginOfCondition) ?? (typeof e.OriginOfCondition === 'string' ? e.OriginOfCondition : undefined);
    if (!origin || !/\/Systems\/[^/]+\/?$/.test(origin)) continue;
    const id = typeof e.MessageId === 'string' ? e.MessageId : '';
    const args = Array.isArray(e.MessageArgs) ? e.MessageArgs : [];
    const state = /\.ResourcePowerStateChanged$/.test(id) && typeof args[1] === 'string' && POWER_STATES.has(args[1]) ? (args[1] as PowerState) : undefined;
    out.push({ origin, ...(state ? { state } : {}) });
  }
  return out;
}

/** The system Id an OriginOfCondition names (its last path segment). */
export function systemIdOf(origin: string): string {
  const m = /\/Systems\/([^/]+)\/?$/.exec(origin);
  return m ? decodeURIComponent(m[1]!) : '';
}

/** Splits a text/event-stream into its `data:` payloads (one per event; `id:` and comments skipped). */
export class SseParser {
  private buffer = '';
  private data: string[] = [];

  push(chunk: string): string[] {
    this.buffer += chunk;
    const out: string[] = [];
    for (let i = this.buffer.search(/\r?\n/); i >= 0; i = this.buffer.search(/\r?\n/)) {
      const line = this.buffer.slice(0, i);
      this.buffer = this.buffer.slice(this.buffer[i] === '\r' ? i + 2 : i + 1);
      if (line === '') {
        if (this.data.length > 0) out.push(this.data.join('\n'));
        this.data = [];
      } else if (line.startsWith('data:')) this.data.push(line.slice(line[5] === ' ' ? 6 : 5));
    }
    if (this.buffer.length > 1024 * 1024) throw new EventServiceError('an SSE record is over 1 MiB');
    return out;
  }
}

/** One connection pool for every SSE stream (no body timeout: a stream is quiet between events). */
export function sseAgent(tls: { ca?: string | Buffer; insecureSkipTlsVerify?: boolean }): Dispatcher {
  return new Agent({ bodyTimeout: 0, headersTimeout: 10_000, connect: { ...(tls.ca ? { ca: tls.ca } : {}), rejectUnauthorized: tls.insecureSkipTlsVerify !== true } });
}

/**
 * Opens the BMC's SSE stream: resolves `opened` once it answered 200, then calls onData per
 * record until the stream ends (the returned promise settles then; it rejects on an error).
 */
export async function openSse(
  client: EventsClient,
  t: BmcTarget,
  uri: string,
  dispatcher: Dispatcher,
  signal: AbortSignal,
  onOpen: () => void,
  onData: (body: unknown) => void,
): Promise<void> {
  const { url, headers } = await client.authorize(t, uri);
  const res = await request(url, { method: 'GET', headers: { ...headers, accept: 'text/event-stream' }, dispatcher, signal });
  if (res.statusCode !== 200) {
    await res.body.dump().catch(() => undefined);
    throw new EventServiceError(`GET ${uri} (SSE) answered ${res.statusCode}`, res.statusCode);
  }
  onOpen();
  const parser = new SseParser();
  res.body.setEncoding('utf8');
  for await (const chunk of res.body as AsyncIterable<string>) {
    for (const data of parser.push(chunk)) {
      const body = json(data);
      if (body !== undefined) onData(body);
    }
  }
}
