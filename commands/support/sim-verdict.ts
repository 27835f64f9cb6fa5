import { writeFileSync } from 'node:fs';
import type { Command } from '@oclif/core';
import { formatSummary, renderHtml, type SimReport, type ThresholdResult } from '../../simulators/scenarios/index.js';
import { fail } from './errors.js';

/** Where a report goes: stdout carries the summary or (--json) the report; file notes go to stderr. */
export interface ReportOutputs {
  json?: boolean;
  out?: string;
  html?: string;
}

/** Prints and writes a finished report as the flags ask, then exits with its verdict's code. */
export function emitReport(cmd: Command, report: SimReport, failed: readonly ThresholdResult[], flags: ReportOutputs): void {
  if (flags.json) cmd.log(JSON.stringify(report, null, 2));
  else cmd.log(formatSummary(report));
  if (flags.out) {
    writeFileSync(flags.out, `${JSON.stringify(report, null, 2)}\n`);
    cmd.logToStderr(`wrote ${flags.out}`);
  }
  if (flags.html) {
    writeFileSync(flags.html, renderHtml(report));
    cmd.logToStderr(`wrote ${flags.html}`);
  }
  exitForVerdict(cmd, report, failed, flags.json === true);
}

/**
 * Ends `msggw sim` (or `sim merge`) with the exit code of the report's verdict: returns on PASS,
 * otherwise one stderr line that says why (the summary on stdout already shows every check).
 */
export function exitForVerdict(cmd: Command, report: SimReport, failed: readonly ThresholdResult[], json: boolean): void {
  const where = json ? '' : ' (see the summary)';
  switch (report.verdict) {
    case 'PASS':
      return;
    case 'INCOMPLETE': {
      const s = report.shards;
      if (s !== undefined && s.missing.length > 0) {
        const workers = report.notes.filter((n) => /^worker \d+\/\d+ /.test(n));
        fail(cmd, 'MSGGW_SIM_INCOMPLETE', `INCOMPLETE: ${s.missing.length} of ${s.count} shards did not report${workers.length > 0 ? `: ${workers.join('; ')}` : ` (${s.missing.map((i) => `${i}/${s.count}`).join(', ')})`}`);
      }
      fail(cmd, 'MSGGW_SIM_INCOMPLETE', `the run was interrupted: INCOMPLETE${where}`);
      break;
    }
    case 'ERROR':
      fail(cmd, 'MSGGW_SIM_SCENARIO_ERROR', `scenario ${report.scenario} stopped: ${json ? report.run.error : 'ERROR (see the summary)'}`);
      break;
    case 'FAIL': {
      const names = failed.map((t) => (json ? `${t.expr}: ${t.reason}` : t.expr)).join(', ');
      const defaults = failed.some((t) => t.source === 'default');
      fail(cmd, 'MSGGW_SIM_CHECKS', `FAIL: ${failed.length} check${failed.length > 1 ? 's' : ''} failed: ${names}`, defaults ? ['default checks are built into each scenario: relax one with --threshold on its metric, or drop them with --no-default-checks'] : []);
    }
  }
}
