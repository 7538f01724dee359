#!/usr/bin/env node
// calibloop's executable. The sources are TypeScript run through tsx (no build step to forget on a cluster node).
import { register } from 'tsx/esm/api';
register();
const { main } = await import('../src/cli/main.ts');
await main();
