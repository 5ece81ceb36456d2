import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** A Lua script run by SHA, loading it on the first NOSCRIPT (after a Redis restart too). */
export class LuaScript {
  private readonly sha: string;

  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(client: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (e) {
      if (!(e instanceof Error) || !e.message.startsWith('NOSCRIPT')) throw e;
      return client.eval(this.source, keys.length, ...keys, ...args);
    }
  }

  /**
   * Runs the script and then `WAIT replicas timeoutMs` on the same connection (for a cluster,
   * the same primary: a pipeline goes to the node of its keys). Returns the script's reply and
   * how many replicas acknowledged everything up to it.
   */
  async runThenWait(
    client: Redis,
    keys: readonly string[],
    args: readonly (string | number)[],
    replicas: number,
    timeoutMs: number,
  ): Promise<[reply: unknown, acked: number]> {
    const once = async (bySha: boolean) => {
      const p = client.pipeline();
      if (bySha) p.evalsha(this.sha, keys.length, ...keys, ...args);
      else p.eval(this.source, keys.length, ...keys, ...args);
      p.wait(replicas, timeoutMs);
      return (await p.exec()) as Array<[Error | null, unknown]>;
    };
    let res = await once(true);
    if (res[0]?.[0]?.message.startsWith('NOSCRIPT')) res = await once(false);
    const [[scriptErr, reply] = [null, undefined], [waitErr, acked] = [null, 0]] = res;
    if (scriptErr) throw scriptErr;
    if (waitErr) throw waitErr;
    return [reply, Number(acked)];
  }
}
