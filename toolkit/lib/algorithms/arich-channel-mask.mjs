// @ts-check
/**
 * arich_channel_mask → ARICHChannelMask: channel occupancies (fraction of hadronic events in which a channel fired).
 * A channel is dead if its occupancy is below dead_channel_occupancy in any run where a live channel would have
 * fired at least ten times (channels die during a bucket and stay dead, and the payload is valid from the bucket on);
 * it is hot if its occupancy over the bucket is above hot_channel_occupancy. The payload's values are the dead and
 * hot fractions and the number of masked channels; the list itself is the payload's `maskedChannels` field.
 */
import { ARICH_CHANNELS } from '../detector.mjs';
import { median } from '../stats.mjs';

/** @type {import('./types.mjs').Algorithm} */
export default {
  name: 'arich_channel_mask',
  payload: 'ARICHChannelMask',
  triggers: ['hadron'],
  iterative: false,
  changeUnit: 'channels',
  defaults: { min_events: 300, hot_channel_occupancy: 0.1, dead_channel_occupancy: 0.0001, tolerance: 0 },

  run({ samples, config }) {
    /** @type {Map<number, { events: number, counts: number[] }>} */
    const perRun = new Map();
    const total = new Array(ARICH_CHANNELS).fill(0);
    let events = 0;
    for (const s of samples) {
      let r = perRun.get(s.run);
      if (!r) perRun.set(s.run, (r = { events: 0, counts: new Array(ARICH_CHANNELS).fill(0) }));
      for (const ev of s.events) {
        if (!ev.trg.includes('hadron')) continue;
        r.events++;
        events++;
        for (const ch of ev.arich ?? []) {
          r.counts[ch]++;
          total[ch]++;
        }
      }
    }
    const occupancy = total.map((n) => n / Math.max(1, events));
    const typical = median(occupancy);
    const dead = new Set();
    for (const r of perRun.values()) {
      if (r.events * typical < 10) continue; // too few events in this run to call a channel dead
      for (let c = 0; c < ARICH_CHANNELS; c++) if (r.counts[c] / r.events < config.dead_channel_occupancy) dead.add(c);
    }
    const hot = [];
    for (let c = 0; c < ARICH_CHANNELS; c++) if (!dead.has(c) && occupancy[c] > config.hot_channel_occupancy) hot.push(c);
    const masked = [...new Set([...dead, ...hot])].sort((a, b) => a - b);
    // Uniformity of the live channels: Poisson χ² of their counts about the mean count.
    const live = total.filter((_, c) => !masked.includes(c));
    const meanCount = live.reduce((a, b) => a + b, 0) / Math.max(1, live.length);
    const chi2 = meanCount > 0 ? live.reduce((a, n) => a + (n - meanCount) ** 2 / meanCount, 0) : 0;
    const oneChannel = Math.round((1 / ARICH_CHANNELS) * 1e6) / 1e6;
    return {
      values: {
        deadFraction: Math.round((dead.size / ARICH_CHANNELS) * 1e6) / 1e6,
        hotFraction: Math.round((hot.length / ARICH_CHANNELS) * 1e6) / 1e6,
        nMasked: masked.length,
      },
      uncertainties: { deadFraction: oneChannel, hotFraction: oneChannel, nMasked: 0 },
      nUsed: events,
      chi2ndf: live.length > 1 ? chi2 / (live.length - 1) : null,
      metrics: { typicalOccupancy: Math.round(typical * 1e5) / 1e5, deadChannels: [...dead].sort((a, b) => a - b), hotChannels: hot },
      extra: { maskedChannels: masked },
    };
  },
};
