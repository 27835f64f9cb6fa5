/**
 * Request/reply over Node's child-process IPC channel: the orchestrator drives the server and
 * load processes with named commands and gets one JSON-able answer per command.
 */
import type { ChildProcess } from 'node:child_process';

/** A command handler in a child: takes the command's argument, returns its JSON-able result. */
export type IpcHandler = (arg: unknown) => unknown;

interface IpcRequest {
  id: number;
  cmd: string;
  arg: unknown;
}

interface IpcReply {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

/**
 * Serves commands from the parent. The process exits when the parent goes away, so a crashed
 * or interrupted orchestrator never leaves servers or loads behind.
 */
export function serveIpc(handlers: Record<string, IpcHandler>): void {
  if (!process.send) throw new Error('not started with an IPC channel');
  process.on('message', (m: IpcRequest) => {
    const h = handlers[m.cmd];
    const reply = (r: IpcReply): void => {
      process.send?.(r);
    };
    if (!h) {
      reply({ id: m.id, ok: false, error: `unknown command ${m.cmd}` });
      return;
    }
    Promise.resolve()
      .then(() => h(m.arg))
      .then(
        (result) => reply({ id: m.id, ok: true, result }),
        (e: unknown) => reply({ id: m.id, ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
      );
  });
  process.on('disconnect', () => process.exit(0));
}

/** The parent's side: `call(cmd, arg)` resolves with the child's result or rejects with its error. */
export class IpcPeer {
  private next = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; cmd: string }>();

  constructor(readonly child: ChildProcess) {
    child.on('message', (m: IpcReply) => {
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      if (m.ok) w.resolve(m.result);
      else w.reject(new Error(`${w.cmd}: ${m.error ?? 'failed'}`));
    });
    child.on('exit', (code, signal) => {
      for (const w of this.waiting.values()) w.reject(new Error(`${w.cmd}: process exited (${code ?? signal})`));
      this.waiting.clear();
    });
  }

  /** Sends a command; rejects after `timeoutMs` (every bench step is bounded). */
  call<T>(cmd: string, arg: unknown = null, timeoutMs = 60_000): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      const t = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`${cmd}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, {
        cmd,
        resolve: (v) => {
          clearTimeout(t);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(t);
          reject(e);
        },
      });
      this.child.send({ id, cmd, arg } satisfies IpcRequest);
    });
  }
}
