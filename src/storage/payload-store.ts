/**
 * Where payload bytes live: a content-addressed store. The port is what services use; the filesystem implementation
 * keeps each distinct content once under `<root>/<sha256[0:2]>/<sha256[2:4]>/<sha256>` (so identical payloads uploaded
 * under several names share one file), writes through a temporary file and renames it into place, so a crash never
 * leaves a half-written payload under its final key.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DomainError } from '../domain/errors.ts';

export interface StoredContent {
  /** location relative to the store root */
  storageKey: string;
  md5: string;
  sha256: string;
  size: number;
}

export interface PayloadStore {
  /** Streams bytes into the store, hashing them on the way; refuses more than maxBytes with PAYLOAD_TOO_LARGE. */
  put(source: Readable, opts?: { maxBytes?: number }): Promise<StoredContent>;
  open(storageKey: string): Readable;
  exists(storageKey: string): Promise<boolean>;
  /** Absolute path of a stored content (filesystem store only; used for local copies in exports). */
  pathOf(storageKey: string): string;
}

export function createFilesystemPayloadStore(root: string): PayloadStore {
  const tmpDir = join(root, '.tmp');
  const keyFor = (sha256: string) => `${sha256.slice(0, 2)}/${sha256.slice(2, 4)}/${sha256}`;
  const pathOf = (storageKey: string) => {
    if (!/^[0-9a-f]{2}\/[0-9a-f]{2}\/[0-9a-f]{64}$/.test(storageKey)) throw new DomainError('INVALID_INPUT', `bad storage key ${storageKey}`);
    return join(root, storageKey);
  };
  return {
    pathOf,
    async put(source, opts = {}) {
      mkdirSync(tmpDir, { recursive: true });
      const tmp = join(tmpDir, `${Date.now()}-${randomBytes(6).toString('hex')}`);
      const md5 = createHash('md5');
      const sha = createHash('sha256');
      let size = 0;
      const max = opts.maxBytes ?? Number.POSITIVE_INFINITY;
      const hasher = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          size += chunk.length;
          if (size > max) {
            cb(new DomainError('PAYLOAD_TOO_LARGE', `payload larger than the limit of ${max} bytes`));
            return;
          }
          md5.update(chunk);
          sha.update(chunk);
          cb(null, chunk);
        },
      });
      try {
        await pipeline(source, hasher, createWriteStream(tmp));
        const sha256 = sha.digest('hex');
        const storageKey = keyFor(sha256);
        const target = join(root, storageKey);
        if (existsSync(target)) await rm(tmp, { force: true });
        else {
          mkdirSync(dirname(target), { recursive: true });
          await rename(tmp, target);
        }
        return { storageKey, md5: md5.digest('hex'), sha256, size };
      } catch (e) {
        await rm(tmp, { force: true });
        throw e;
      }
    },
    open(storageKey) {
      return createReadStream(pathOf(storageKey));
    },
    async exists(storageKey) {
      try {
        return (await stat(pathOf(storageKey))).isFile();
      } catch {
        return false;
      }
    },
  };
}
