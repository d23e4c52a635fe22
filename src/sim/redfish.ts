import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SimEventService } from './events.js';
import type { Fleet, SimBmc, SimNode } from './fleet.js';
import { BodyError, isRecord, readJson, sendEmpty, sendJson, type Handler } from './http.js';
import type { Scheduler } from './clock.js';
import { ALLOWED_RESETS, type EventsMode, type FaultKind } from './types.js';

const ODATA = { 'OData-Version': '4.0' };

function redfishError(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  sendJson(
    res,
    status,
    {
      error: {
        code: `Base.1.0.${code}`,
        message,
        '@Message.ExtendedInfo': [{ MessageId: `Base.1.0.${code}`, Message: message, Severity: status >= 500 ? 'Critical' : 'Warning' }],
      },
    },
    { ...ODATA, ...headers },
  );
}

export interface RedfishCounters {
  requests: number;
  unauthorized: number;
  errors5xx: number;
  hung: number;
  sessions: number;
  /** GETs of a ComputerSystem (power reads). */
  systemReads: number;
}

/** The Redfish services of every BMC of the fleet (Systems, ComputerSystem.Reset, sessions, tasks). */
export class Redfish {
  readonly counters: RedfishCounters = { requests: 0, unauthorized: 0, errors5xx: 0, hung: 0, sessions: 0, systemReads: 0 };
  /** Responses deliberately never sent (bmc_hang, reset_no_answer); their sockets are destroyed at close(). */
  readonly held = new Set<ServerResponse>();

  /** Each BMC's EventService (subscriptions, SSE, power events). */
  readonly events: SimEventService;

  constructor(
    private readonly fleet: Fleet,
    private readonly credentials: { username: string; password: string },
    private readonly keepAlive = false,
    scheduler: Scheduler,
    eventsOf: (bmc: SimBmc) => EventsMode = () => 'none',
  ) {
    this.events = new SimEventService(eventsOf, scheduler, (n, k) => fleet.hasFault(n, k), redfishError);
    fleet.onPower = (node, to) => this.events.powerChanged(node, to);
  }

  /** One listener for all BMCs: /bmc/<bmc-xname>/redfish/v1/... */
  shared: Handler = (req, res) => {
    const path = new URL(req.url ?? '/', 'http://bmc.local').pathname;
    const m = /^\/bmc\/([^/]+)(\/.*)?$/.exec(path);
    const bmc = m ? this.fleet.bmcs.get(m[1]!) : undefined;
    if (!m || !bmc) {
      this.counters.requests++;
      return redfishError(res, 404, 'ResourceMissingAtURI', `no BMC at ${path}; paths are /bmc/<bmc-xname>/redfish/v1/...`);
    }
    return this.handle(bmc, req, res, m[2] ?? '/');
  };

  /** A listener of its own for one BMC: /redfish/v1/... */
  perBmc(bmc: SimBmc): Handler {
    return (req, res) => this.handle(bmc, req, res, new URL(req.url ?? '/', 'http://bmc.local').pathname);
  }

  private authorized(bmc: SimBmc, req: IncomingMessage): boolean {
    const token = req.headers['x-auth-token'];
    if (bmc.profile === 'generic' && typeof token === 'string' && bmc.sessions.has(token)) return true;
    const auth = req.headers.authorization;
    if (typeof auth === 'string' && auth.startsWith('Basic ')) {
      const text = Buffer.from(auth.slice(6).trim(), 'base64').toString('utf8');
      const i = text.indexOf(':');
      return i >= 0 && text.slice(0, i) === this.credentials.username && text.slice(i + 1) === this.credentials.password;
    }
    return false;
  }

  private async handle(bmc: SimBmc, req: IncomingMessage, res: ServerResponse, rawPath: string): Promise<void> {
    this.counters.requests++;
    const method = req.method ?? 'GET';
    const p = bmc.prefix;
    const path = rawPath.length > 1 ? rawPath.replace(/\/+$/, '') : rawPath;
    const seg = path.split('/').filter(Boolean).map(decodeURIComponent); // ['redfish','v1',...]
    if (bmc.profile === 'cray-ex' && !this.keepAlive) res.setHeader('Connection', 'close');

    // A request aimed at one system answers to that node's faults; anything else to the BMC's.
    const node = seg[0] === 'redfish' && seg[1] === 'v1' && seg[2] === 'Systems' && seg[3] ? bmc.systems.get(seg[3]) : undefined;
    const faulty = (kind: FaultKind) => (node ? this.fleet.hasFault(node, kind) : this.fleet.bmcHasFault(bmc, kind));
    const isReset = !!node && seg.length === 6 && seg[4] === 'Actions' && seg[5] === 'ComputerSystem.Reset' && method === 'POST';

    if (faulty('bmc_hang')) {
      this.counters.hung++;
      if (isReset) this.fleet.logReset(node, await this.peekResetType(req), false, 0);
      this.hold(res);
      return;
    }
    if (faulty('bmc_conn_reset')) {
      // The BMC's web server drops the connection without an answer (ECONNRESET to the client).
      if (isReset) this.fleet.logReset(node, await this.peekResetType(req), false, 0);
      req.socket.resetAndDestroy();
      return;
    }
    if (faulty('bmc_5xx')) {
      this.counters.errors5xx++;
      if (isReset) this.fleet.logReset(node, await this.peekResetType(req), false, 500);
      return redfishError(res, 500, 'InternalError', 'The request failed due to an internal service error.  The service is still operational.');
    }

    if (seg[0] !== 'redfish') return redfishError(res, 404, 'ResourceMissingAtURI', `the resource at ${p}${path} was not found`);
    if (seg.length === 1) {
      if (method !== 'GET') return this.notAllowed(res, 'GET');
      return sendJson(res, 200, { v1: `${p}/redfish/v1/` }, ODATA);
    }
    if (seg[1] !== 'v1') return redfishError(res, 404, 'ResourceMissingAtURI', `the resource at ${p}${path} was not found`);
    const rest = seg.slice(2);

    // Unauthenticated: the service root, and creating a session (credentials in the body).
    if (rest.length === 0) {
      if (method !== 'GET') return this.notAllowed(res, 'GET');
      return sendJson(res, 200, this.serviceRoot(bmc), ODATA);
    }
    const sessionsPath = rest[0] === 'SessionService' && rest[1] === 'Sessions' && rest.length === 2;
    if (bmc.profile === 'generic' && sessionsPath && method === 'POST') return this.createSession(bmc, req, res);

    if (!this.authorized(bmc, req)) {
      this.counters.unauthorized++;
      return redfishError(res, 401, 'GeneralError', 'Authentication is required: HTTP Basic, or an X-Auth-Token from a session', {
        'WWW-Authenticate': 'Basic realm="Redfish"',
      });
    }

    if (rest[0] === 'Systems' && rest[1] && !bmc.systems.has(rest[1]) && bmc.systemNames.has(rest[1])) {
      return this.redirect(res, `${p}/redfish/v1/${['Systems', bmc.systemNames.get(rest[1])!.systemId, ...rest.slice(2)].map(encodeURIComponent).join('/')}`);
    }
    if (rest[0] === 'Systems') return this.systems(bmc, req, res, rest, method);
    if (rest[0] === 'EventService') return this.events.handle(bmc, req, res, rest, method);
    if (bmc.profile === 'generic' && rest[0] === 'SessionService') return this.sessionService(bmc, req, res, rest, method);
    if (bmc.profile === 'generic' && rest[0] === 'TaskService' && rest[1] === 'Tasks' && rest[2] && rest.length === 3) {
      if (method !== 'GET') return this.notAllowed(res, 'GET');
      if (!bmc.tasks.has(rest[2])) return redfishError(res, 404, 'ResourceMissingAtURI', `no task ${rest[2]}`);
      return sendJson(
        res,
        200,
        {
          '@odata.id': `${p}/redfish/v1/TaskService/Tasks/${rest[2]}`,
          '@odata.type': '#Task.v1_4_3.Task',
          Id: rest[2],
          Name: 'ComputerSystem.Reset task',
          TaskState: 'Completed',
          TaskStatus: 'OK',
          PercentComplete: 100,
        },
        ODATA,
      );
    }
    return redfishError(res, 404, 'ResourceMissingAtURI', `the resource at ${p}${path} was not found`);
  }

  /**
   * 307 to a system's Id URL, with a page long enough that a client quoting its first
   * characters never reaches the target (the trouble with sushy-tools' redirects).
   */
  private redirect(res: ServerResponse, location: string): void {
    const page =
      '<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"><title>Temporary Redirect</title></head>\n<body>\n' +
      '<h1>Temporary Redirect</h1>\n<p>This system is served under its unique identifier. Your client should repeat the request, ' +
      `with the same method and body, at <a href="${location}">${location}</a>.</p>\n</body>\n</html>\n`;
    res.writeHead(307, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': String(Buffer.byteLength(page)), Location: location });
    res.end(page);
  }

  private notAllowed(res: ServerResponse, allow: string): void {
    redfishError(res, 405, 'OperationNotAllowed', 'The HTTP method is not allowed on this resource.', { Allow: allow });
  }

  private serviceRoot(bmc: SimBmc): Record<string, unknown> {
    const p = bmc.prefix;
    const root: Record<string, unknown> = {
      '@odata.id': `${p}/redfish/v1/`,
      '@odata.type': '#ServiceRoot.v1_5_0.ServiceRoot',
      Id: 'RootService',
      Name: bmc.profile === 'cray-ex' ? 'HPE Cray EX Root Service' : 'Root Service',
      RedfishVersion: bmc.profile === 'cray-ex' ? '1.2.0' : '1.11.0',
      Systems: { '@odata.id': `${p}/redfish/v1/Systems` },
    };
    if (this.events.mode(bmc) !== 'none') root.EventService = { '@odata.id': `${p}/redfish/v1/EventService` };
    if (bmc.profile === 'generic') {
      root.SessionService = { '@odata.id': `${p}/redfish/v1/SessionService` };
      root.Links = { Sessions: { '@odata.id': `${p}/redfish/v1/SessionService/Sessions` } };
    }
    return root;
  }

  private system(node: SimNode): Record<string, unknown> {
    const base = `${node.bmc.prefix}/redfish/v1/Systems/${node.systemId}`;
    const reset: Record<string, unknown> = { target: `${base}/Actions/ComputerSystem.Reset` };
    if (node.profile === 'cray-ex') reset['@Redfish.ActionInfo'] = `${base}/ResetActionInfo`;
    else reset['ResetType@Redfish.AllowableValues'] = [...ALLOWED_RESETS[node.profile]];
    return {
      '@odata.id': base,
      '@odata.type': '#ComputerSystem.v1_10_0.ComputerSystem',
      Id: node.systemId,
      Name: node.systemName,
      SystemType: 'Physical',
      Manufacturer: node.profile === 'cray-ex' ? 'HPE' : node.profile === 'sushy' ? 'Sushy Emulator' : 'Generic',
      Model: node.profile === 'cray-ex' ? 'EX425' : node.profile === 'sushy' ? 'libvirt domain' : 'Sim Server',
      PowerState: node.power,
      Status: { State: 'Enabled', Health: 'OK' },
      Actions: { '#ComputerSystem.Reset': reset },
    };
  }

  private async systems(bmc: SimBmc, req: IncomingMessage, res: ServerResponse, rest: string[], method: string): Promise<void> {
    const p = bmc.prefix;
    if (rest.length === 1) {
      if (method !== 'GET') return this.notAllowed(res, 'GET');
      const members = bmc.nodes.map((n) => ({ '@odata.id': `${p}/redfish/v1/Systems/${n.systemId}` }));
      return sendJson(
        res,
        200,
        {
          '@odata.id': `${p}/redfish/v1/Systems`,
          '@odata.type': '#ComputerSystemCollection.ComputerSystemCollection',
          Name: 'Computer System Collection',
          Members: members,
          'Members@odata.count': members.length,
        },
        ODATA,
      );
    }
    const node = bmc.systems.get(rest[1]!);
    if (!node) return redfishError(res, 404, 'ResourceMissingAtURI', `no system ${rest[1]} on ${bmc.xname}`);
    if (rest.length === 2) {
      if (method !== 'GET') return this.notAllowed(res, 'GET');
      this.counters.systemReads++;
      return sendJson(res, 200, this.system(node), ODATA);
    }
    if (rest.length === 3 && rest[2] === 'ResetActionInfo' && node.profile === 'cray-ex') {
      if (method !== 'GET') return this.notAllowed(res, 'GET');
      return sendJson(
        res,
        200,
        {
          '@odata.id': `${p}/redfish/v1/Systems/${node.systemId}/ResetActionInfo`,
          '@odata.type': '#ActionInfo.v1_1_2.ActionInfo',
          Id: 'ResetActionInfo',
          Name: 'Reset Action Info',
          Parameters: [{ Name: 'ResetType', Required: true, DataType: 'String', AllowableValues: [...ALLOWED_RESETS['cray-ex']] }],
        },
        ODATA,
      );
    }
    if (rest.length === 4 && rest[2] === 'Actions' && rest[3] === 'ComputerSystem.Reset') {
      if (method !== 'POST') return this.notAllowed(res, 'POST');
      return this.reset(node, req, res);
    }
    return redfishError(res, 404, 'ResourceMissingAtURI', `the resource at ${p}/redfish/v1/${rest.join('/')} was not found`);
  }

  private async peekResetType(req: IncomingMessage): Promise<string> {
    try {
      const body = await readJson(req);
      return isRecord(body) && typeof body.ResetType === 'string' ? body.ResetType : '';
    } catch {
      return '';
    }
  }

  private async reset(node: SimNode, req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body: unknown;
    try {
      body = await readJson(req);
    } catch (err) {
      this.fleet.logReset(node, '', false, 400);
      if (err instanceof BodyError) return redfishError(res, 400, 'MalformedJSON', 'The request body submitted was malformed JSON.');
      throw err;
    }
    const type = isRecord(body) ? body.ResetType : undefined;
    if (typeof type !== 'string' || type === '') {
      this.fleet.logReset(node, '', false, 400);
      return redfishError(res, 400, 'PropertyMissing', 'The property ResetType is a required property and must be included in the request.');
    }
    if (this.fleet.hasFault(node, 'reset_refused')) {
      this.fleet.logReset(node, type, false, 400);
      return redfishError(res, 400, 'ActionNotSupported', `The action ComputerSystem.Reset is not supported by the resource right now (refused ${type}).`);
    }
    if (!(ALLOWED_RESETS[node.profile] as readonly string[]).includes(type)) {
      this.fleet.logReset(node, type, false, 400);
      return redfishError(
        res,
        400,
        'ActionParameterNotSupported',
        `The parameter ResetType with value ${type} is not supported; allowed: ${ALLOWED_RESETS[node.profile].join(', ')}.`,
      );
    }
    this.fleet.applyReset(node, type);
    const bmc = node.bmc;
    bmc.acceptedResets++;
    if (this.fleet.hasFault(node, 'reset_no_answer')) {
      // It acted, then never answers: the client times out not knowing the reset took.
      this.fleet.logReset(node, type, true, 0);
      this.hold(res);
      return;
    }
    if (node.profile === 'cray-ex') {
      this.fleet.logReset(node, type, true, 200);
      return sendJson(res, 200, {}, ODATA);
    }
    if (node.profile === 'generic' && bmc.acceptedResets % 5 === 0) {
      const id = String(bmc.nextTaskId++);
      bmc.tasks.add(id);
      const location = `${bmc.prefix}/redfish/v1/TaskService/Tasks/${id}`;
      this.fleet.logReset(node, type, true, 202);
      return sendJson(
        res,
        202,
        { '@odata.id': location, '@odata.type': '#Task.v1_4_3.Task', Id: id, TaskState: 'Running', TaskStatus: 'OK' },
        { ...ODATA, Location: location },
      );
    }
    this.fleet.logReset(node, type, true, 204);
    return sendEmpty(res, 204, ODATA);
  }

  private async createSession(bmc: SimBmc, req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body: unknown;
    try {
      body = await readJson(req);
    } catch (err) {
      if (err instanceof BodyError) return redfishError(res, 400, 'MalformedJSON', 'The request body submitted was malformed JSON.');
      throw err;
    }
    if (!isRecord(body) || typeof body.UserName !== 'string' || typeof body.Password !== 'string') {
      return redfishError(res, 400, 'PropertyMissing', 'UserName and Password are required.');
    }
    if (body.UserName !== this.credentials.username || body.Password !== this.credentials.password) {
      this.counters.unauthorized++;
      return redfishError(res, 401, 'GeneralError', 'Invalid user name or password.');
    }
    const id = String(bmc.nextSessionId++);
    const token = randomBytes(16).toString('hex');
    bmc.sessions.set(token, { id, user: body.UserName });
    this.counters.sessions++;
    const location = `${bmc.prefix}/redfish/v1/SessionService/Sessions/${id}`;
    return sendJson(
      res,
      201,
      { '@odata.id': location, '@odata.type': '#Session.v1_3_0.Session', Id: id, Name: 'User Session', UserName: body.UserName },
      { ...ODATA, 'X-Auth-Token': token, Location: location },
    );
  }

  private sessionService(bmc: SimBmc, _req: IncomingMessage, res: ServerResponse, rest: string[], method: string): void {
    const p = bmc.prefix;
    if (rest.length === 1) {
      if (method !== 'GET') return this.notAllowed(res, 'GET');
      return sendJson(
        res,
        200,
        {
          '@odata.id': `${p}/redfish/v1/SessionService`,
          '@odata.type': '#SessionService.v1_1_8.SessionService',
          Id: 'SessionService',
          ServiceEnabled: true,
          SessionTimeout: 1800,
          Sessions: { '@odata.id': `${p}/redfish/v1/SessionService/Sessions` },
        },
        ODATA,
      );
    }
    if (rest[1] !== 'Sessions') return redfishError(res, 404, 'ResourceMissingAtURI', 'not found');
    if (rest.length === 2) {
      if (method !== 'GET') return this.notAllowed(res, 'GET, POST');
      const members = [...bmc.sessions.values()].map((s) => ({ '@odata.id': `${p}/redfish/v1/SessionService/Sessions/${s.id}` }));
      return sendJson(res, 200, { '@odata.id': `${p}/redfish/v1/SessionService/Sessions`, Members: members, 'Members@odata.count': members.length }, ODATA);
    }
    if (rest.length !== 3) return redfishError(res, 404, 'ResourceMissingAtURI', 'not found');
    const entry = [...bmc.sessions.entries()].find(([, s]) => s.id === rest[2]);
    if (!entry) return redfishError(res, 404, 'ResourceMissingAtURI', `no session ${rest[2]}`);
    const [token, s] = entry;
    if (method === 'GET') {
      return sendJson(res, 200, { '@odata.id': `${p}/redfish/v1/SessionService/Sessions/${s.id}`, Id: s.id, UserName: s.user }, ODATA);
    }
    if (method === 'DELETE') {
      bmc.sessions.delete(token);
      return sendEmpty(res, 204, ODATA);
    }
    return this.notAllowed(res, 'GET, DELETE');
  }

  /** Never answers `res` (until close()). */
  private hold(res: ServerResponse): void {
    this.held.add(res);
    res.on('close', () => this.held.delete(res));
  }

  /** Ends the responses held by bmc_hang and reset_no_answer (their sockets are destroyed by the listeners). */
  close(): void {
    this.events.close();
    for (const res of this.held) res.destroy();
    this.held.clear();
  }
}
