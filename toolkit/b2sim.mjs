#!/usr/bin/env node
// @ts-check
/**
 * b2sim — the reference toolkit that plays the experiment's software (basf2) for calibloop's demo and tests.
 * CLI contract: docs/contracts.md; physics model and formats: toolkit/README.md. Node built-ins only, no build step.
 */
import { main } from './lib/cli.mjs';

process.exitCode = await main(process.argv.slice(2));
