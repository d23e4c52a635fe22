import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { bosError } from '../core/errors.js';
import { ROLES, type Principal, type Role } from '../core/access.js';
import { durationSeconds } from '../core/options.js';
import { normalizeNodeXname } from '../core/xname.js';
import { checkTenantName, unknownTenant } from '../core/tenant.js';
import { isoNow, tenantScope, type ServiceContext } from './context.js';
import { withoutHash, type TokenInfo } from '../store/tokens.js';

export type { TokenInfo };

const hash = (secret: string) => createHash('sha256').update(secret).digest('hex');
const SECRET = /^bos_([a-z0-9]{8})_([A-Za-z0-9_-]{43})$/;

/** Creates a token; the secret is returned once and only its hash is stored. */
export function createToken(ctx: ServiceContext, req: { role: string; node?: string; tenant?: string; expires?: string; description?: string }): { token: TokenInfo; secret: string } {
  if (!(ROLES as readonly string[]).includes(req.role)) {
    throw bosError('BOS_VALUE_INVALID', `unknown role "${req.role}": expected admin, wlm or node`);
  }
  if (req.node !== undefined && req.role !== 'node') throw bosError('BOS_VALUE_INVALID', '--node goes with --role node only');
  const node = req.node === undefined ? null : normalizeNodeXname(req.node);
  // A tenant-bound caller may only mint tokens of its own tenant: never a wider one.
  if (ctx.tenant !== undefined && req.tenant !== undefined && req.tenant !== ctx.tenant) {
    throw bosError('BOS_TENANT_FORBIDDEN', `acting as tenant "${ctx.tenant}", a token of tenant "${req.tenant}" may not be created`);
  }
  const tenant = req.tenant ?? ctx.tenant ?? null;
  if (tenant !== null) checkTenantName(tenant);
  // Bound to a tenant that exists (bosctl's registry; bosd has already checked TAPMS's).
  if (ctx.tenant !== undefined) tenantScope(ctx);
  else if (tenant !== null && !ctx.store.read(() => ctx.store.tenants.get(tenant))) throw unknownTenant(tenant);
  let expiresAt: string | null = null;
  if (req.expires !== undefined) {
    if (!/^[1-9][0-9]{0,5}[mhdw]$/i.test(req.expires) || durationSeconds(req.expires) > 10 * 366 * 86400) {
      throw bosError('BOS_VALUE_INVALID', `invalid expiry "${req.expires}": expected a duration up to ten years, such as 12h, 30d or 52w`);
    }
    expiresAt = new Date(ctx.now().getTime() + durationSeconds(req.expires) * 1000).toISOString();
  }
  const id = randomBytes(6).toString('base64url').toLowerCase().replace(/[^a-z0-9]/g, '0').slice(0, 8).padEnd(8, '0');
  const secret = `bos_${id}_${randomBytes(32).toString('base64url')}`;
  const now = isoNow(ctx);
  const token: TokenInfo = { id, role: req.role as Role, node, tenant, description: req.description ?? '', created_at: now, created_by: ctx.actor.user, expires_at: expiresAt, revoked_at: null };
  ctx.store.write(() => {
    ctx.store.tokens.insert({ ...token, hash: hash(secret) });
    ctx.store.events.record(now, 'token', id, 'created', { role: token.role, node, ...(tenant ? { tenant } : {}), expires_at: expiresAt }, ctx.actor);
  });
  return { token, secret };
}

/** Every token; acting as a tenant, only that tenant's tokens. */
export function listTokens(ctx: ServiceContext): TokenInfo[] {
  return ctx.store.read(() => ctx.store.tokens.list())
    .filter((r) => ctx.tenant === undefined || r.tenant === ctx.tenant);
}

export function revokeToken(ctx: ServiceContext, id: string): TokenInfo {
  const now = isoNow(ctx);
  return ctx.store.write(() => {
    const r = ctx.store.tokens.get(id);
    if (!r || (ctx.tenant !== undefined && r.tenant !== ctx.tenant)) throw bosError('BOS_TOKEN_NOT_FOUND', `token "${id}" does not exist`);
    if (!r.revoked_at) {
      ctx.store.tokens.revoke(id, now);
      ctx.store.events.record(now, 'token', id, 'revoked', {}, ctx.actor);
    }
    return withoutHash(ctx.store.tokens.get(id)!);
  });
}

/** Why a bearer token was refused: for the log, with the token's id when its id part parses. */
export interface TokenDenial {
  denied: string;
  reason: 'malformed' | 'unknown' | 'revoked' | 'expired';
  tokenId?: string;
}

const ID_PART = /^bos_([a-z0-9]{8})_/;

/** The principal a bearer secret stands for, or why not (never echoing the secret). */
export function verifyToken(ctx: ServiceContext, secret: string): Principal | TokenDenial {
  const v = checkToken(ctx, secret, hash(secret));
  return 'denied' in v ? v : v.principal;
}

/**
 * verifyToken with a short memory of the tokens it accepted, for the API: a fleet's nodes
 * share one token, and each boot report would read it from the database again (a round trip
 * on PostgreSQL). A token revoked elsewhere (bosctl on the admin node, another bosd) is
 * refused at most `ttlMs` later; clear() forgets all at once (this process revoked one).
 * Refusals are not remembered. Kept by the secret's SHA-256, never the secret.
 */
export class TokenCache {
  private readonly accepted = new Map<string, { principal: Principal; until: number; expiresAt: number | null }>();

  constructor(private readonly ttlMs = 2000, private readonly mono: () => number = () => performance.now()) {}

  verify(ctx: ServiceContext, secret: string): Principal | TokenDenial {
    const key = hash(secret);
    const hit = this.accepted.get(key);
    if (hit && hit.until > this.mono() && (hit.expiresAt === null || hit.expiresAt > ctx.now().getTime())) return hit.principal;
    const v = ctx.store.read(() => checkToken(ctx, secret, key));
    if ('denied' in v) {
      this.accepted.delete(key);
      return v;
    }
    if (this.accepted.size >= 1000) this.accepted.clear();
    this.accepted.set(key, { principal: v.principal, until: this.mono() + this.ttlMs, expiresAt: v.expiresAt });
    return v.principal;
  }

  clear(): void {
    this.accepted.clear();
  }
}

function checkToken(ctx: ServiceContext, secret: string, secretHash: string): { principal: Principal; expiresAt: number | null } | TokenDenial {
  const m = SECRET.exec(secret);
  if (!m) {
    const id = ID_PART.exec(secret)?.[1];
    return { denied: 'malformed token', reason: 'malformed', ...(id ? { tokenId: id } : {}) };
  }
  const tokenId = m[1];
  const r = ctx.store.tokens.get(tokenId);
  if (!r) return { denied: 'unknown token', reason: 'unknown', tokenId };
  const a = Buffer.from(r.hash, 'hex');
  const b = Buffer.from(secretHash, 'hex');
  if (a.length !== b.length || !timingSafeEqual(a, b)) return { denied: 'unknown token', reason: 'unknown', tokenId };
  if (r.revoked_at) return { denied: `token ${r.id} was revoked`, reason: 'revoked', tokenId };
  if (r.expires_at && Date.parse(r.expires_at) <= ctx.now().getTime()) return { denied: `token ${r.id} expired`, reason: 'expired', tokenId };
  return {
    principal: { role: r.role, node: r.node, name: `token:${r.id}`, ...(r.tenant ? { tenant: r.tenant } : {}) },
    expiresAt: r.expires_at ? Date.parse(r.expires_at) : null,
  };
}
