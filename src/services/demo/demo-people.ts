/**
 * What the demo's people do, through the same REST API a person would use (so every action is authorised, validated
 * and audited under the demo account that took it): the demo manager approves payload candidates and fixes and
 * blesses; as data-production manager launches reprocessing; the ECL expert uploads one fix in the first bucket's
 * window.
 */
import axios, { type AxiosInstance } from 'axios';
import type { DemoAccounts } from './demo-accounts.ts';

export interface DemoPeople {
  approveCandidates(bucket: string): Promise<number>;
  uploadEclFix(bucket: string, exp: number, firstRun: number, lastRun: number, snapshotTag: string): Promise<{ id: number; revision: number }>;
  approveFix(id: number): Promise<void>;
  closeWindowEarly(bucket: string, reason: string): Promise<void>;
  bless(bucket: string): Promise<{ campaign: number; finalTag: string }>;
  launch(campaign: number): Promise<{ jobs: number }>;
}

function client(baseUrl: string, token: string): AxiosInstance {
  return axios.create({ baseURL: `${baseUrl}/api/v1`, headers: { Authorization: `Bearer ${token}` }, timeout: 120_000 });
}

/** Turns an API error into a one-line message. */
export function apiMessage(e: unknown): string {
  const err = e as { response?: { status: number; data?: { error?: { code: string; message: string } } }; message?: string };
  if (err.response) return `HTTP ${err.response.status} ${err.response.data?.error ? `${err.response.data.error.code}: ${err.response.data.error.message}` : ''}`.trim();
  return err.message ?? String(e);
}

/** The corrected constants: the snapshot's payload (`{name, values: {key: number}, ...}`) with every value scaled by 1.002. */
export function correctedPayload(original: string): string {
  try {
    const json = JSON.parse(original) as { values?: Record<string, unknown> };
    const values = Object.fromEntries(
      Object.entries(json.values ?? {}).map(([k, v]) => [k, typeof v === 'number' ? Math.round(v * 1.002 * 1e9) / 1e9 : v]),
    );
    return JSON.stringify({ ...json, values, fix: 'demo fix: ECL energy scale corrected by the ECL expert during the fix window' }, null, 2) + '\n';
  } catch {
    return original + '\n';
  }
}

export function demoPeople(baseUrl: string, accounts: DemoAccounts): DemoPeople {
  const manager = client(baseUrl, accounts.tokens.calibration);
  const production = client(baseUrl, accounts.tokens.production);
  const ecl = client(baseUrl, accounts.tokens.ecl);
  return {
    async approveCandidates(bucket) {
      const { data } = await manager.post('/payload-candidates/approve', { bucket, comment: `approved by ${accounts.manager} (demo account)` });
      return Array.isArray(data) ? data.length : 0;
    },
    async uploadEclFix(bucket, exp, firstRun, lastRun, snapshotTag) {
      const name = 'ECLCrystalEnergyScale';
      const { data: resolved } = await ecl.get('/resolve', { params: { tag: snapshotTag, exp, run: firstRun } });
      const entry = (resolved.payloads as { name: string; revision: number }[]).find((p) => p.name === name);
      let original = '{}';
      if (entry) {
        const file = await ecl.get(`/payloads/${name}/${entry.revision}/file`, { responseType: 'text', transformResponse: (x) => x });
        original = String(file.data);
      }
      const { data } = await ecl.post(`/windows/${bucket}/fixes`, {
        name,
        iov: { firstExp: exp, firstRun, finalExp: exp, finalRun: lastRun },
        reason: `ECL energy scale of runs ${firstRun}-${lastRun} off by 0.2% in prompt processing (demo fix by ${accounts.expert})`,
        contentBase64: Buffer.from(correctedPayload(original)).toString('base64'),
      });
      return { id: data.id, revision: data.revision };
    },
    async approveFix(id) {
      await manager.post(`/fixes/${id}/approve`, { comment: `approved by ${accounts.manager} (demo account)` });
    },
    async closeWindowEarly(bucket, reason) {
      await manager.post(`/windows/${bucket}/close`, { reason });
    },
    async bless(bucket) {
      const { data } = await manager.post(`/buckets/${bucket}/bless`, { comment: `blessed by ${accounts.manager} (demo account)` });
      return { campaign: data.campaign.id, finalTag: data.finalTag };
    },
    async launch(campaign) {
      // campaigns are addressed by their bucket's name; the id only under /by-id/
      const { data: c } = await production.get(`/reprocessing/by-id/${campaign}`);
      const { data } = await production.post(`/reprocessing/${encodeURIComponent(c.bucket)}/launch`, {});
      return { jobs: data.jobs.total };
    },
  };
}
