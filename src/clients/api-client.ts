/**
 * The CLI's client of the calibloop REST API (axios). Errors come back as CliError with the server's code, message
 * and field paths, so the CLI prints what went wrong instead of a stack trace, and exits with the code of its class.
 * axios loads on the first request, not at start-up (`calibloop --help` never needs it).
 */
import type { AxiosError, AxiosInstance } from 'axios';
import { EXIT, exitCodeFor, type ExitCode } from '../cli/exit-codes.ts';
import { didYouMean, suggestionsIn } from '../domain/suggest.ts';

export class CliError extends Error {
  readonly exitCode: ExitCode;
  constructor(
    message: string,
    exitCode: ExitCode = EXIT.FAILED,
    readonly details?: unknown,
    /** the server's error code (NOT_FOUND, RULE_VIOLATION, …) or a CLI one (INVALID_INPUT, UNREACHABLE, FAILED) */
    readonly code: string = codeForExit(exitCode),
  ) {
    super(message);
    this.exitCode = exitCode;
  }
}

function codeForExit(exit: ExitCode): string {
  return exit === EXIT.USAGE ? 'INVALID_INPUT' : exit === EXIT.NOT_FOUND ? 'NOT_FOUND' : exit === EXIT.SERVER ? 'UNAVAILABLE' : 'FAILED';
}

/** A command-line value that does not parse: names the option, exits with the usage code. */
export function usageError(option: string, message: string): CliError {
  return new CliError(`${option}: ${message}`, EXIT.USAGE, [{ option, message }], 'INVALID_INPUT');
}

export interface ApiOptions {
  url: string;
  token?: string;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'request'] as const;

export function apiClient(opts: ApiOptions): AxiosInstance {
  let client: Promise<AxiosInstance> | undefined;
  const real = () => (client ??= createClient(opts));
  const lazy: Record<string, unknown> = {};
  for (const m of METHODS) lazy[m] = async (...args: unknown[]) => ((await real()) as unknown as Record<string, (...a: unknown[]) => unknown>)[m](...args);
  return lazy as unknown as AxiosInstance;
}

async function createClient(opts: ApiOptions): Promise<AxiosInstance> {
  const { default: axios } = await import('axios');
  const client = axios.create({
    baseURL: opts.url.replace(/\/$/, '') + '/api/v1',
    headers: opts.token ? { Authorization: `Bearer ${opts.token}` } : {},
    maxBodyLength: Infinity,
    maxContentLength: Infinity,
    timeout: 0,
  });
  client.interceptors.response.use(undefined, async (err: AxiosError<{ error?: { code: string; message: string; details?: unknown } }>) => {
    if (err.response) {
      let data: unknown = err.response.data;
      // streamed downloads hand back a stream even for an error body
      if (data && typeof (data as NodeJS.ReadableStream).pipe === 'function') data = await readJson(data as NodeJS.ReadableStream);
      const e = (data as { error?: { code: string; message: string; details?: unknown } } | undefined)?.error;
      const code = e?.code ?? (err.response.status >= 500 ? 'INTERNAL' : `HTTP_${err.response.status}`);
      const hint = didYouMean(suggestionsIn(e?.details));
      throw new CliError(e ? `${e.code}: ${e.message}${hint}` : `HTTP ${err.response.status}`, exitCodeFor(code, err.response.status), e?.details, code);
    }
    throw new CliError(`cannot reach calibloop at ${opts.url} (${err.code ?? err.message}); is the server running? (calibloop serve / npm start)`, EXIT.SERVER, undefined, 'UNREACHABLE');
  });
  return client;
}

async function readJson(stream: NodeJS.ReadableStream): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Buffer));
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}
