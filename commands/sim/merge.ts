import { Command } from '@oclif/core';
export default class SimMerge extends Command {
  static override summary = 'stub';
  static override strict = false;
  async run(): Promise<void> { this.log('merge stub ' + JSON.stringify(this.argv)); }
}
