/**
 * Client of an HTTP run database (axios). It only fetches: the answer is `unknown` until the run-source service has
 * validated it with the run-list schema, so a database returning garbage can never reach the tables.
 *
 * Contract (docs/production.md): `GET <url>?updatedSince=<ISO time>` (parameter omitted on the first poll) answers
 * 200 with a run list `{ "runs": [ … ] }` in the format of docs/contracts.md, holding every run created or changed
 * since that time.
 */
import axios, { type AxiosInstance } from 'axios';

export interface RunDatabaseClientOptions {
  url: string;
  token?: string;
  timeoutMs: number;
}

export interface RunDatabaseClient {
  fetchRuns(params: { updatedSince?: Date }): Promise<unknown>;
}

export class RunDatabaseError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'RunDatabaseError';
  }
}

export function createRunDatabaseClient(opts: RunDatabaseClientOptions): RunDatabaseClient {
  const http: AxiosInstance = axios.create({
    timeout: opts.timeoutMs,
    headers: { Accept: 'application/json', ...(opts.token ? { Authorization: `Bearer ${opts.token}` } : {}) },
    maxContentLength: 256 * 1024 * 1024,
    // parse ourselves so that a body that is not JSON is reported as such, not as a string
    responseType: 'text',
    transformResponse: [(d) => d],
    validateStatus: () => true,
  });
  return {
    async fetchRuns({ updatedSince }) {
      let res;
      try {
        res = await http.get<string>(opts.url, { params: updatedSince ? { updatedSince: updatedSince.toISOString() } : {} });
      } catch (e) {
        const err = e as { code?: string; message?: string };
        throw new RunDatabaseError(`run database ${opts.url} unreachable: ${err.code ?? err.message}`);
      }
      if (res.status !== 200) throw new RunDatabaseError(`run database ${opts.url} answered HTTP ${res.status}`, res.status);
      try {
        return JSON.parse(res.data);
      } catch {
        throw new RunDatabaseError(`run database ${opts.url} answered something that is not JSON (${String(res.data).slice(0, 80)})`, res.status);
      }
    },
  };
}
