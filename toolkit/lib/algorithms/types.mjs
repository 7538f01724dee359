// @ts-check
/**
 * Shapes shared by the algorithms and the calibrate command (JSDoc only).
 *
 * @typedef {{ exp: number, run: number, path: string, events: any[], consts: import('../conditions.mjs').RunConstants }} Sample
 *   the events of one input file that fired one of the algorithm's triggers, with the constants of its run
 *
 * @typedef {{
 *   exp: number, firstRun: number, iteration: number,
 *   config: Record<string, any>,
 *   samples: Sample[],
 *   nEvents: number,
 *   centre: Record<string, number> | null,
 *   previousPayload: any | null,
 * }} AlgorithmInput
 *   centre: where an iterative algorithm centres its windows — the previous iteration's estimate, else the payload
 *   found in --localdb, else null (the algorithm starts from the data)
 *
 * @typedef {{
 *   values: Record<string, number>,
 *   uncertainties: Record<string, number>,
 *   nUsed: number,
 *   chi2ndf: number | null,
 *   metrics?: Record<string, unknown>,
 *   extra?: Record<string, unknown>,
 *   notEnoughData?: string,
 * }} AlgorithmOutput
 *   extra: additional top-level payload fields (the ARICH channel list); notEnoughData: why the data do not suffice
 *
 * @typedef {{
 *   name: string, payload: string, triggers: string[], iterative: boolean,
 *   changeUnit: 'relative' | 'ns' | 'um' | 'channels',
 *   defaults: Record<string, any>,
 *   run: (input: AlgorithmInput) => AlgorithmOutput,
 * }} Algorithm
 */
export {};
