/**
 * Runs the TUI on a terminal: subscribes the store to an admin source, renders the App from the
 * controller's view at most `fps` times a second (and only when something changed, or once a
 * second for the ages), and restores the terminal on quit.
 */
import { render } from 'ink';
import type { AdminSource } from '../../src/admin/admin-client.js';
import { App } from './components/App.js';
import { TuiController } from './controller.js';
import { TuiStore } from './store.js';

/** Options of {@link runTui}. */
export interface RunTuiOptions {
  source: AdminSource;
  mode: 'embedded' | 'attached';
  /** Token secret for the simulated clients. */
  secret: string;
  wsURL?: string;
  hubAddr?: string;
  /** Redraws per second at most. Default 10. */
  fps?: number;
  /** Spawn spec to run at start (as the `n` key takes it), e.g. "10 plat=mix". */
  spawn?: string;
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
  /** Store to use (the command creates it early so node logs land in it). */
  store?: TuiStore;
  /** Quits like the q key when aborted (signals). */
  signal?: AbortSignal;
}

/** Shows the TUI until the user quits; then closes the simulated clients and restores the terminal. */
export async function runTui(o: RunTuiOptions): Promise<void> {
  const stdout = o.stdout ?? process.stdout;
  const stdin = o.stdin ?? process.stdin;
  const store = o.store ?? new TuiStore();
  let quit: () => void = () => undefined;
  const quitting = new Promise<void>((resolve) => (quit = resolve));
  o.signal?.addEventListener('abort', () => quit(), { once: true });
  const ctl = new TuiController({ store, source: o.source, mode: o.mode, secret: o.secret, wsURL: o.wsURL, hubAddr: o.hubAddr, onQuit: () => quit() });
  let dirty = true;
  ctl.onChange = () => {
    dirty = true;
  };
  o.source.onState = (s) => {
    ctl.sourceState = s;
    dirty = true;
  };
  const unsubscribe = o.source.subscribe((m) => store.apply(m));

  const size = () => {
    ctl.cols = stdout.columns || 120;
    ctl.rows = stdout.rows || 40;
    dirty = true;
  };
  size();
  stdout.on('resize', size);

  // Anything printed while the screen is ours would tear it: keep it as event lines instead.
  const saved = { log: console.log, info: console.info, warn: console.warn, error: console.error };
  const toStore = (level: 'info' | 'error') => (...args: unknown[]) => store.log(args.map(String).join(' '), level);
  console.log = console.info = toStore('info');
  console.warn = console.error = toStore('error');

  const alt = stdout.isTTY === true;
  if (alt) stdout.write('\x1b[?1049h\x1b[H');
  const fps = Math.max(1, o.fps ?? 10);
  const inst = render(<App view={ctl.view()} onKey={ctl.onKey} />, {
    stdout,
    stdin,
    exitOnCtrlC: false,
    patchConsole: false,
    maxFps: fps,
  });
  let seen = store.version;
  let lastDraw = Date.now();
  const timer = setInterval(() => {
    const now = Date.now();
    if (!dirty && store.version === seen && now - lastDraw < 1000) return;
    dirty = false;
    seen = store.version;
    lastDraw = now;
    inst.rerender(<App view={ctl.view(now)} onKey={ctl.onKey} />);
  }, Math.floor(1000 / fps));

  if (o.spawn) void ctl.spawn(o.spawn).catch((e: unknown) => store.log(`spawn: ${(e as Error).message}`, 'error'));

  await quitting;
  clearInterval(timer);
  stdout.off('resize', size);
  inst.unmount();
  inst.cleanup();
  if (alt) stdout.write('\x1b[?1049l');
  Object.assign(console, saved);
  unsubscribe();
  await ctl.close();
}
