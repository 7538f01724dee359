import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  GlobalTagsFileSchema,
  bucketTagNames,
  resolveTagChain,
  toGlobalTagConfig,
  type GlobalTagsFileInput,
} from '../../src/config/globaltags-schema.ts';
import { DomainError } from '../../src/domain/errors.ts';

const minimal: GlobalTagsFileInput = {
  running_tag: 'data_prompt_running',
  chains: {
    cdst: ['{running}'],
    calibration: ['{fixing}', '{running}'],
    prompt: ['{snapshot}'],
    reprocessing: ['{final}'],
  },
};

const config = (input: GlobalTagsFileInput = minimal) => toGlobalTagConfig(GlobalTagsFileSchema.parse(input));

describe('global tag chains', () => {
  it('when only the running tag and chains are given, then the other names and the window take their defaults', () => {
    const c = config();
    assert.equal(c.fixingTag, 'data_reprocessing_prompt_fix');
    assert.equal(c.stagingTagPattern, 'data_prompt_staging_{bucket}');
    assert.deepEqual(c.fixWindow, { hours: 48, closingSoonLeadHours: 6 });
    assert.deepEqual(c.finalTag, { assembly: 'fixes_over_snapshot' });
  });

  it('when resolving each chain for a bucket, then references and {bucket} become concrete tag names', () => {
    const c = config();
    assert.deepEqual(resolveTagChain(c, 'cdst', 'b7'), ['data_prompt_running']);
    assert.deepEqual(resolveTagChain(c, 'calibration', 'b7'), ['data_reprocessing_prompt_fix', 'data_prompt_running']);
    assert.deepEqual(resolveTagChain(c, 'prompt', 'b7'), ['data_reprocessing_prompt_snapshot_b7']);
    assert.deepEqual(resolveTagChain(c, 'reprocessing', 'b7'), ['data_reprocessing_prompt_b7']);
    assert.deepEqual(bucketTagNames(c, 'e0012_b0002'), {
      running: 'data_prompt_running',
      fixing: 'data_reprocessing_prompt_fix',
      staging: 'data_prompt_staging_e0012_b0002',
      snapshot: 'data_reprocessing_prompt_snapshot_e0012_b0002',
      final: 'data_reprocessing_prompt_e0012_b0002',
    });
  });

  it('when a chain mixes literal names and bucket patterns, then they are kept in priority order', () => {
    const c = config({
      ...minimal,
      chains: { ...minimal.chains, calibration: ['{fixing}', 'data_prompt_staging_{bucket}', '{running}', 'online'] },
    });
    assert.deepEqual(resolveTagChain(c, 'calibration', 'b3'), [
      'data_reprocessing_prompt_fix',
      'data_prompt_staging_b3',
      'data_prompt_running',
      'online',
    ]);
  });

  it('when the bucket name cannot be part of a tag name, then INVALID_INPUT is thrown', () => {
    assert.throws(
      () => resolveTagChain(config(), 'prompt', 'bucket 7/x'),
      (e: unknown) => e instanceof DomainError && e.code === 'INVALID_INPUT',
    );
  });

  it('when patterns or chains are invalid, then the schema says where', () => {
    const r = GlobalTagsFileSchema.safeParse({
      ...minimal,
      staging_tag_pattern: 'staging',
      snapshot_pattern: 'snap_{bucket}_{exp}',
      chains: { ...minimal.chains, cdst: [], prompt: ['{snapshot}', '{snapshot}'] },
    });
    assert.equal(r.success, false);
    const issues = r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    assert.ok(issues.some((i) => /^staging_tag_pattern: .*must contain \{bucket\}/.test(i)), issues.join('\n'));
    assert.ok(issues.some((i) => /^snapshot_pattern: unknown placeholder "\{exp\}"/.test(i)), issues.join('\n'));
    assert.ok(issues.some((i) => /^chains\.cdst: /.test(i)), issues.join('\n'));
    assert.ok(issues.some((i) => /^chains\.prompt\.1: .*appears twice/.test(i)), issues.join('\n'));
  });
});
