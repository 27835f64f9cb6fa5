import { Args, Command, Flags } from '@oclif/core';
import { readFileSync } from 'node:fs';
import { fail } from '../support/errors.js';
import { asShardReport, mergeReports, MergeError, type MergeInput } from '../../simulators/scenarios/index.js';
import { emitReport } from '../support/sim-verdict.js';

export default class SimMerge extends Command {
  static override summary = 'Merge the reports of sim shards (several load machines) into one report, checks and exit code included.';
  static override description = [
    "Reads the --out JSON reports of one run's shards (msggw sim ... --shard i/n --out FILE on each load machine), checks they are shards of one run (same scenario and shard count, no shard twice), and merges them: latency histograms bucket by bucket (the percentiles are those of all the values), counters and integrity ledgers summed (pairs and groups never straddle two shards, so integrity stays exact). The checks the shards ran with are evaluated again on the merged figures. A shard missing from the set is warned about and makes the verdict INCOMPLETE.",
    '',
    'Exit codes: 0 PASS, 1 FAIL or ERROR, 2 usage (unreadable or mismatched reports), 3 INCOMPLETE.',
  ].join('\n');
  static override examples = [
    '<%= config.bin %> sim merge shard1.json shard2.json',
    '<%= config.bin %> sim merge shard*.json --html load.html --out load.json',
    '<%= config.bin %> sim merge a.json b.json c.json --json | jq .metrics',
  ];
  static override strict = false;
  static override args = {
    reports: Args.string({ description: 'shard reports (JSON, from sim --shard i/n --out FILE), one per shard', required: true }),
  };
  static override flags = {
    json: Flags.boolean({ summary: 'Print the merged JSON report on stdout instead of the summary.' }),
    out: Flags.string({ char: 'o', summary: 'Write the merged JSON report to FILE.', helpValue: '<file>' }),
    html: Flags.string({ summary: 'Write a self-contained HTML report with charts to FILE.', helpValue: '<file>' }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(SimMerge);
    const files = argv as string[];
    const inputs: MergeInput[] = [];
    for (const file of files) {
      let doc: unknown;
      try {
        doc = JSON.parse(readFileSync(file, 'utf8'));
      } catch (e) {
        fail(this, 'MSGGW_SIM_MERGE', `${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
      }
      try {
        inputs.push({ report: asShardReport(doc, file), source: file });
      } catch (e) {
        if (e instanceof MergeError) fail(this, 'MSGGW_SIM_MERGE', e.message);
        throw e;
      }
    }
    let result;
    try {
      result = mergeReports(inputs);
    } catch (e) {
      if (e instanceof MergeError) fail(this, 'MSGGW_SIM_MERGE', e.message);
      throw e;
    }
    const { report, failed } = result;
    emitReport(this, report, failed, flags);
  }
}
