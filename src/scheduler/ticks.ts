/**
 * The named schedules of a server instance. Each area adds its ticks here; a tick only calls a service.
 */
import type { TickDefinition } from './scheduler.ts';
import type { Deps } from '../deps.ts';
// TICK-IMPORTS (keep this marker)

export function allTicks(_deps: Deps): TickDefinition[] {
  return [
    // TICK-LIST (keep this marker)
  ];
}
