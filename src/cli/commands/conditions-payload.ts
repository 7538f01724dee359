/** `calibloop payload upload|download|show`: payload files, with checksums checked on both ends. */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { CliError } from '../../clients/api-client.ts';
import { api, globals, output, table } from '../context.ts';
import { fmtBytes, intArg, progressBar } from './conditions-shared.ts';
import type { AxiosInstance } from 'axios';

const enc = encodeURIComponent;

export async function md5OfFile(path: string): Promise<string> {
  const h = createHash('md5');
  await pipeline(createReadStream(path), h);
  return h.digest('hex');
}

/** Streams one file to the server; `onBytes` sees the bytes sent so far. */
export async function uploadFile(client: AxiosInstance, name: string, path: string, opts: { reason?: string; onBytes?: (n: number) => void } = {}) {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    throw new CliError(`${path}: no such file`);
  }
  const md5 = await md5OfFile(path);
  let sent = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _e, cb) {
      sent += chunk.length;
      opts.onBytes?.(sent);
      cb(null, chunk);
    },
  });
  const body = createReadStream(path).pipe(counter);
  const { data } = await client.post(`/payloads/${enc(name)}`, body, {
    params: { reason: opts.reason },
    headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(size), 'X-Checksum-Md5': md5 },
    validateStatus: (s) => s === 200 || s === 201,
  });
  return data;
}

export async function downloadFile(client: AxiosInstance, name: string, revision: number, dest: string, onBytes?: (n: number, total: number) => void) {
  const res = await client.get<Readable>(`/payloads/${enc(name)}/${revision}/file`, { responseType: 'stream' });
  const total = Number(res.headers['content-length'] ?? 0);
  const expected = String(res.headers['x-checksum-md5'] ?? '');
  const h = createHash('md5');
  let got = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _e, cb) {
      got += chunk.length;
      h.update(chunk);
      onBytes?.(got, total);
      cb(null, chunk);
    },
  });
  const tmp = `${dest}.part`;
  await pipeline(res.data, tap, createWriteStream(tmp));
  const md5 = h.digest('hex');
  if (expected && md5 !== expected) {
    await rm(tmp, { force: true });
    throw new CliError(`${name} r${revision}: checksum mismatch (server says ${expected}, received ${md5}); nothing written`);
  }
  await rename(tmp, dest);
  return { bytes: got, md5 };
}

export function registerPayloadCommands(program: Command): void {
  const payload = program.commands.find((c) => c.name() === 'payload') ?? program.command('payload').description('payloads');

  payload
    .command('upload <name> <file>')
    .description('upload a payload file (md5 checked by the server; identical bytes return the existing revision)')
    .option('--reason <text>')
    .action(async (name: string, file: string, o, cmd: Command) => {
      const size = statSync(file, { throwIfNoEntry: false })?.size ?? 0;
      const bar = progressBar(`upload ${basename(file)}`, size, !globals(cmd).json);
      try {
        const data = await uploadFile(api(cmd), name, file, { reason: o.reason, onBytes: (n) => bar.update(n) });
        bar.stop();
        output(cmd, data, (p) => `${p.created ? 'uploaded' : 'already stored'}: ${p.name} revision ${p.revision} (${fmtBytes(p.size)}, md5 ${p.md5})`);
      } finally {
        bar.stop();
      }
    });

  payload
    .command('download <name> <revision>')
    .description('download a payload revision (md5 verified)')
    .option('--out <file>', 'file to write (default: dbstore_<name>_rev_<revision>.root in --dir)')
    .option('--dir <dir>', 'directory', '.')
    .action(async (name: string, revision: string, o, cmd: Command) => {
      const rev = intArg(revision);
      const dest = o.out ?? join(o.dir, `dbstore_${name}_rev_${rev}.root`);
      let bar: ReturnType<typeof progressBar> | undefined;
      const r = await downloadFile(api(cmd), name, rev, dest, (n, total) => {
        bar ??= progressBar(`download ${name} r${rev}`, total, !globals(cmd).json);
        bar.update(n);
      });
      bar?.stop();
      output(cmd, { file: dest, ...r }, (d) => `${d.file}: ${fmtBytes(d.bytes)}, md5 ${d.md5} verified`);
    });

  payload
    .command('show <name> [revision]')
    .description('one revision, or all revisions of a payload name')
    .action(async (name: string, revision: string | undefined, _o, cmd: Command) => {
      const path = revision ? `/payloads/${enc(name)}/${intArg(revision)}` : `/payloads/${enc(name)}`;
      const { data } = await api(cmd).get(path);
      output(cmd, data, (d) => table((Array.isArray(d) ? d : [d]).map((p: any) => ({ ...p, size: fmtBytes(p.size) })), ['name', 'revision', 'size', 'md5', 'createdAt', 'createdBy']));
    });
}
