import { parseOptionsPatch, type Options } from '../core/options.js';
import { isoNow, type ServiceContext } from './context.js';

export function getOptions(ctx: ServiceContext): Options {
  return ctx.store.read(() => ctx.store.options.get());
}

/** Checks every key first: one bad key changes nothing. */
export function updateOptions(ctx: ServiceContext, patch: Record<string, unknown>): Options {
  const typed = parseOptionsPatch(patch);
  const now = isoNow(ctx);
  return ctx.store.write(() => {
    const before = ctx.store.options.get();
    ctx.store.options.set(typed);
    const changes: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(typed)) changes[k] = { from: before[k as keyof Options], to: v };
    ctx.store.events.record(now, 'options', 'options', 'updated', changes, ctx.actor);
    return ctx.store.options.get();
  });
}
