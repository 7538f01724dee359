/**
 * The CLI's client of the calibloop REST API (axios). Errors come back as CliError with the server's code, message
 * and field paths, so the CLI prints what went wrong instead of a stack trace.
 */
import axios, { AxiosError, type AxiosInstance } from 'axios';

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export interface ApiOptions {
  url: string;
  token?: string;
}

export function apiClient(opts: ApiOptions): AxiosInstance {
  const client = axios.create({
    baseURL: opts.url.replace(/\/$/, '') + '/api/v1',
    headers: opts.token ? { Authorization: `Bearer ${opts.token}` } : {},
    maxBodyLength: Infinity,
    maxContentLength: Infinity,
    timeout: 0,
  });
  client.interceptors.response.use(undefined, (err: AxiosError<{ error?: { code: string; message: string; details?: unknown } }>) => {
    if (err.response) {
      const e = err.response.data?.error;
      const msg = e ? `${e.code}: ${e.message}` : `HTTP ${err.response.status}`;
      throw new CliError(msg, 1, e?.details);
    }
    throw new CliError(`cannot reach calibloop at ${opts.url} (${err.code ?? err.message}); is the server running? (calibloop serve / npm start)`, 2);
  });
  return client;
}
