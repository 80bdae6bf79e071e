// The contract is declared once: payload types and EngineApi are derived from the zod
// schemas (core/api/schemas.ts), so a type cannot drift from what is checked. The type
// assertions are checked by `tsc` (npm run typecheck); the source checks keep hand-written
// duplicates from coming back.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import type { ApiMethod, BatchRequest, CheckpointInfo, EngineApi, EngineExitInfo, RunEvent, RunEventListener, TrainingEvent } from '../../../core/api';
import { API_METHODS, API_SCHEMAS, type batchRequestSchema, type checkpointInfoSchema, type runEventSchema } from '../../../core/api/schemas';
import { createApiClient, dispatchCall } from '../../../core/api/dispatch';

const api = join(import.meta.dirname, '../../../core/api');

describe('the contract, declared once', () => {
  it('derives payload types and method signatures from the schemas', () => {
    expectTypeOf<BatchRequest>().toEqualTypeOf<z.output<typeof batchRequestSchema>>();
    expectTypeOf<CheckpointInfo>().toEqualTypeOf<z.output<typeof checkpointInfoSchema>>();
    expectTypeOf<RunEvent>().toEqualTypeOf<z.output<typeof runEventSchema>>();
    expectTypeOf<EngineApi['startBatch']>().parameters.toEqualTypeOf<[BatchRequest]>();
    expectTypeOf<EngineApi['startBatch']>().returns.toEqualTypeOf<Promise<{ runId: string }>>();
    expectTypeOf<EngineApi['cancelBatch']>().returns.toEqualTypeOf<Promise<void>>();
    expectTypeOf<EngineApi['onRunEvent']>().parameters.toEqualTypeOf<[RunEventListener]>();
    expectTypeOf<ApiMethod>().toEqualTypeOf<keyof typeof API_SCHEMAS>();
    expectTypeOf<Extract<TrainingEvent, { type: 'training-checkpoint' }>['checkpoint']>().toEqualTypeOf<CheckpointInfo>();
    expectTypeOf<EngineExitInfo>().toHaveProperty('process');
    expect(API_METHODS).toEqual(Object.keys(API_SCHEMAS));
  });

  it('keeps no hand-written payload interface beside the schemas', () => {
    const types = readFileSync(join(api, 'types.ts'), 'utf8');
    // An interface, or an object type listing fields ({ readonly name: ... }), would be a second declaration.
    expect(types.match(/^export interface \w+|^export type \w+ = \{\s*(readonly\s+)?\w+\??:/gm) ?? []).toEqual([]);
  });

  it('has a client and a dispatcher that go through the method map, not a list by hand', async () => {
    const client = createApiClient(async (method) => ({ ok: true, result: method === 'listRecent' ? ['/a.mgproj.json'] : undefined }), () => () => undefined);
    expect(Object.keys(client).sort()).toEqual([...API_METHODS, 'onRunEvent'].sort());
    expect(await client.listRecent()).toEqual(['/a.mgproj.json']);
    for (const file of ['dispatch.ts']) expect(readFileSync(join(api, file), 'utf8')).not.toMatch(/listRecent|startBatch/);
    // Every method reaches the service through the map, checked both ways.
    const seen: string[] = [];
    const service = new Proxy({} as EngineApi, { get: (_t, m: string) => async () => (seen.push(m), m === 'listRecent' ? [] : undefined) });
    expect(await dispatchCall(service, 'listRecent', [])).toEqual({ ok: true, result: [] });
    expect(await dispatchCall(service, 'noSuchMethod', [])).toMatchObject({ ok: false, error: expect.stringMatching(/is not an engine method/) });
    expect(seen).toEqual(['listRecent']);
  });
});
