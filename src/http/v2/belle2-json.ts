/**
 * The JSON shapes of the Belle II conditions database REST API (v2), as basf2's clients read them:
 * - the C++ metadata provider reads `globalTagStatus[].name`, `globalTag.globalTagStatus.name` and, per entry of
 *   `iovPayloads`, `payload.{basf2Module.name, payloadUrl, baseUrl, checksum, revision}` and
 *   `payloadIov.{expStart, runStart, expEnd, runEnd}`;
 * - the Python `ConditionsDB` class and `b2conditionsdb` also read `globalTagId`, `description`, `globalTagType.name`,
 *   `payloadCount`, `dtmIns`, `dtmMod`, `modifiedBy`, `payloadId`, `payloadIovId`, and `globalTagPayloads` grouped as
 *   `{payloadId: <payload>, payloadIovs: [<iov>]}`.
 * Ids are calibloop's row ids; times are ISO 8601 (UTC). Payload files live at `baseUrl + "/" + payloadUrl`, in the
 * layout basf2 expects on a server: `dbstore/<name>/dbstore_<name>_rev_<revision>.root`.
 */
import { tagLifecycle, TAG_TYPE_LIST, type TagState, type TagType } from '../../domain/tag-states.ts';
import { payloadFileName } from '../../domain/localdb-format.ts';
import type { Iov } from '../../domain/iov.ts';

/** Where payload files are served, below the server's origin; the answer's `baseUrl` is origin + this. */
export const FILES_PATH = '/v2/files';

export function payloadUrlV2(name: string, revision: number): string {
  return `dbstore/${name}/${payloadFileName(name, revision)}`;
}

const STATE_TEXT: Record<TagState, string> = {
  OPEN: 'freely modifiable',
  TESTING: 'frozen for tests, can be reopened',
  VALIDATED: 'frozen and tested',
  PUBLISHED: 'immutable, used for physics',
  RUNNING: 'grows forward in run number only, by running update',
  INVALID: 'end of life, never served for processing',
};

/** The six states map one to one (Belle II uses the same names); ids are their position, stable. */
export function statusJson(state: TagState) {
  return { globalTagStatusId: tagLifecycle.list.indexOf(state) + 1, name: state, description: STATE_TEXT[state] };
}

/**
 * Belle II's own type names (DEV, RELEASE; `b2conditionsdb` creates tags as DEV) are accepted on creation and map to
 * calibloop types; calibloop's types are listed and reported under their own names.
 */
export const TYPE_ALIASES: Readonly<Record<string, TagType>> = { DEV: 'staging', RELEASE: 'release' };

export function typeJson(name: string) {
  const alias = TYPE_ALIASES[name];
  return {
    globalTagTypeId: alias ? TAG_TYPE_LIST.length + Object.keys(TYPE_ALIASES).indexOf(name) + 1 : TAG_TYPE_LIST.indexOf(name as TagType) + 1,
    name,
    description: alias ? `Belle II name, creates a calibloop ${alias} tag` : `calibloop ${name} tag`,
  };
}

export function typeList() {
  return [...TAG_TYPE_LIST, ...Object.keys(TYPE_ALIASES)].map(typeJson);
}

export function typeFromName(name: string): TagType | undefined {
  if ((TAG_TYPE_LIST as string[]).includes(name)) return name as TagType;
  return TYPE_ALIASES[name.toUpperCase()];
}

const iso = (t: Date | number) => new Date(t).toISOString();

export interface TagLike {
  id: number;
  name: string;
  description: string;
  type: string;
  state: string;
  createdAt: Date;
  createdBy: string;
  updatedAt: Date;
}

export function tagJson(t: TagLike, payloadCount: number) {
  return {
    globalTagId: t.id,
    name: t.name,
    description: t.description,
    isDefault: false,
    globalTagStatus: statusJson(t.state as TagState),
    globalTagType: typeJson(t.type),
    payloadCount,
    dtmIns: iso(t.createdAt),
    dtmMod: iso(t.updatedAt),
    modifiedBy: t.createdBy,
  };
}

export interface PayloadLike {
  id: number;
  name: string;
  revision: number;
  md5: string;
  createdAt: Date | number;
  createdBy: string;
}

export function payloadJson(p: PayloadLike, baseUrl: string) {
  return {
    payloadId: p.id,
    basf2Module: { name: p.name },
    revision: p.revision,
    checksum: p.md5,
    payloadUrl: payloadUrlV2(p.name, p.revision),
    baseUrl,
    isDefault: false,
    dtmIns: iso(p.createdAt),
    dtmMod: iso(p.createdAt),
    modifiedBy: p.createdBy,
  };
}

export interface IovLike extends Iov {
  id: number;
  insertedAt: Date | number;
  insertedBy: string;
}

/** IoV rows are never changed in place (a change is a new row), so modified = inserted. */
export function iovJson(i: IovLike) {
  return {
    payloadIovId: i.id,
    expStart: i.firstExp,
    runStart: i.firstRun,
    expEnd: i.finalExp,
    runEnd: i.finalRun,
    dtmIns: iso(i.insertedAt),
    dtmMod: iso(i.insertedAt),
    modifiedBy: i.insertedBy,
  };
}
