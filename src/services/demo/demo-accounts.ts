/**
 * The demo's people: a demo manager (calibration manager and data-production manager, one user with a token per
 * role) and an ECL detector expert. Their tokens are kept in the demo's state file (mode 0600) so a restarted demo
 * acts as the same accounts; every action they take goes through the API and is audited under their names.
 */
import type { Deps } from '../../deps.ts';
import { createToken, hashToken } from '../../services/identity/tokens.ts';
import type { Role } from '../../domain/roles.ts';
import type { DemoConfig } from '../../config/demo-schema.ts';

export const DEMO_OPERATOR = { user: 'calibloop-demo', role: 'admin' as const, detectors: [] };

export interface DemoAccounts {
  manager: string;
  expert: string;
  tokens: { calibration: string; production: string; ecl: string };
}

async function valid(deps: Pick<Deps, 'prisma'>, token: string | undefined): Promise<boolean> {
  if (!token) return false;
  const t = await deps.prisma.apiToken.findUnique({ where: { tokenHash: hashToken(token) } });
  return Boolean(t && !t.revokedAt);
}

export async function ensureDemoAccounts(deps: Pick<Deps, 'prisma' | 'clock'>, demo: DemoConfig, saved: Record<string, string> = {}): Promise<DemoAccounts> {
  const manager = demo.managerUsername;
  const expert = 'demo_ecl_expert';
  const make = async (key: string, user: string, role: Role, detectors: string[] = []) => {
    if (await valid(deps, saved[key])) return saved[key];
    const t = await createToken(deps.prisma, deps.clock, DEMO_OPERATOR, {
      user,
      role,
      detectors: detectors as never,
      label: `demo account (calibloop demo): ${role}`,
    });
    return t.token;
  };
  return {
    manager,
    expert,
    tokens: {
      calibration: await make('calibration', manager, 'calibration_manager'),
      production: await make('production', manager, 'data_production_manager'),
      ecl: await make('ecl', expert, 'detector_expert', ['ecl']),
    },
  };
}
