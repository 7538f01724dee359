// @ts-check
/** The algorithm registry: name → module (docs/contracts.md, "Algorithms and payloads"). */
import arich from './arich-channel-mask.mjs';
import cdcDedx from './cdc-dedx-gain.mjs';
import cdcScale from './cdc-momentum-scale.mjs';
import ecl from './ecl-energy-scale.mjs';
import klm from './klm-strip-efficiency.mjs';
import svd from './svd-alignment.mjs';
import top from './top-module-t0.mjs';

/** @type {Readonly<Record<string, import('./types.mjs').Algorithm>>} */
export const ALGORITHMS = Object.freeze(
  Object.fromEntries([svd, cdcScale, cdcDedx, ecl, top, klm, arich].map((a) => [a.name, a])),
);
