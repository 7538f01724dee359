/**
 * The conditions store's commands, in the manner of `b2conditionsdb`: `tag …`, `iov …`, `payload upload|download|show`,
 * `resolve`, `export localdb`, `import localdb`. All go through the REST API and honour --json.
 */
import type { Command } from 'commander';
import { registerTagCommands } from './conditions-tag.ts';
import { registerIovCommands } from './conditions-iov.ts';
import { registerPayloadCommands } from './conditions-payload.ts';
import { registerLocalDbCommands } from './conditions-localdb.ts';

export function registerConditionsCommands(program: Command): void {
  registerTagCommands(program);
  registerIovCommands(program);
  registerPayloadCommands(program);
  registerLocalDbCommands(program);
}
