import { Redis } from 'ioredis';
import { redisKeys } from '../../src/redis/keys.js';
import { startServe, type ServeProcess } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.js';

/** A `msggw serve` child on fixed ports, so a restart comes back at the same address (same node identity). */
export class NodeProcess {
  private current: ServeProcess | undefined;
  private constructor(
    readonly name: string,
    readonly wsPort: number,
    readonly hubPort: number,
    private readonly args: string[],
  ) {}

  static async start(name: string, args: string[]): Promise<NodeProcess> {
    const n = new NodeProcess(name, await freePort(), await freePort(), args);
    await n.restart();
    return n;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.wsPort}/`;
  }

  get hub(): string {
    return `127.0.0.1:${this.hubPort}`;
  }

  get running(): boolean {
    return this.current !== undefined && this.current.proc.exitCode === null && this.current.proc.signalCode === null;
  }

  /** SIGKILL (a crash: nothing reported) or SIGTERM (a drain: users reported offline); waits for the exit. */
  async kill(signal: 'SIGKILL' | 'SIGTERM'): Promise<void> {
    const p = this.current;
    this.current = undefined;
    if (!p || p.proc.exitCode !== null || p.proc.signalCode !== null) return;
    if (signal === 'SIGTERM') return p.stop();
    const exited = new Promise<void>((r) => p.proc.once('exit', () => r()));
    p.proc.kill('SIGKILL');
    await exited;
  }

  async restart(): Promise<void> {
    await this.kill('SIGKILL');
    // 45 s, not startServe's 20 s: a restart competes with the load, the survivor and the sims for
    // the CPU, and on a shared 2-core box a cold `msggw serve` start alone took over 20 s.
    this.current = await startServe(['--port', String(this.wsPort), '--hub-port', String(this.hubPort), ...this.args], 45_000);
    // startServe rejects on an early exit only until it resolved; a later exit is this process's business.
    this.current.proc.on('error', () => undefined);
  }

  stderr(): string {
    return this.current?.stderr() ?? '';
  }
}

/** ONLINE:<user> members that have not expired, sorted (what upstream's user service reads). */
export async function onlinePlatforms(redis: Redis, userID: string): Promise<number[]> {
  const m = await redis.zrangebyscore(redisKeys.online(userID), `(${Math.floor(Date.now() / 1000)}`, '+inf');
  return m.map(Number).sort((a, b) => a - b);
}
