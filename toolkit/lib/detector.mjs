// @ts-check
/**
 * What "the experiment" knows about its detector without calibration: geometry, particle masses, the beam energy and
 * the shape of the dE/dx curve. Shared by the generator (lib/event-model.mjs) and by reconstruction and the
 * algorithms, which must not know the true constants (lib/truth.mjs) — only these nominal facts.
 */

/** Beam energy per beam in the centre-of-mass frame (Υ(4S): √s = 10.58 GeV), GeV. Momenta are CM momenta. */
export const E_BEAM = 5.29;
/** √s, GeV. */
export const SQRT_S = 2 * E_BEAM;
/** Speed of light, cm/ns. */
export const C_CM_PER_NS = 29.9792458;

export const MASS = Object.freeze({ e: 0.000511, mu: 0.10566, pi: 0.13957, K: 0.49368, p: 0.93827 });

/** ECL crystals are grouped in 8 polar-angle groups of 1092 crystals (8736 crystals in all). */
export const ECL_GROUPS = 8;
export const ECL_CRYSTALS = 8736;
export const ECL_CRYSTALS_PER_GROUP = ECL_CRYSTALS / ECL_GROUPS;
/** @param {number} crystal */
export const eclGroupOf = (crystal) => Math.floor(crystal / ECL_CRYSTALS_PER_GROUP);

/** TOP: 16 quartz bar modules around the barrel, numbered 1..16 as in Belle II. */
export const TOP_MODULES = 16;

/** SVD: layers 3..6, two instrumented ladders each in this toy; a track crosses one sensor per layer. */
export const SVD_LAYERS = [3, 4, 5, 6];
export const SVD_SENSORS = SVD_LAYERS.flatMap((l) => [`L${l}.1`, `L${l}.2`]);
/** Curvature bias per µm of mean radial misalignment of the crossed sensors, 1/GeV per µm (charge-signed). */
export const SAGITTA_PER_UM = 3e-5;

/** KLM: 16 sectors (8 barrel, 8 endcap) of 14 layers. */
export const KLM_SECTORS = 16;
export const KLM_LAYERS = 14;
/**
 * Layers a muon of CM momentum p (GeV) is expected to cross before ranging out (extrapolation; 0.6 GeV to enter).
 * @param {number} p
 */
export function klmLayersCrossed(p) {
  return Math.max(0, Math.min(KLM_LAYERS, Math.floor((p - 0.6) / 0.25)));
}

/** ARICH: 256 channel groups in this toy (the real detector has ~60k channels). */
export const ARICH_CHANNELS = 256;

/**
 * Normalised mean dE/dx versus βγ: a Bethe-Bloch-like rise at low βγ, a minimum near βγ≈3.5 and a Fermi plateau
 * reached by electrons, normalised so that the electron plateau is 1.0 (the calibration reference).
 * @param {number} bg βγ = p/m
 */
export function dedxCurve(bg) {
  const b2 = (bg * bg) / (1 + bg * bg);
  const raw = (1 + 0.12 * Math.log(Math.min(bg, 300))) / b2;
  return raw / DEDX_PLATEAU;
}
const DEDX_PLATEAU = 1 + 0.12 * Math.log(300);

/**
 * Time of flight from the interaction point to TOP, ns.
 * @param {number} p momentum, GeV @param {number} mass GeV @param {number} length path length, cm
 */
export function timeOfFlight(p, mass, length) {
  const beta = p / Math.sqrt(p * p + mass * mass);
  return length / (beta * C_CM_PER_NS);
}

/** HLT trigger lines and the calibration skims selecting them. */
export const SKIMS = Object.freeze({
  hlt_bhabha: 'bhabha',
  hlt_mumu_2trk: 'mumu',
  hlt_gamma_gamma: 'gamma_gamma',
  hlt_hadron: 'hadron',
});

/** The payload names of every calibration, in dependency order. */
export const PAYLOADS = Object.freeze([
  'SVDAlignment',
  'CDCMomentumScale',
  'CDCdEdxRunGain',
  'ECLCrystalEnergyScale',
  'TOPModuleT0',
  'KLMStripEfficiency',
  'ARICHChannelMask',
]);

/** Key names used in payload `values` (and by `truth`). */
export const keys = Object.freeze({
  eclGroup: (/** @type {number} */ g) => `group${g}`,
  topModule: (/** @type {number} */ m) => `module${String(m).padStart(2, '0')}`,
  klmSector: (/** @type {number} */ s) => `sector${String(s).padStart(2, '0')}`,
  svdSensor: (/** @type {string} */ name) => `${name}.du`,
});

/**
 * Rounds for output so files are compact and byte-stable.
 * @param {number} x @param {number} digits decimals
 */
export function round(x, digits) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
