import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { frameHeader, SharedFrame } from './frames.js';

/** What one connection may owe its peer before it is closed as a slow consumer. */
export interface WriteBounds {
  /** Frames written and not yet taken by the kernel. */
  frames: number;
  /** Bytes written and not yet taken by the kernel (ws's own writes included). */
  bytes: number;
}

/** Counters of the coalesced write path of one gateway (tests and benchmarks read them). */
export interface WriteStats {
  /** Binary frames written through the corked path. */
  frames: number;
  /** Socket flushes (uncorks): frames / flushes is the number of frames per writev. */
  flushes: number;
}

/**
 * The flush cycle of one gateway's transports: a transport corks its socket on its first frame of
 * a loop iteration, and one `setImmediate` uncorks every corked socket, so all frames a
 * connection got in one iteration (concurrent pushes, replies to pipelined requests) leave in
 * one `writev`; then each flushed transport checks its bound. Per gateway instance: two nodes in
 * one process share nothing.
 */
export class WriteScheduler {
  readonly stats: WriteStats = { frames: 0, flushes: 0 };
  private corked: Transport[] = [];

  /** @internal a transport corked its socket in this iteration. */
  add(t: Transport): void {
    this.corked.push(t);
    if (this.corked.length === 1) setImmediate(this.flushAll);
  }

  private readonly flushAll = (): void => {
    const list = this.corked;
    // Swap first: a flush can run callbacks that queue frames for the next iteration.
    this.corked = [];
    for (const t of list) t.flush();
    for (const t of list) t.checkBounds();
  };
}

/** ws's WebSocket.OPEN (a value import of ws would load it into every module that imports this one). */
const WS_OPEN = 1;

/**
 * Bounds in one loop iteration, before the flush could measure anything: a multiple of the
 * bounds, so a healthy reader that gets a burst (hundreds of concurrent pushes) is never dropped
 * here, while a connection cannot take unbounded memory between two flushes either.
 */
const ITERATION_CEILING = 4;

/**
 * The write side of one connection, and nothing else: `write` (binary frames, coalesced per loop
 * iteration), `writeText`, `ping`, `close`. Every frame we send goes through it, so one bound
 * covers replies, pushes, kicks, pongs and close frames.
 *
 * The bound is measured at each flush on what was still owed when the iteration's first frame
 * came, i.e. what the peer had at least one loop turn to take: more than `bounds.frames` frames,
 * or more than `bounds.bytes` bytes in more than one frame (a single reply may be bigger than
 * the bound), is reported through `onOverflow` (closed as 'websocket write buffer full'). So a
 * reader that gets a burst of hundreds of frames in one iteration is not dropped, and a peer
 * that stops reading is closed within an iteration or two of going over.
 */
export class Transport {
  /** Frames handed to the socket whose write callback has not run yet. */
  pending = 0;
  /** The TCP socket under `ws`, written directly for binary frames (see {@link write}). */
  private readonly socket: Socket | undefined;
  /** The socket is corked until this iteration's flush. */
  private corked = false;
  /** Frames queued since the last flush, reported once per flush. */
  private unflushed = 0;
  /** Frames and bytes still owed when this iteration's first frame came (see checkBounds). */
  private owedFrames = 0;
  private owedBytes = 0;
  private readonly onSent: (err?: Error | null) => void;

  constructor(
    private readonly ws: WebSocket,
    private readonly scheduler: WriteScheduler,
    private readonly bounds: WriteBounds,
    private readonly onOverflow: (detail: string) => void,
    onError: (err: Error) => void,
    /** Told how many frames left in each flush (metrics). */
    private readonly onFlushed?: (frames: number) => void,
  ) {
    this.onSent = (err?: Error | null) => {
      this.pending--;
      if (err) onError(err);
    };
    this.socket = rawSocketOf(ws);
  }

  /** Bytes written and not yet taken by the kernel, ws's own frames (pongs, close) included. */
  get bufferedBytes(): number {
    return this.ws.bufferedAmount;
  }

  /**
   * Queues one binary frame: a payload sent once (a reply) or a {@link SharedFrame} (a push).
   * Returns false when the socket is no longer open or the connection just went over its bound.
   *
   * Speed: binary frames go straight to ws's TCP socket with our own framing, corked until the
   * iteration's flush, instead of `ws.send` per frame (one header allocation and two writes per
   * connection, one syscall each). Safe because this server never enables permessage-deflate
   * nor sends Blobs, the only cases in which ws's Sender queues frames instead of writing them
   * at once: order with ws's own writes (pongs, pings, close frames) is kept. When ws's socket is
   * not there (another ws version) or no longer open, the frame falls back to `ws.send`.
   */
  write(frame: Buffer | SharedFrame): boolean {
    if (this.pending >= this.bounds.frames * ITERATION_CEILING) {
      this.onOverflow(`${this.pending} frames pending within one loop iteration`);
      return false;
    }
    const sock = this.socket;
    if (sock === undefined || this.ws.readyState !== WS_OPEN) {
      if (this.ws.readyState !== WS_OPEN) return false;
      this.pending++;
      this.ws.send(frame instanceof SharedFrame ? frame.payload : frame, { binary: true }, this.onSent);
      this.onFlushed?.(1);
      return true;
    }
    if (!this.corked) {
      this.corked = true;
      this.owedFrames = this.pending;
      this.owedBytes = this.pending > 0 ? this.ws.bufferedAmount : 0;
      sock.cork();
      this.scheduler.add(this);
    }
    this.pending++;
    if (frame instanceof SharedFrame) {
      const wire = frame.chunks();
      if (wire.length === 2) sock.write(wire[0]!);
      sock.write(wire[wire.length - 1]!, this.onSent);
    } else {
      sock.write(frameHeader(frame.length));
      sock.write(frame, this.onSent);
    }
    this.unflushed++;
    return true;
  }

  /** Queues one text frame (handshake results, text heartbeats) through the same bound. */
  writeText(text: string): boolean {
    if (this.ws.readyState !== WS_OPEN) return false;
    if (this.pending >= this.bounds.frames * ITERATION_CEILING) {
      this.onOverflow(`${this.pending} frames pending within one loop iteration`);
      return false;
    }
    if (!this.corked) {
      // Not part of a flush: measure what was owed before this frame, as a flush would.
      this.owedFrames = this.pending;
      this.owedBytes = this.pending > 0 ? this.ws.bufferedAmount : 0;
      if (!this.checkBounds()) return false;
    }
    this.pending++;
    // ws writes to the (possibly corked) socket at once: order with our binary frames is kept.
    this.ws.send(text, this.onSent);
    return true;
  }

  /** Server heartbeat (Web clients). */
  ping(): void {
    if (this.ws.readyState === WS_OPEN) this.ws.ping();
  }

  /** @internal Uncorks the socket: everything queued in this iteration goes out in one writev. */
  flush(): void {
    if (!this.corked) return;
    this.corked = false;
    this.socket?.uncork();
    const n = this.unflushed;
    this.scheduler.stats.flushes++;
    this.scheduler.stats.frames += n;
    this.unflushed = 0;
    if (n > 0) this.onFlushed?.(n);
  }

  /** @internal Over the bound -> onOverflow, and false. */
  checkBounds(): boolean {
    if (this.ws.readyState !== WS_OPEN) return true;
    const frames = this.owedFrames;
    const bytes = this.owedBytes;
    this.owedFrames = this.owedBytes = 0;
    if (frames > this.bounds.frames) {
      this.onOverflow(`${frames} frames pending`);
      return false;
    }
    // One frame may be bigger than the bound (a large pull reply); what is owed beyond it may not.
    if (frames > 1 && bytes > this.bounds.bytes) {
      this.onOverflow(`${bytes} bytes pending in ${frames} frames`);
      return false;
    }
    return true;
  }

  /**
   * Ends the socket: queued frames go out first, then the close frame (`code`, `reason`), and the
   * socket is dropped 2 s later if the peer never answers. `abrupt` drops it at once (the peer is
   * the problem: slow, silent or hostile).
   */
  close(code: number, reason: string, abrupt: boolean): void {
    this.flush();
    const ws = this.ws;
    if (abrupt) {
      ws.terminate();
      return;
    }
    ws.close(code, reason);
    setTimeout(() => ws.terminate(), 2000).unref();
  }

  /** Drops the TCP connection without a close frame. */
  terminate(): void {
    this.ws.terminate();
  }
}

function rawSocketOf(ws: WebSocket): Socket | undefined {
  // ws keeps its net.Socket in the private `_socket`; see Transport.write for why writing there is safe.
  const s = (ws as unknown as { _socket?: unknown })._socket;
  return s && typeof (s as Socket).cork === 'function' && typeof (s as Socket).write === 'function' ? (s as Socket) : undefined;
}
