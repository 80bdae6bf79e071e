// The page's client of the engine API has a function for every method the schemas know:
// a method added to the contract but not to the client fails here, not in a user's hands.

import { describe, expect, it } from 'vitest';
import { createApiClient } from '../../../core/api/dispatch';
import { API_METHODS } from '../../../core/api/schemas';

describe('the API client', () => {
  it('has every method of the contract', () => {
    const client = createApiClient(async () => ({ ok: true }), () => () => undefined) as unknown as Record<string, unknown>;
    expect(API_METHODS.filter((m) => typeof client[m] !== 'function')).toEqual([]);
  });
});
