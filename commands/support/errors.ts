/**
 * Every MSGGW_* code the CLI exits with, what it means and what to try, in one table. The
 * README's "Error codes" section lists the same codes (test/unit/cli-errors.test.ts checks both
 * ways and that no other code is used anywhere).
 */
import type { Command } from '@oclif/core';

/** One CLI error code. */
export interface CliErrorSpec {
  /** What the code means (the thrown message adds the specifics). */
  message: string;
  /** What to try, used when the place raising it has nothing more specific. */
  suggestion: string;
  /** Process exit status: 2 for a usage error, 1 for a failure at run time, 3 for a sim run cut short. */
  exit: 1 | 2 | 3;
}

export const CLI_ERRORS = {
  MSGGW_BAD_CONFIG: { message: 'the flags or the OpenIM config folder do not make a valid configuration', suggestion: 'fix the value the message names; --help lists every flag', exit: 2 },
  MSGGW_START_FAILED: { message: 'the gateway or a simulator could not start (a port taken, Redis or etcd unreachable...)', suggestion: 'fix what the message names; a taken port: pick others with --port/--hub-port/--metrics-port/--admin-port, or 0 for any free port', exit: 1 },
  MSGGW_BACKEND_UNREACHABLE: { message: 'etcd or Redis did not answer at start (the message names the file and key, or the flag, its address came from)', suggestion: 'start it there, or fix that key (or override it with --discovery / --redis)', exit: 1 },
  MSGGW_SIMULATOR_CONFLICT: { message: 'a simulator would be registered under a service name another instance already holds', suggestion: 'leave the simulators off, or give them other names with --service-names', exit: 1 },
  MSGGW_WORKERS_FLAG: { message: '--workers is not a whole number from 1 to 256 or auto, or does not fit the other flags', suggestion: 'e.g. --workers 2, or --workers auto for one per core', exit: 2 },
  MSGGW_WORKERS_REDIS: { message: 'serve --workers needs a Redis all workers share, and none was given or could be started', suggestion: 'pass --redis redis://host:port, or install redis-server (apt-get install redis-server) and msggw starts one', exit: 1 },
  MSGGW_NO_TTY: { message: 'msggw tui needs an interactive terminal', suggestion: 'run it in a terminal (or tmux); for scripts use msggw serve / msggw sim', exit: 2 },
  MSGGW_NO_GATEWAY: { message: 'the command needs a gateway but was told not to run one', suggestion: 'drop --no-gateway, or attach to a running one with --attach', exit: 2 },
  MSGGW_ADMIN_TOKEN: { message: '--attach needs the admin stream token', suggestion: 'msggw serve prints the admin stream address and token at start', exit: 2 },
  MSGGW_ATTACH_FAILED: { message: 'could not attach to the admin event stream', suggestion: 'check the address and token serve printed ("Admin event stream: ws://host:port/ (token ...)")', exit: 1 },
  MSGGW_CLIENT_ARGS: { message: 'the msggw client flags or an interactive line do not make a valid request', suggestion: 'msggw client --help shows every flag with examples', exit: 2 },
  MSGGW_UNKNOWN_COMMAND: { message: 'msggw has no such command', suggestion: 'msggw --help lists the commands', exit: 2 },
  MSGGW_UNKNOWN_FLAG: { message: 'the command has no such flag', suggestion: 'msggw <command> --help lists every flag', exit: 2 },
  MSGGW_BAD_DURATION: { message: 'a duration flag could not be read', suggestion: 'a number with a unit: 500ms, 10s, 2m, 1h or 1m30s (a bare number is seconds)', exit: 2 },
  MSGGW_BAD_PLATFORM: { message: 'not an OpenIM platform ID or name', suggestion: 'an ID 1-11 or a name in any case, e.g. 5 or web', exit: 2 },
  MSGGW_BAD_ADDR: { message: 'a service address is not host:port', suggestion: 'e.g. 127.0.0.1:10140 (msggw serve prints every address)', exit: 2 },
  MSGGW_BAD_URL: { message: 'a gateway address is not a ws:// URL', suggestion: 'e.g. ws://127.0.0.1:10001/', exit: 2 },
  MSGGW_TOKEN_USER: { message: 'msggw token needs a non-empty --user', suggestion: 'e.g. msggw token --user u1', exit: 2 },
  MSGGW_CALL_TARGET: { message: 'msggw call needs service.Method', suggestion: 'write it like msgGateway.GetUsersOnlineStatus (see msggw call --list)', exit: 2 },
  MSGGW_CALL_SERVICE: { message: 'no such service', suggestion: 'msggw call --list shows every service', exit: 2 },
  MSGGW_CALL_METHOD: { message: 'the service has no such method', suggestion: 'msggw call --list shows every method', exit: 2 },
  MSGGW_CALL_METADATA: { message: 'a --metadata value is not key=value', suggestion: 'e.g. --metadata x-trace=abc', exit: 2 },
  MSGGW_CALL_JSON: { message: 'the request is not JSON', suggestion: `quote it for the shell: '{"userIDs":["u1"]}'`, exit: 2 },
  MSGGW_CALL_REQUEST: { message: 'the JSON does not fit the request message', suggestion: 'msggw call --list shows the request fields', exit: 2 },
  MSGGW_CALL_SERVICE_NAMES: { message: 'a --service-names value could not be read', suggestion: 'v3.8, rpc-service and/or key=name pairs, e.g. --service-names v3.8,msg=my-msg', exit: 2 },
  MSGGW_CALL_NOT_FOUND: { message: 'nothing is registered in discovery under the service name', suggestion: 'is the node running and registered? check --discovery', exit: 2 },
  MSGGW_CALL_UNREACHABLE: { message: 'the call failed in gRPC before any OpenIM answer (nothing listening, a timeout, the wrong service)', suggestion: 'check --addr (msggw serve prints every address) and that the service runs', exit: 1 },
  MSGGW_CALL_ADDR: { message: 'no address to call', suggestion: 'pass --addr host:port (msggw serve prints every address) or --discovery etcd://host:port', exit: 2 },
  MSGGW_SIM_SCENARIO: { message: 'unknown scenario', suggestion: 'msggw sim --help lists the scenarios', exit: 2 },
  MSGGW_SIM_FLAG: { message: 'a msggw sim flag is out of range or does not fit the scenario', suggestion: 'msggw sim --help shows every flag with an example', exit: 2 },
  MSGGW_SIM_FILE: { message: 'the scenario file is missing, unreadable or invalid', suggestion: 'msggw sim run fixtures/scenarios/chat-mix.yaml shows the format', exit: 2 },
  MSGGW_SIM_TOKENS: { message: 'the tokens file could not be read', suggestion: 'JSON {"user:platform":"token"} or lines "user platform token"', exit: 2 },
  MSGGW_SIM_THRESHOLD: { message: 'a --threshold expression could not be parsed', suggestion: "e.g. -t 'delivery.p99<50ms' -t 'lost==0'", exit: 2 },
  MSGGW_SIM_CHECKS: { message: 'the run finished but checks failed (default checks or --threshold)', suggestion: 'the summary shows each failed check and the measured value', exit: 1 },
  MSGGW_SIM_INCOMPLETE: { message: 'the run was interrupted (Ctrl-C or SIGTERM) before its end, or a worker or shard of it did not report', suggestion: 'run it again to the end (or the missing shard); the report covers only the part that ran', exit: 3 },
  MSGGW_SIM_SHARD: { message: '--shard is not i/n, lacks --url, or the run is too small to split into that many shards or workers', suggestion: 'e.g. --shard 1/2 --url ws://gateway:10001/; every shard needs its own users (chat: at least 2)', exit: 2 },
  MSGGW_SIM_MERGE: { message: 'the reports cannot be merged: unreadable, not shard reports of this msggw, different scenarios or shard counts, or a shard given twice', suggestion: 'give the --out files of one run, one per shard: msggw sim merge shard1.json shard2.json', exit: 2 },
  MSGGW_SIM_PROVISION: { message: 'provisioning the target through its REST API (--api) failed; no load was run', suggestion: 'the message names the endpoint, errCode and errMsg; check --api, --secret or --admin-token', exit: 1 },
  MSGGW_API_CALL: { message: 'a call to an OpenIM REST API (--api) failed', suggestion: 'check --api (msggw serve prints it as "rest api") and --secret or --admin-token', exit: 1 },
  MSGGW_SIM_SCENARIO_ERROR: { message: 'the scenario stopped with an error before its end', suggestion: 'the summary and the --json report say what failed', exit: 1 },
} as const satisfies Record<string, CliErrorSpec>;

/** A code of the table. */
export type CliErrorCode = keyof typeof CLI_ERRORS;

/** Whether a string is a code of the table (codes raised by src/ or simulators/ arrive as strings). */
export function isCliErrorCode(code: string): code is CliErrorCode {
  return Object.hasOwn(CLI_ERRORS, code);
}

/**
 * Ends the command with a coded error: the message says what was tried, the suggestions what to
 * do (the table's when none is given), the exit status is the code's.
 */
export function fail(cmd: Command, code: CliErrorCode, message: string, suggestions?: readonly string[]): never {
  const spec: CliErrorSpec = CLI_ERRORS[code];
  cmd.error(message, { code, suggestions: suggestions && suggestions.length > 0 ? [...suggestions] : [spec.suggestion], exit: spec.exit });
}

/**
 * Ends the command with a code raised as a string by src/ or simulators/ (which cannot import
 * this table). A code missing from the table is a bug: it fails loudly rather than exit uncoded.
 */
export function failWith(cmd: Command, code: string, message: string, suggestion?: string): never {
  if (!isCliErrorCode(code)) throw new Error(`${code} is not in the MSGGW_* table (commands/support/errors.ts): ${message}`);
  fail(cmd, code, message, suggestion ? [suggestion] : undefined);
}
