/**
 * Polls until `cond` gives a truthy value and returns it; fails naming `what` (and the last
 * value, when it says more than false) after `timeoutMs`. A guard against hanging, not a speed
 * test: a slow machine only waits longer. The one wait of the tests and the demo.
 */
export async function waitFor<T>(what: string, cond: () => T | Promise<T>, timeoutMs = 60_000, everyMs = 25): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const last = await cond();
    if (last) return last;
    if (Date.now() > end) {
      const said = typeof last === 'boolean' || last === undefined ? '' : ` (last value: ${JSON.stringify(last)})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${said}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
